"""points expiry: the retailer's setting, and each balance's bookmark of its oldest lot

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openoffers.kit.columns

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points_expiry_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("points_expiry_since", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("point_balances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("oldest_lot_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_point_balances_oldest_lot", ["retailer_id", "oldest_lot_at"], unique=False)
    # Existing balances: the earliest credit of each (a lower bound, as the column promises), so points
    # earned before this revision expire too once a retailer turns expiry on.
    op.execute(
        sa.text(
            "UPDATE point_balances SET oldest_lot_at = ("
            " SELECT MIN(l.at) FROM point_ledger l"
            " WHERE l.retailer_id = point_balances.retailer_id AND l.account_id = point_balances.account_id"
            " AND l.user_id = point_balances.user_id AND l.available_delta > 0)"
        )
    )


def downgrade() -> None:
    # Expiry entries stay in the ledger (the balances already include them); nothing writes more.
    with op.batch_alter_table("point_balances", schema=None) as batch_op:
        batch_op.drop_index("ix_point_balances_oldest_lot")
        batch_op.drop_column("oldest_lot_at")
    with op.batch_alter_table("loyalty_settings", schema=None) as batch_op:
        batch_op.drop_column("points_expiry_since")
        batch_op.drop_column("points_expiry_months")
