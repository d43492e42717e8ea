"""kit.driver.Query and Command: statements run straight on the driver answer what SQLAlchemy answers, inside
the request's one transaction (its BEGIN travels with the first of them on SQLite), and their errors are
SQLAlchemy's, so a lock wait is still `unavailable` (503) and a bug is not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import bindparam, exc, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.db import Database, Timeouts, unavailable
from openoffers.kit.driver import REMEMBERED_IDS, Command, Query
from openoffers.tables.tenancy import retailers

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
BY_NAME = select(retailers.c.id, retailers.c.name, retailers.c.created_at).where(retailers.c.name == bindparam("name"))
QUERY = Query(BY_NAME.order_by(retailers.c.id))
RENAME = Command(update(retailers).where(retailers.c.name == bindparam("old")).values(name=bindparam("new")))


async def _found(query: Query, conn: AsyncConnection, parameters: Mapping[str, Any]) -> Any:
    """The first row `query` answers; answering none fails the test."""
    row = await query.first(conn, parameters)
    assert row is not None
    return row


async def _retailer(db: Database, name: str) -> None:
    async with db.write() as conn:
        row = {
            "id": uuid4(),
            "name": name,
            "timezone": "UTC",
            "currency": "USD",
            "culture": "en",
            "created_at": NOW,
        }
        await conn.execute(insert(retailers).values(**row))


async def test_a_query_answers_what_sqlalchemy_answers(db: Database) -> None:
    await _retailer(db, "A")
    await _retailer(db, "A")
    async with db.read() as conn:
        fast = await QUERY.all(conn, {"name": "A"})
        slow = (await conn.execute(QUERY.statement, {"name": "A"})).all()
        none = await QUERY.first(conn, {"name": "nobody"})
    assert [tuple(row) for row in fast] == [tuple(row) for row in slow]
    assert len(fast) == 2
    assert fast[0].created_at == NOW and fast[0].created_at.tzinfo is UTC
    assert fast[0].name == "A" and fast[0].id == slow[0].id
    assert none is None


async def test_a_command_counts_the_rows_it_changed_and_rolls_back_with_its_transaction(db: Database) -> None:
    await _retailer(db, "B")
    async with db.write() as conn:
        assert await RENAME.run(conn, {"old": "B", "new": "C"}) == 1
        assert await RENAME.run(conn, {"old": "B", "new": "C"}) == 0
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            assert await RENAME.run(conn, {"old": "C", "new": "D"}) == 1
            raise RuntimeError("the request failed after its write")
    async with db.read() as conn:
        names = sorted(row.name for row in await Query(select(retailers.c.name)).all(conn, {}))
    assert names == ["C"]


async def test_a_read_transaction_isolates_as_through_sqlalchemy(db: Database) -> None:
    """Two reads of one `db.read()` with a commit elsewhere between them see what the same reads through
    SQLAlchemy see: on SQLite one snapshot (the BEGIN went to the driver with the first read), on
    PostgreSQL its READ COMMITTED default."""
    other = Database(db.url, pool_size=1)
    counts = []
    try:
        for name, fast in (("E", True), ("F", False)):
            await _retailer(db, name)
            async with db.read() as conn:
                if fast:
                    before = len(await QUERY.all(conn, {"name": name}))
                else:
                    before = len((await conn.execute(QUERY.statement, {"name": name})).all())
                await _retailer(other, name)
                if fast:
                    after = len(await QUERY.all(conn, {"name": name}))
                else:
                    after = len((await conn.execute(QUERY.statement, {"name": name})).all())
            counts.append((before, after))
    finally:
        await other.dispose()
    assert counts[0] == counts[1]
    assert counts[0] == ((1, 1) if db.is_sqlite else (1, 2))


async def test_a_lock_wait_on_the_driver_path_is_unavailable(database_url: str) -> None:
    holder = Database(database_url, pool_size=1)
    db = Database(database_url, pool_size=1, timeouts=Timeouts(lock_ms=200))
    try:
        async with holder.write() as held:
            if not holder.is_sqlite:
                await held.execute(text("LOCK TABLE retailers IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(exc.DBAPIError) as caught:
                async with db.write() as conn:
                    await RENAME.run(conn, {"old": "x", "new": "y"})
        expected = "the database is locked by another writer" if db.is_sqlite else "a lock wait timed out"
        assert unavailable(caught.value) == expected
    finally:
        await db.dispose()
        await holder.dispose()


async def test_a_bug_on_the_driver_path_is_not_unavailable(db: Database) -> None:
    broken = Query(select(retailers.c.id).where(text("no_such_column = 1")))
    with pytest.raises(exc.DBAPIError) as caught:
        async with db.read() as conn:
            await broken.all(conn, {})
    assert unavailable(caught.value) is None


async def test_ids_are_decoded_once_and_answer_the_same_past_the_memory_bound(db: Database) -> None:
    """On SQLite, id columns keep the ids they decoded from text (`driver.REMEMBERED_IDS` per column): the
    same id read twice is the same object. On both engines every id reads back as written, also after
    that memory started afresh (asyncpg decodes ids itself: nothing is kept there)."""
    ids = [uuid4() for _ in range(REMEMBERED_IDS + 5)]
    by_id = Query(select(retailers.c.id, retailers.c.name).where(retailers.c.id == bindparam("id")))
    async with db.write() as conn:
        await conn.execute(
            insert(retailers),
            [
                {"id": i, "name": f"r{n}", "timezone": "UTC", "currency": "USD", "culture": "en", "created_at": NOW}
                for n, i in enumerate(ids)
            ],
        )
    async with db.read() as conn:
        first = await _found(by_id, conn, {"id": ids[0]})
        again = await _found(by_id, conn, {"id": ids[0]})
        read = [(await _found(by_id, conn, {"id": i})).id for i in ids]
        last = await _found(by_id, conn, {"id": ids[0]})
    assert first.id == ids[0] and again.id == first.id
    assert (again.id is first.id) is db.is_sqlite
    assert read == ids and all(isinstance(i, UUID) for i in read)
    assert last.id == ids[0] and last.name == "r0"
