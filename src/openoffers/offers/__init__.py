"""Offer definitions, revisions and their lifecycle (API.md section 3)."""
