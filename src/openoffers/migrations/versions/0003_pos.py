"""pos: stored replies, checks, locks and claim codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:17:27.246822
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openoffers.kit.columns

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pos_requests",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["retailer_id"], ["retailers.id"], name=op.f("fk_pos_requests_retailer_id_retailers")),
        sa.PrimaryKeyConstraint("client_id", "route", "request_id", name="pk_pos_requests"),
    )
    with op.batch_alter_table("pos_requests", schema=None) as batch_op:
        batch_op.create_index("ix_pos_requests_created", ["created_at"], unique=False)

    op.create_table(
        "pos_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_voided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("subtotal", sa.Integer(), nullable=False),
        sa.Column("discount_total", sa.Integer(), nullable=False),
        sa.Column("check", _json(), nullable=False),
        sa.Column("redeemed", _json(), nullable=False),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("voided_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_pos_transactions_retailer_id_retailers")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_pos_transactions_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_transactions")),
        sa.UniqueConstraint("retailer_id", "store_id", "transaction_id", name="uq_pos_transactions_check"),
    )
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pos_transactions_retailer_store_updated", ["retailer_id", "store_id", "updated_at"], unique=False
        )

    op.create_table(
        "claim_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("user_offer_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["retailer_id"], ["retailers.id"], name=op.f("fk_claim_codes_retailer_id_retailers")),
        sa.ForeignKeyConstraint(
            ["user_offer_id"], ["user_offers.id"], name=op.f("fk_claim_codes_user_offer_id_user_offers")
        ),
        sa.PrimaryKeyConstraint("retailer_id", "code", name="pk_claim_codes"),
    )
    with op.batch_alter_table("claim_codes", schema=None) as batch_op:
        batch_op.create_index("ix_claim_codes_expires", ["expires_at"], unique=False)

    op.create_table(
        "pos_locks",
        sa.Column("user_offer_id", sa.Uuid(), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("line_shares", _json(), nullable=False),
        sa.Column("stack_order", sa.Integer(), nullable=False),
        sa.Column("locked_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["retailer_id"], ["retailers.id"], name=op.f("fk_pos_locks_retailer_id_retailers")),
        sa.ForeignKeyConstraint(
            ["user_offer_id"], ["user_offers.id"], name=op.f("fk_pos_locks_user_offer_id_user_offers")
        ),
        sa.PrimaryKeyConstraint("user_offer_id", name=op.f("pk_pos_locks")),
    )
    with op.batch_alter_table("pos_locks", schema=None) as batch_op:
        batch_op.create_index("ix_pos_locks_check", ["retailer_id", "store_id", "transaction_id"], unique=False)
        batch_op.create_index("ix_pos_locks_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pos_locks", schema=None) as batch_op:
        batch_op.drop_index("ix_pos_locks_expires")
        batch_op.drop_index("ix_pos_locks_check")
    op.drop_table("pos_locks")
    with op.batch_alter_table("claim_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_codes_expires")
    op.drop_table("claim_codes")
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_pos_transactions_retailer_store_updated")
    op.drop_table("pos_transactions")
    with op.batch_alter_table("pos_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_pos_requests_created")
    op.drop_table("pos_requests")
