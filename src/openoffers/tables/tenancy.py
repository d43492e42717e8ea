"""Tenancy tables. Every other table carries a `retailer_id` pointing here."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table, Uuid

from openoffers.kit.columns import JsonColumn, UtcDateTime
from openoffers.kit.db import metadata

retailers = Table(
    "retailers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("culture", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    # The public half of Basic auth; unique across retailers because the header names no retailer.
    Column("key", String(128), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("salt", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)
Index("ix_api_keys_retailer", api_keys.c.retailer_id)

# Store and POS client ids may be chosen by the retailer (imports keep their ids), so they are unique
# per retailer, not globally: another retailer's ids never change an answer (docs/DECISIONS.md).
stores = Table(
    "stores",
    metadata,
    Column("id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("tags", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "id", name="pk_stores"),
)
Index("ix_stores_retailer", stores.c.retailer_id)

pos_clients = Table(
    "pos_clients",
    metadata,
    Column("id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("secret_hash", String(64), nullable=False),
    Column("salt", String(32), nullable=False),
    # Store ids this client may act for; an empty list means every store of the retailer.
    Column("store_ids", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("retailer_id", "id", name="pk_pos_clients"),
)
Index("ix_pos_clients_retailer", pos_clients.c.retailer_id)
# The Basic header names only the client id: authentication finds its candidates by id alone.
Index("ix_pos_clients_id", pos_clients.c.id)
