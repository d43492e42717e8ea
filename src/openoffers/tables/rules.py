"""Loyalty rule tables: the rules, the events they ran on, what they issued, and the per-user rows that
make recurrence, caps and thresholds hold under concurrency."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
)

from openoffers.kit.columns import JsonColumn, Serial, UtcDateTime
from openoffers.kit.db import metadata

loyalty_rules = Table(
    "loyalty_rules",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),  # earn, issuance
    # What fires the rule: "earn" for earn rules, else the trigger type (points_threshold, ...).
    Column("listens_to", String(30), nullable=False),
    # Narrows `listens_to`: the point account (earn, points_threshold) or the custom event name
    # (case-folded); "" otherwise. Events load rules by (retailer, listens_to, match_key) only.
    Column("match_key", String(200), nullable=False, server_default=""),
    Column("point_account_id", Uuid, nullable=True),
    Column("offer_id", Uuid, nullable=True),
    Column("priority", Integer, nullable=False),
    Column("starts_at", UtcDateTime, nullable=True),
    Column("ends_at", UtcDateTime, nullable=True),
    Column("active", Boolean, nullable=False, server_default=false()),
    # The normalised definition (the create body without retailer_id) as JSON builtins.
    Column("definition", JsonColumn, nullable=False),
    # Bumped by every update: (id, revision) names one immutable definition (the in-process cache key).
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index(
    "ix_loyalty_rules_listening",
    loyalty_rules.c.retailer_id,
    loyalty_rules.c.listens_to,
    loyalty_rules.c.match_key,
    loyalty_rules.c.active,
)
Index("ix_loyalty_rules_retailer_created", loyalty_rules.c.retailer_id, loyalty_rules.c.created_at)

# One row per user with rule activity. Every rule event of the user updates it first, which serializes
# that user's rule events (row lock on PostgreSQL, the write lock on SQLite): balances read next are
# the ones the effects apply to. `closed_checks` counts closed, non-voided checks (visit_count rules).
loyalty_users = Table(
    "loyalty_users",
    metadata,
    Column("user_id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("closed_checks", Integer, nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "user_id", name="pk_loyalty_users"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)

# Offers a rule has issued to a user (counting quantity, less those revoked by a void): `once` and
# `per_user_cap` are conditional updates on it (`issued + n <= limit`).
loyalty_rule_counters = Table(
    "loyalty_rule_counters",
    metadata,
    Column("rule_id", Uuid, ForeignKey("loyalty_rules.id"), nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("issued", Integer, nullable=False),
    PrimaryKeyConstraint("rule_id", "user_id", name="pk_loyalty_rule_counters"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index("ix_loyalty_rule_counters_user", loyalty_rule_counters.c.retailer_id, loyalty_rule_counters.c.user_id)

# Every event the engine applied, claimed by its key before any work (insert-ignore on the unique key),
# so a duplicated or retried event is applied once. `effects` is what was applied (a void reverses it).
loyalty_events = Table(
    "loyalty_events",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    # check:{store_id}:{transaction_id}, deposit:{ledger entry}, enrolled:{user}, custom:{user}:{id}
    Column("event_key", String(250), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("effects", JsonColumn, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("voided_at", UtcDateTime, nullable=True),
    UniqueConstraint("retailer_id", "event_key", name="uq_loyalty_events_key"),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index("ix_loyalty_events_retailer_user", loyalty_events.c.retailer_id, loyalty_events.c.user_id)

# Which rule and which event issued each rule-issued user offer (a void revokes by event).
loyalty_rule_issuances = Table(
    "loyalty_rule_issuances",
    metadata,
    Column("user_offer_id", Uuid, ForeignKey("user_offers.id"), primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("rule_id", Uuid, ForeignKey("loyalty_rules.id"), nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("event_key", String(250), nullable=False),
    # Points the rule spent for this one offer (a threshold with spend_points), and from which account.
    Column("points_spent", BigInteger, nullable=False),
    Column("point_account_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["retailer_id", "user_id"], ["users.retailer_id", "users.id"]),
)
Index("ix_loyalty_rule_issuances_event", loyalty_rule_issuances.c.retailer_id, loyalty_rule_issuances.c.event_key)

# Per-retailer loyalty choices. `points_clawback`: what a return or void does when the customer has
# already spent the points it takes back: "negative" (the balance goes below zero) or "floor" (it stops
# at zero and the shortfall is recorded). No row means "negative".
# `points_expiry_months`: points expire that many calendar months after the local day they were
# credited (loyalty/points/expiry.py); NULL (or 0) means never, the default. `points_expiry_since`: when
# expiry was last turned on; nothing credited before it expires earlier than if credited then.
loyalty_settings = Table(
    "loyalty_settings",
    metadata,
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), primary_key=True),
    Column("points_clawback", String(10), nullable=False),
    Column("points_expiry_months", Integer, nullable=True),
    Column("points_expiry_since", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

__all__ = [
    "loyalty_events",
    "loyalty_rule_counters",
    "loyalty_rule_issuances",
    "loyalty_rules",
    "loyalty_settings",
    "loyalty_users",
]
