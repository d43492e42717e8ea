"""pos: check versions (returns); request_id replays scoped to what the call acts on; loyalty settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:45:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openoffers.kit.columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pos_check_versions",
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("check_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("check", _json(), nullable=False),
        sa.Column("quantities", _json(), nullable=False),
        sa.Column("points", _json(), nullable=False),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["pos_transactions.id"], name=op.f("fk_pos_check_versions_check_id_pos_transactions")
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_pos_check_versions_retailer_id_retailers")
        ),
        sa.PrimaryKeyConstraint("retailer_id", "check_id", "version", name="pk_pos_check_versions"),
    )
    op.create_table(
        "loyalty_settings",
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("points_clawback", sa.String(length=10), nullable=False),
        sa.Column("updated_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_loyalty_settings_retailer_id_retailers")
        ),
        sa.PrimaryKeyConstraint("retailer_id", name="pk_loyalty_settings"),
    )
    # Replies stored before this revision keep working: their subject is "" (no new call uses it).
    with op.batch_alter_table("pos_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=250), server_default="", nullable=False))
        batch_op.drop_constraint("pk_pos_requests", type_="primary")
        batch_op.create_primary_key("pk_pos_requests", ["retailer_id", "client_id", "route", "request_id", "subject"])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM pos_requests WHERE subject <> ''"))
    with op.batch_alter_table("pos_requests", schema=None) as batch_op:
        batch_op.drop_constraint("pk_pos_requests", type_="primary")
        batch_op.create_primary_key("pk_pos_requests", ["retailer_id", "client_id", "route", "request_id"])
        batch_op.drop_column("subject")
    op.drop_table("loyalty_settings")
    op.drop_table("pos_check_versions")
