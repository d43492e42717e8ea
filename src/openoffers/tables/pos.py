"""POS tables: stored replies for idempotent retries, checks, locks and claim codes."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
)

from openoffers.kit.columns import JsonColumn, UtcDateTime
from openoffers.kit.db import metadata

# One row per (client, route, request_id, subject): claimed and answered in the same transaction as the
# work. The subject is what the call acts on (the check, the user offer), since public clients send the
# same request_id for every call; the row holds the reply to the latest body sent under its key.
pos_requests = Table(
    "pos_requests",
    metadata,
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("client_id", Uuid, nullable=False),
    Column("route", String(40), nullable=False),
    Column("request_id", String(200), nullable=False),
    Column("subject", String(250), nullable=False, server_default=""),
    Column("body_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "client_id", "route", "request_id", "subject", name="pk_pos_requests"),
)
Index("ix_pos_requests_created", pos_requests.c.created_at)

# Checks as the POS sent them. A closed check is final: the same content again is a no-op.
pos_transactions = Table(
    "pos_transactions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("store_id", Uuid, nullable=False),
    Column("transaction_id", String(100), nullable=False),
    # The customer, once known (set when the check closes).
    Column("user_id", Uuid, nullable=True),
    Column("is_closed", Boolean, nullable=False, server_default=false()),
    Column("is_voided", Boolean, nullable=False, server_default=false()),
    # sha256 of the check as last sent (canonical re-encoding): a closed check sent again compares it.
    Column("content_hash", String(64), nullable=False),
    Column("subtotal", Integer, nullable=False),
    Column("discount_total", Integer, nullable=False),
    Column("check", JsonColumn, nullable=False),
    # User offer ids (text) this check redeemed when it closed: what a void reinstates.
    Column("redeemed", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("voided_at", UtcDateTime, nullable=True),
    UniqueConstraint("retailer_id", "store_id", "transaction_id", name="uq_pos_transactions_check"),
    ForeignKeyConstraint(["retailer_id", "store_id"], ["stores.retailer_id", "stores.id"]),
)
Index(
    "ix_pos_transactions_retailer_store_updated",
    pos_transactions.c.retailer_id,
    pos_transactions.c.store_id,
    pos_transactions.c.updated_at,
)

# A closed check's versions: as it closed (1), each return re-sent after it, and its void. Written when
# a closed check changes (the close itself writes none: version 1 is the stored check, copied here
# before the first change overwrites it). `quantities` holds what is left of each line after it.
pos_check_versions = Table(
    "pos_check_versions",
    metadata,
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("check_id", Uuid, ForeignKey("pos_transactions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # closed, returned, voided
    Column("content_hash", String(64), nullable=False),
    Column("check", JsonColumn, nullable=False),
    Column("quantities", JsonColumn, nullable=False),  # {line_id: remaining quantity as decimal text}
    # What the version took back: [{"rule_id", "account_id", "points", "shortfall", "lines"}].
    Column("points", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "check_id", "version", name="pk_pos_check_versions"),
)

# The lock a user offer is held under while its status is Locked: which check, for how much, until when.
pos_locks = Table(
    "pos_locks",
    metadata,
    Column("user_offer_id", Uuid, ForeignKey("user_offers.id"), primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("store_id", Uuid, nullable=False),
    Column("transaction_id", String(100), nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("amount", Integer, nullable=False),
    # [{"line_id", "amount", "quantity"}]: the exact shares, so later discounts on the check stack on them.
    Column("line_shares", JsonColumn, nullable=False),
    Column("stack_order", Integer, nullable=False),
    Column("locked_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
Index("ix_pos_locks_check", pos_locks.c.retailer_id, pos_locks.c.store_id, pos_locks.c.transaction_id)
Index("ix_pos_locks_expires", pos_locks.c.expires_at)

# Short codes a customer's app shows at the till (offer_lookup_type "ttlcode").
claim_codes = Table(
    "claim_codes",
    metadata,
    Column("code", String(16), nullable=False),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("user_offer_id", Uuid, ForeignKey("user_offers.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "code", name="pk_claim_codes"),
)
Index("ix_claim_codes_expires", claim_codes.c.expires_at)
