"""People who sign in to the admin UI with their own e-mail and password, and the audit log of changes.

An account belongs to one retailer. Its e-mail is unique across retailers because the sign-in form
names no retailer (as an API key's name is). A person is invited first: the account exists with the
hash of an invitation token and no password until they choose one.

The audit log records every change made through the admin UI or the management API: who (an account
or an API key; `actor` is stable, `actor_label` is what a reader recognises, kept as it was then),
what (object type, id, action) and the object before and after, as JSON. It is written in the same
transaction as the change, by `tenancy.audit.record` only.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Uuid

from openoffers.kit.columns import JsonColumn, Serial, UtcDateTime
from openoffers.kit.db import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    # Lower-cased; 254 is the longest address SMTP allows.
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("role", String(16), nullable=False),
    # argon2id, in its own encoded form (parameters and salt included). Null until the invitation is used.
    Column("password_hash", String(256), nullable=True),
    # SHA-256 (hex) of the invitation link's token, while the invitation is open.
    Column("invite_hash", String(64), nullable=True, unique=True),
    Column("invite_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("deactivated_at", UtcDateTime, nullable=True),
)
Index("ix_accounts_retailer", accounts.c.retailer_id)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # `account:<uuid>`, `api_key:<key>` or `system` (the CLI and the demo).
    Column("actor", String(200), nullable=False),
    Column("actor_label", String(254), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("before", JsonColumn, nullable=True),
    Column("after", JsonColumn, nullable=True),
)
Index("ix_audit_log_retailer_at", audit_log.c.retailer_id, audit_log.c.at)
Index("ix_audit_log_object", audit_log.c.retailer_id, audit_log.c.object_type, audit_log.c.object_id)
Index("ix_audit_log_actor", audit_log.c.retailer_id, audit_log.c.actor)
