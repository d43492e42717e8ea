"""The admin web UI: server-rendered pages in the same app, calling the same services as the API."""
