"""admin: failed sign-ins, for throttling the admin sign-in form

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openoffers.kit.columns

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sign_in_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sign_in_failures")),
    )
    with op.batch_alter_table("admin_sign_in_failures", schema=None) as batch_op:
        batch_op.create_index("ix_admin_sign_in_failures_address", ["address", "failed_at"], unique=False)
        batch_op.create_index("ix_admin_sign_in_failures_failed_at", ["failed_at"], unique=False)
        batch_op.create_index("ix_admin_sign_in_failures_key_hash", ["key_hash", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sign_in_failures_key_hash")
        batch_op.drop_index("ix_admin_sign_in_failures_failed_at")
        batch_op.drop_index("ix_admin_sign_in_failures_address")

    op.drop_table("admin_sign_in_failures")
