"""Wallet tables: users, the user offers issued to them with their event history, and the counter
rows that make issuance restrictions hold under concurrency."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from openoffers.kit.columns import JsonColumn, Serial, UtcDateTime
from openoffers.kit.db import metadata


class UserOfferStatus(IntEnum):
    """What `user_offers.status` holds (API.md 4: the wire numbers). Readers anywhere may compare with
    these; only `openoffers.wallet.lifecycle` changes a status."""

    ISSUED = 1
    LOCKED = 2
    REDEEMED = 3
    EXPIRED = 4
    REVOKED = 5

    @property
    def label(self) -> str:
        """The guide's status name ("Issued", "Redeemed", ...)."""
        return self.name.capitalize()


class EventKind(StrEnum):
    """What `user_offer_events.kind` holds: one kind per change in a user offer's life."""

    ISSUED = "issued"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    LOCK_EXPIRED = "lock_expired"
    REDEEMED = "redeemed"
    REINSTATED = "reinstated"
    EXPIRED = "expired"
    REVOKED = "revoked"
    VOIDED = "voided"
    # Not a change of status: the Offers API's acquisition/update attached data (`custom_data`) to it.
    UPDATED = "updated"


users = Table(
    "users",
    metadata,
    # Chosen by the caller when imports keep the ids they had on another platform, so unique per
    # retailer like store ids: every row that references a user names its retailer too.
    Column("id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("external_customer_id", String(100), nullable=True),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    # As given, for display; the *_key columns are what look-ups compare.
    Column("email", String(320), nullable=True),
    Column("email_key", String(320), nullable=True),
    Column("phone", String(50), nullable=True),
    Column("phone_key", String(50), nullable=True),
    Column("profile_fields", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # NULLs never collide, so users without an external id are fine on both engines.
    UniqueConstraint("retailer_id", "external_customer_id", name="uq_users_retailer_external"),
    PrimaryKeyConstraint("retailer_id", "id", name="pk_users"),
)
Index("ix_users_retailer_email", users.c.retailer_id, users.c.email_key)
Index("ix_users_retailer_phone", users.c.retailer_id, users.c.phone_key)

user_offers = Table(
    "user_offers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("user_id", Uuid, nullable=False),
    # The exact revision it was issued under: its terms never change afterwards.
    Column("offer_id", Uuid, ForeignKey("offers.id"), nullable=False),
    Column("root_offer_id", Uuid, nullable=False),
    # A UserOfferStatus; changed only by `wallet.lifecycle`, with conditional updates.
    Column("status", SmallInteger, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    # The redemption window, computed once at issuance; a NULL end never expires.
    Column("redemption_start", UtcDateTime, nullable=False),
    Column("redemption_end", UtcDateTime, nullable=True),
    # api, reward_store, rule, cli, demo: how it was acquired.
    Column("source", String(20), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index(
    "ix_user_offers_retailer_user_acquired", user_offers.c.retailer_id, user_offers.c.user_id, user_offers.c.acquired_at
)
Index(
    "ix_user_offers_retailer_root_status", user_offers.c.retailer_id, user_offers.c.root_offer_id, user_offers.c.status
)
Index("ix_user_offers_status_end", user_offers.c.retailer_id, user_offers.c.status, user_offers.c.redemption_end)

user_offer_events = Table(
    "user_offer_events",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("user_offer_id", Uuid, ForeignKey("user_offers.id"), nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    # An EventKind.
    Column("kind", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("detail", JsonColumn, nullable=False),
)
Index("ix_user_offer_events_offer_kind", user_offer_events.c.user_offer_id, user_offer_events.c.kind)

# Inventory belongs to the offer (its root), shared by every revision. `remaining` only changes by
# `remaining - n WHERE remaining >= n`, so it can never be oversold; `total` is the inventory the
# counter was last set to, so a new total moves `remaining` by the difference (issued = total - remaining).
offer_inventory = Table(
    "offer_inventory",
    metadata,
    Column("root_offer_id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("total", Integer, nullable=False),
    Column("remaining", Integer, nullable=False),
)

# One row per (root offer, user): every issuance updates it first, which serializes a customer's
# issuances of one offer (row lock on PostgreSQL, the write lock on SQLite), so the per-customer
# maximum is a conditional update and the frequency count that follows cannot race.
user_offer_counters = Table(
    "user_offer_counters",
    metadata,
    Column("root_offer_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("issued", Integer, nullable=False),
    PrimaryKeyConstraint("root_offer_id", "user_id", name="pk_user_offer_counters"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
