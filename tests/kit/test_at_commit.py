"""kit.at_commit: a write transaction's outbox events go in together just before it commits, and only if
it commits; a connection `Database` did not begin writes them at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from openoffers import events
from openoffers.events import EventType
from openoffers.kit.db import Database
from openoffers.tables.events import outbox_events
from tests.conftest import FrozenClock, Tenant


@contextmanager
def outbox_inserts(db: Database) -> Iterator[list[int]]:
    """How many rows each INSERT INTO outbox_events statement carried, in order."""
    seen: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO outbox_events"):
            seen.append(len(parameters) if many else 1)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def outbox(db: Database) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        rows = await conn.execute(select(outbox_events.c.id, outbox_events.c.type).order_by(outbox_events.c.seq))
    return [tuple(row) for row in rows]


async def count_in(conn: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(outbox_events))).scalar_one())


KINDS = (EventType.USER_OFFER_REDEEMED, EventType.POINTS_EARNED, EventType.TRANSACTION_CLOSED)


async def test_a_write_transactions_events_go_in_in_one_statement_in_order_as_it_commits(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    with outbox_inserts(db) as inserts:
        async with db.write() as conn:
            ids = [
                await events.record(conn, tenant.retailer_id, kind, clock(), "customer", {"n": n})
                for n, kind in enumerate(KINDS)
            ]
            # Deferred: not written yet, so not readable inside the transaction either.
            assert await count_in(conn) == 0
            assert inserts == []
    assert inserts == [3]
    assert await outbox(db) == [(event_id, kind.value) for event_id, kind in zip(ids, KINDS, strict=True)]


async def test_a_rolled_back_transaction_writes_none_of_its_events_then_or_later(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await events.record(conn, tenant.retailer_id, KINDS[0], clock(), "customer", {})
            raise RuntimeError("the use case failed")
    assert await outbox(db) == []
    # The next transactions (on the pool's connections) carry only their own.
    for _ in range(6):
        async with db.write() as conn:
            last = await events.record(conn, tenant.retailer_id, KINDS[1], clock(), "customer", {})
    rows = await outbox(db)
    assert len(rows) == 6 and rows[-1] == (last, KINDS[1].value)
    assert {kind for _, kind in rows} == {KINDS[1].value}


async def test_a_connection_database_did_not_begin_writes_its_event_at_once(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    async with db.engine.begin() as conn:
        event_id = await events.record(conn, tenant.retailer_id, KINDS[0], clock(), "customer", {})
        assert await count_in(conn) == 1
    assert await outbox(db) == [(event_id, KINDS[0].value)]
