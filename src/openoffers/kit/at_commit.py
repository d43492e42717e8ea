"""Writes a transaction leaves for just before its COMMIT, made together.

A closing check writes three outbox events (the offer redeemed, the points earned, the check closed),
each from its one writer deep in its own module. Inserted as they happen they are three statements;
collected here and inserted in one call just before COMMIT they are one (one round trip on PostgreSQL).
What is deferred is written inside the same transaction, so it still commits or rolls back with the
change it describes; a rollback drops it unwritten.

Only a write transaction `kit.db.Database` began defers: its `_transaction` opens the collection
(`collecting`) and runs it before committing (`flush`). Elsewhere (a connection a test or a script
began itself, another transaction of the same task) `pending` answers None and the caller writes now.
Nothing may read a deferred row back in the transaction that wrote it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

Flush = Callable[[AsyncConnection, list[Any]], Awaitable[None]]


@dataclass(slots=True)
class Deferred:
    """One transaction's deferred items, by the `Flush` that writes them (in the order first deferred)."""

    sync: Connection
    items: dict[Flush, list[Any]] = field(default_factory=dict)


_current: ContextVar[Deferred | None] = ContextVar("openoffers_at_commit", default=None)


@contextmanager
def collecting(sync: Connection) -> Iterator[Deferred]:
    """While the block runs, the task's writes on `sync` may be deferred to `flush`."""
    token = _current.set(Deferred(sync))
    try:
        deferred = _current.get()
        assert deferred is not None
        yield deferred
    finally:
        _current.reset(token)


def pending(conn: AsyncConnection, flush: Flush) -> list[Any] | None:
    """The list to append this transaction's deferred items to, which `flush(conn, items)` writes just
    before COMMIT; None when `conn` is not in a write transaction `Database` began in this task."""
    deferred = _current.get()
    if deferred is None or deferred.sync is not conn.sync_connection:
        return None
    items = deferred.items.get(flush)
    if items is None:
        items = deferred.items[flush] = []
    return items


async def flush(deferred: Deferred, conn: AsyncConnection) -> None:
    """Write what was deferred, each kind in one call; what a flush defers meanwhile is written too."""
    while deferred.items:
        writer, items = next(iter(deferred.items.items()))
        del deferred.items[writer]
        await writer(conn, items)
