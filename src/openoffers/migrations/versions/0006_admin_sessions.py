"""admin: server-side sessions; sign-in failures indexed per (address, key name) pair

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openoffers.kit.columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], name=op.f("fk_admin_sessions_api_key_id_api_keys")),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["retailers.id"], name=op.f("fk_admin_sessions_retailer_id_retailers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
    )
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_admin_sessions_api_key_id", ["api_key_id"], unique=False)
        batch_op.create_index("ix_admin_sessions_created_at", ["created_at"], unique=False)
    # Failures are now counted per pair: one index on both columns instead of one on each.
    with op.batch_alter_table("admin_sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sign_in_failures_address")
        batch_op.drop_index("ix_admin_sign_in_failures_key_hash")
        batch_op.create_index("ix_admin_sign_in_failures_pair", ["address", "key_hash", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sign_in_failures_pair")
        batch_op.create_index("ix_admin_sign_in_failures_key_hash", ["key_hash", "failed_at"], unique=False)
        batch_op.create_index("ix_admin_sign_in_failures_address", ["address", "failed_at"], unique=False)
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sessions_created_at")
        batch_op.drop_index("ix_admin_sessions_api_key_id")
    op.drop_table("admin_sessions")
