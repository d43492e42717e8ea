"""tenancy: ids a retailer may choose (users, stores, POS clients) are unique per retailer, not globally

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:30:00.000000

The primary keys of `users`, `stores` and `pos_clients` become (retailer_id, id); every foreign key to
a user or a store becomes (retailer_id, user_id / store_id), so a row can only ever point at its own
retailer's user or store; `loyalty_users` and `pos_requests` key by retailer too. Existing rows are
kept as they are: ids that were globally unique are unique per retailer as well. SQLite rebuilds each
table (Alembic's batch mode copies its rows); PostgreSQL alters them in place.

Downgrading needs every id to be globally unique again: with the same id in two retailers it fails
on the old primary key, and changes nothing (the migration is one transaction on both engines).
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The tables whose user_id pointed at users.id alone.
_USER_CHILDREN = (
    "user_offers",
    "user_offer_counters",
    "point_balances",
    "point_ledger",
    "loyalty_users",
    "loyalty_rule_counters",
    "loyalty_events",
    "loyalty_rule_issuances",
)


def _set_primary_key(table: str, columns: list[str]) -> None:
    """Replace the table's primary key `pk_<table>` by one on `columns`."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(f"pk_{table}", type_="primary")
        batch_op.create_primary_key(f"pk_{table}", columns)


def upgrade() -> None:
    # Foreign keys first: PostgreSQL refuses to drop a primary key that one still uses.
    for table in _USER_CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_user_id_users", type_="foreignkey")
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pos_transactions_store_id_stores", type_="foreignkey")

    _set_primary_key("users", ["retailer_id", "id"])
    _set_primary_key("stores", ["retailer_id", "id"])
    _set_primary_key("pos_clients", ["retailer_id", "id"])
    with op.batch_alter_table("pos_clients", schema=None) as batch_op:
        batch_op.create_index("ix_pos_clients_id", ["id"], unique=False)
    _set_primary_key("pos_requests", ["retailer_id", "client_id", "route", "request_id"])
    _set_primary_key("loyalty_users", ["retailer_id", "user_id"])

    for table in _USER_CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_retailer_id_users", "users", ["retailer_id", "user_id"], ["retailer_id", "id"]
            )
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_pos_transactions_retailer_id_stores", "stores", ["retailer_id", "store_id"], ["retailer_id", "id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pos_transactions_retailer_id_stores", type_="foreignkey")
    for table in _USER_CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_retailer_id_users", type_="foreignkey")

    _set_primary_key("loyalty_users", ["user_id"])
    _set_primary_key("pos_requests", ["client_id", "route", "request_id"])
    with op.batch_alter_table("pos_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_pos_clients_id")
    _set_primary_key("pos_clients", ["id"])
    _set_primary_key("stores", ["id"])
    _set_primary_key("users", ["id"])

    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_pos_transactions_store_id_stores", "stores", ["store_id"], ["id"])
    for table in _USER_CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f"fk_{table}_user_id_users", "users", ["user_id"], ["id"])
