"""Point tables: accounts per retailer, one balance per user and account, the ledger that is the
only way a balance changes; and the retailer's item catalog."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
)

from openoffers.kit.columns import JsonColumn, Serial, UtcDateTime
from openoffers.kit.db import metadata

point_accounts = Table(
    "point_accounts",
    metadata,
    # The default account's id is derived from the retailer id, so creating it lazily is race-free.
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("grouping_label", String(200), nullable=False, server_default=""),
    Column("is_default", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_point_accounts_retailer", point_accounts.c.retailer_id)

point_balances = Table(
    "point_balances",
    metadata,
    Column("id", Uuid, primary_key=True),  # Lookup's UserPointAccountID
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("account_id", Uuid, ForeignKey("point_accounts.id"), nullable=False),
    Column("user_id", Uuid, nullable=False),
    # Always the sums of the ledger's available_delta and lifetime_delta for this (account, user).
    Column("available", BigInteger, nullable=False),
    Column("lifetime", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Point expiry's bookmark (loyalty/points/expiry.py): no credit earned before this instant may still
    # hold points here. A credit moves it back to its own time when it is earlier (or it was NULL), in
    # the balance's own UPDATE; only the expiry run moves it forward, to the oldest lot still holding
    # points after it (NULL: none). So the run reads only the balances that may have points due.
    Column("oldest_lot_at", UtcDateTime, nullable=True),
    UniqueConstraint("account_id", "user_id", name="uq_point_balances_account_user"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index("ix_point_balances_retailer_user", point_balances.c.retailer_id, point_balances.c.user_id)
Index("ix_point_balances_oldest_lot", point_balances.c.retailer_id, point_balances.c.oldest_lot_at)

point_ledger = Table(
    "point_ledger",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("account_id", Uuid, ForeignKey("point_accounts.id"), nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("kind", String(10), nullable=False),  # earn, spend, adjust, reverse, return, expire
    Column("amount", BigInteger, nullable=False),  # the magnitude the caller asked for
    Column("available_delta", BigInteger, nullable=False),
    Column("lifetime_delta", BigInteger, nullable=False),
    Column("reason", String(500), nullable=False),
    # The caller's key: the same reference for the same kind is applied once (insert-ignore on it).
    Column("reference_id", String(200), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("detail", JsonColumn, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("retailer_id", "kind", "reference_id", name="uq_point_ledger_reference"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index("ix_point_ledger_retailer_user", point_ledger.c.retailer_id, point_ledger.c.user_id, point_ledger.c.id)

# The retailer's catalog: items with their categories, for earn multipliers, rule triggers and offer
# catalog restrictions by category. Upserted by item_id (imports are idempotent).
