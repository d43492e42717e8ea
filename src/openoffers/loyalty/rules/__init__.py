"""Loyalty rules: definitions, the engine that runs them on events, and the rules API."""
