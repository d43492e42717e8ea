"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Uuid,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from openoffers import migrations
from openoffers.kit.columns import UtcDateTime
from openoffers.kit.db import Database, normalize_url
from openoffers.tables import metadata
from tests.conftest import _truncate_pg


def differences(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async def run() -> list[Any]:
        engine = create_async_engine(normalize_url(url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def table_names(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(normalize_url(url))
        try:
            async with engine.connect() as connection:
                names: list[str] = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                return set(names)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_fresh_sqlite_database_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrations.upgrade(url)
    assert differences(url) == []
    assert table_names(url) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}


def test_postgresql_matches_the_models(pg_migrated: str) -> None:
    assert differences(pg_migrated) == []


def test_sqlite_downgrades_to_nothing_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrations.upgrade(url)
    command.downgrade(migrations.alembic_config(url), "base")
    assert table_names(url) == {"alembic_version"}
    migrations.upgrade(url)
    assert differences(url) == []


def test_there_is_one_head() -> None:
    assert len(migrations.current_heads()) == 1


# --- 0007: ids a retailer may choose become unique per retailer, on databases that hold data -------


def _row(table: Table, **given: Any) -> dict[str, Any]:
    """A row with every required column: the values given, else a plain value of the column's type."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in given:
            row[column.name] = given[column.name]
        elif column.nullable or column.autoincrement is True:
            continue
        elif isinstance(column.type, Uuid):
            row[column.name] = uuid4()
        elif isinstance(column.type, UtcDateTime):
            row[column.name] = now
        elif isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, (Integer, BigInteger, SmallInteger)):
            row[column.name] = 1
        elif isinstance(column.type, JSON):
            row[column.name] = []
        else:
            row[column.name] = "x"
    return row


def _rows_before_0007() -> list[tuple[str, dict[str, Any]]]:
    """One retailer's rows in every table whose keys 0007 changes, with their parents."""
    retailer, store, client, user, offer, user_offer, account, rule = (uuid4() for _ in range(8))
    t = metadata.tables
    mine = {"retailer_id": retailer}
    by_user = {**mine, "user_id": user}
    rows: list[tuple[str, dict[str, Any]]] = [
        ("retailers", {"id": retailer}),
        ("stores", {**mine, "id": store}),
        ("pos_clients", {**mine, "id": client}),
        ("users", {**mine, "id": user, "external_customer_id": "E-1"}),
        ("offers", {**mine, "id": offer, "root_offer_id": offer}),
        ("user_offers", {**by_user, "id": user_offer, "offer_id": offer, "root_offer_id": offer}),
        ("user_offer_counters", {**by_user, "root_offer_id": offer}),
        ("point_accounts", {**mine, "id": account}),
        ("point_balances", {**by_user, "account_id": account}),
        ("point_ledger", {**by_user, "account_id": account, "reference_id": "ref-1"}),
        ("loyalty_users", by_user),
        ("loyalty_rules", {**mine, "id": rule}),
        ("loyalty_rule_counters", {**by_user, "rule_id": rule}),
        ("loyalty_events", {**by_user, "event_key": "enrolled:1"}),
        ("loyalty_rule_issuances", {**by_user, "user_offer_id": user_offer, "rule_id": rule}),
        ("pos_requests", {**mine, "client_id": client, "route": "lock", "request_id": "r-1"}),
        ("pos_transactions", {**by_user, "store_id": store, "transaction_id": "T-1"}),
    ]
    return [(name, _row(t[name], **values)) for name, values in rows]


def _columns(url: str) -> dict[str, set[str]]:
    """The tables and columns the database has at its revision: later revisions add columns the
    tables of today's code know, and rows of an older revision must be written without them."""

    def read(conn: Connection) -> dict[str, set[str]]:
        found = inspect(conn)
        return {name: {c["name"] for c in found.get_columns(name)} for name in found.get_table_names()}

    async def run() -> dict[str, set[str]]:
        db = Database(url, pool_size=1)
        try:
            async with db.read() as conn:
                return await conn.run_sync(read)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _write(url: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
    present = _columns(url)

    async def run() -> None:
        db = Database(url, pool_size=1)
        try:
            async with db.write() as conn:
                scratch = MetaData()
                for name, values in rows:
                    kept = {column: value for column, value in values.items() if column in present[name]}
                    # The table as this revision has it: today's columns it lacks would be named (and
                    # asked back) by an insert into today's table.
                    then = Table(
                        name,
                        scratch,
                        *(Column(c.name, c.type) for c in metadata.tables[name].columns if c.name in kept),
                        extend_existing=True,
                    )
                    await conn.execute(insert(then).values(**kept))
        finally:
            await db.dispose()

    asyncio.run(run())


def _everything(url: str) -> dict[str, list[tuple[str, ...]]]:
    present = _columns(url)

    async def run() -> dict[str, list[tuple[str, ...]]]:
        db = Database(url, pool_size=1)
        try:
            async with db.read() as conn:
                found = {}
                for table in metadata.sorted_tables:
                    if table.name not in present:
                        continue
                    columns = [c for c in table.columns if c.name in present[table.name]]
                    rows = await conn.execute(select(*columns))
                    found[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
                return found
        finally:
            await db.dispose()

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each engine at revision 0006 (PostgreSQL: the shared one, emptied and downgraded)."""
    if request.param == "sqlite":
        url: str = f"sqlite:///{tmp_path / 'at_0006.db'}"
        migrations.upgrade(url, "0006")
        return url
    url = request.getfixturevalue("database_url_postgresql")
    command.downgrade(migrations.alembic_config(url), "0006")
    return url


@pytest.fixture
def database_url_postgresql(pg_migrated: str) -> Iterator[str]:
    _truncate_pg(pg_migrated)
    yield pg_migrated
    migrations.upgrade(pg_migrated)  # whatever happened, the shared database ends at head


def test_0007_keeps_every_row_and_then_lets_another_retailer_reuse_the_ids(at_0006: str) -> None:
    rows = _rows_before_0007()
    _write(at_0006, rows)
    before = _everything(at_0006)
    assert sum(len(found) for found in before.values()) == len(rows)
    migrations.upgrade(at_0006, "0007")
    assert _everything(at_0006) == before
    # What 0007 is for: another retailer may now hold the same user, store and POS client ids, and its
    # rows point at its own user and store (the composite foreign keys).
    values = dict(rows)
    other = uuid4()
    t = metadata.tables
    same = {
        "retailers": {"id": other},
        "stores": {"retailer_id": other, "id": values["stores"]["id"]},
        "pos_clients": {"retailer_id": other, "id": values["pos_clients"]["id"]},
        "users": {"retailer_id": other, "id": values["users"]["id"], "external_customer_id": "E-1"},
        "loyalty_users": {"retailer_id": other, "user_id": values["users"]["id"]},
        "pos_requests": {
            "retailer_id": other,
            **{k: values["pos_requests"][k] for k in ("client_id", "route", "request_id")},
        },
        "pos_transactions": {
            "retailer_id": other,
            "store_id": values["stores"]["id"],
            "user_id": values["users"]["id"],
            "transaction_id": "T-1",
        },
    }
    _write(at_0006, [(name, _row(t[name], **given)) for name, given in same.items()])
    after = _everything(at_0006)
    assert {name: len(found) for name, found in after.items()} == {
        name: len(found) + (name in same) for name, found in before.items()
    }
    assert all(set(before[name]) <= set(after[name]) for name in before)
    # And the later revisions take the same data on to the head, whose schema is the code's.
    migrations.upgrade(at_0006)
    assert differences(at_0006) == []


# --- 0011: point expiry's bookmark, filled in for the balances that exist ------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url: str = f"sqlite:///{tmp_path / 'at_0010.db'}"
        migrations.upgrade(url, "0010")
        return url
    url = request.getfixturevalue("database_url_postgresql")
    command.downgrade(migrations.alembic_config(url), "0010")
    return url


def test_0011_sets_each_balance_s_bookmark_to_its_earliest_credit(at_0010: str) -> None:
    retailer, account, credited, spent_only = uuid4(), uuid4(), uuid4(), uuid4()
    t = metadata.tables
    mine = {"retailer_id": retailer}
    first, later = datetime(2025, 1, 10, 15, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)
    rows: list[tuple[str, dict[str, Any]]] = [
        ("retailers", {"id": retailer}),
        ("users", {**mine, "id": credited, "external_customer_id": "E-1"}),
        ("users", {**mine, "id": spent_only, "external_customer_id": "E-2"}),
        ("point_accounts", {**mine, "id": account}),
        ("point_balances", {**mine, "user_id": credited, "account_id": account}),
        ("point_balances", {**mine, "user_id": spent_only, "account_id": account}),
    ]
    entries = [
        (credited, later, 5, "earn"),
        (credited, first, 3, "adjust"),
        (credited, datetime(2024, 12, 1, tzinfo=UTC), -2, "spend"),  # a debit is no lot
        (spent_only, first, -4, "reverse"),
    ]
    for n, (user, at, delta, kind) in enumerate(entries):
        values = {**mine, "user_id": user, "account_id": account, "at": at, "kind": kind}
        rows.append(("point_ledger", {**values, "available_delta": delta, "reference_id": f"r-{n}"}))
    _write(at_0010, [(name, _row(t[name], **values)) for name, values in rows])
    migrations.upgrade(at_0010, "0011")
    found = _everything(at_0010)["point_balances"]
    columns = [c.name for c in t["point_balances"].columns]
    bookmarks = {row[columns.index("user_id")]: row[columns.index("oldest_lot_at")] for row in found}
    assert bookmarks == {str(credited): str(first), str(spent_only): "None"}
    assert differences(at_0010) == []
