"""kit.db: every wait on the database is bounded, and running out of time is told apart from a bug."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from openoffers.kit.db import Database, Timeouts, unavailable
from openoffers.settings import Settings


async def test_a_long_statement_is_cut_off_and_called_unavailable(database_url: str) -> None:
    db = Database(database_url, pool_size=1, timeouts=Timeouts(statement_ms=200))
    if db.is_sqlite:
        await db.dispose()
        pytest.skip("SQLite has no statement timeout: its statements do not wait on a server")
    try:
        with pytest.raises(exc.DBAPIError) as caught:
            async with db.read() as conn:
                await conn.execute(text("SELECT pg_sleep(5)"))
        assert unavailable(caught.value) == "a statement timed out"
    finally:
        await db.dispose()


async def test_a_lock_wait_is_cut_off_and_called_unavailable(database_url: str) -> None:
    holder = Database(database_url, pool_size=1)
    db = Database(database_url, pool_size=1, timeouts=Timeouts(lock_ms=200))
    try:
        async with holder.write() as held:
            if not holder.is_sqlite:
                await held.execute(text("LOCK TABLE retailers IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(exc.OperationalError if db.is_sqlite else exc.DBAPIError) as caught:
                async with db.write() as conn:
                    await conn.execute(text("DELETE FROM retailers"))
        expected = "the database is locked by another writer" if db.is_sqlite else "a lock wait timed out"
        assert unavailable(caught.value) == expected
    finally:
        await db.dispose()
        await holder.dispose()


async def test_a_bug_is_not_called_unavailable(database_url: str) -> None:
    db = Database(database_url, pool_size=1)
    try:
        with pytest.raises(exc.DBAPIError) as caught:
            async with db.read() as conn:
                await conn.execute(text("SELECT no_such_column FROM retailers"))
        assert unavailable(caught.value) is None
        assert unavailable(ValueError("x")) is None
    finally:
        await db.dispose()


def test_timeouts_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "OPENOFFERS_DB_POOL_TIMEOUT_MS": "250",
            "OPENOFFERS_DB_LOCK_TIMEOUT_MS": "750",
            "OPENOFFERS_DB_STATEMENT_TIMEOUT_MS": "1500",
        }
    )
    assert settings.db_timeouts == Timeouts(pool_ms=250, lock_ms=750, statement_ms=1500)
    assert Settings().db_timeouts == Timeouts(pool_ms=2000, lock_ms=5000, statement_ms=10000)
