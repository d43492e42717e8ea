"""The admin UI's one table: failed sign-ins, which throttle the sign-in form (`admin/throttle.py`).

Tenant-free on purpose: a sign-in is not authenticated yet, so there is no retailer to scope it to.
It keeps a hash of the key name, never the name (people paste secrets into the wrong box).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from openoffers.kit.db import Serial, UtcDateTime, metadata

sign_in_failures = Table(
    "admin_sign_in_failures",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    # The client address (an IPv6 address as its /64 network), as the server saw it.
    Column("address", String(64), nullable=False),
    # SHA-256 (hex) of the key name typed into the form.
    Column("key_hash", String(64), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
)
Index("ix_admin_sign_in_failures_address", sign_in_failures.c.address, sign_in_failures.c.failed_at)
Index("ix_admin_sign_in_failures_key_hash", sign_in_failures.c.key_hash, sign_in_failures.c.failed_at)
Index("ix_admin_sign_in_failures_failed_at", sign_in_failures.c.failed_at)
