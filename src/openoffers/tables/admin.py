"""The admin UI's tables: failed sign-ins, which throttle the sign-in form (`admin/sign_in.py`), and
signed-in sessions, which the server can end (`admin/session_store.py`).

Failures are tenant-free on purpose: a sign-in is not authenticated yet, so there is no retailer to
scope it to. They keep a hash of the key name, never the name (people paste secrets into the wrong box).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Uuid

from openoffers.kit.columns import Serial, UtcDateTime
from openoffers.kit.db import metadata

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
# Failures are counted per (address, key name) pair (kit.throttle).
Index(
    "ix_admin_sign_in_failures_pair",
    sign_in_failures.c.address,
    sign_in_failures.c.key_hash,
    sign_in_failures.c.failed_at,
)
Index("ix_admin_sign_in_failures_failed_at", sign_in_failures.c.failed_at)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    # SHA-256 (hex) of the session token in the browser's cookie: the database never holds the token.
    Column("id", String(64), primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    # Who signed in, exactly one of the two: an admin API key (its revocation or a change of its role
    # ends the session at once) or a person's account (a role change or deactivation ends it too).
    Column("api_key_id", Uuid, ForeignKey("api_keys.id"), nullable=True),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Set by sign-out; an ended session never works again.
    Column("ended_at", UtcDateTime, nullable=True),
)
Index("ix_admin_sessions_created_at", admin_sessions.c.created_at)
Index("ix_admin_sessions_api_key_id", admin_sessions.c.api_key_id)
Index("ix_admin_sessions_account_id", admin_sessions.c.account_id)
