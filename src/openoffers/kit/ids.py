"""Identifiers: UUIDs everywhere, stored and returned lower-case."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def parse_uuid(text: str) -> uuid.UUID | None:
    """A UUID in any case, with or without braces; None when it is not one."""
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None
