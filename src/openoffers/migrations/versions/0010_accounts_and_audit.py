"""accounts (people signing in to the admin UI), the audit log, and sessions opened by an account

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openoffers.kit.columns

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("invite_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["retailer_id"], ["retailers.id"], name=op.f("fk_accounts_retailer_id_retailers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
        sa.UniqueConstraint("invite_hash", name=op.f("uq_accounts_invite_hash")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_retailer", ["retailer_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("retailer_id", sa.Uuid(), nullable=False),
        sa.Column("at", openoffers.kit.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", _JSON, nullable=True),
        sa.Column("after", _JSON, nullable=True),
        sa.ForeignKeyConstraint(["retailer_id"], ["retailers.id"], name=op.f("fk_audit_log_retailer_id_retailers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor", ["retailer_id", "actor"], unique=False)
        batch_op.create_index("ix_audit_log_object", ["retailer_id", "object_type", "object_id"], unique=False)
        batch_op.create_index("ix_audit_log_retailer_at", ["retailer_id", "at"], unique=False)
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("api_key_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(op.f("fk_admin_sessions_account_id_accounts"), "accounts", ["account_id"], ["id"])
        batch_op.create_index("ix_admin_sessions_account_id", ["account_id"], unique=False)


def downgrade() -> None:
    # Sessions opened by an account have no key to keep; they end with the downgrade.
    op.execute("DELETE FROM admin_sessions WHERE api_key_id IS NULL")
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sessions_account_id")
        batch_op.drop_constraint(op.f("fk_admin_sessions_account_id_accounts"), type_="foreignkey")
        batch_op.alter_column("api_key_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("account_id")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_retailer_at")
        batch_op.drop_index("ix_audit_log_object")
        batch_op.drop_index("ix_audit_log_actor")
    op.drop_table("audit_log")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_retailer")
    op.drop_table("accounts")
