"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from openoffers import migrations
from openoffers.kit.db import normalize_url
from openoffers.tables import metadata


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
