"""Webhooks: each retailer's endpoints (a URL, the event types it wants, a Standard Webhooks secret),
managed by the API and the admin UI, and the worker every server process runs that delivers the
outbox's events to them (`delivery.py`)."""
