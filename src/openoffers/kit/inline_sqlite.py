"""aiosqlite's connection, able to run a transaction's statements on the calling thread.

aiosqlite runs every call on a thread of its own per connection, so each statement is a hand-off: put
on a queue, the thread woken, the answer passed back to the event loop. For the POS hot paths that
hand-off costs several times the statement (an indexed lookup of tens of microseconds), and a closing
check makes thirty of them while it holds SQLite's one write lock. `Database.read(inline=True)` and
`write(inline=True)` turn `inline` on for a transaction's statements: they then run on the event loop's
thread, as a synchronous driver would. Only what cannot wait long runs there: a reader on WAL never
waits for a writer, and a writer's statements run after its `BEGIN IMMEDIATE` has the lock. That
`BEGIN` and a write's `COMMIT` (which may checkpoint the WAL to disk) stay on aiosqlite's thread,
and every other transaction (reports, exports, imports) keeps the thread for all it does.

This relies on aiosqlite's `_execute`, the one method all its calls go through (kit/driver.py relies on
it too; aiosqlite is pinned, and tests/kit/test_db.py covers both paths).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


class Connection(aiosqlite.Connection):
    # On while a transaction that asked for it runs its statements (`Database.read/write(inline=True)`).
    inline = False

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.inline and self._connection is not None:
            # The worker thread is idle: every call on a connection is awaited before the next is made.
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


async def connect(path: str, *, busy_seconds: float) -> Connection:
    """What `aiosqlite.connect` makes, as this class; used as SQLAlchemy's `async_creator`. The
    connection is shared between aiosqlite's thread and the event loop's, hence `check_same_thread`
    off (SQLAlchemy sets the same), with calls never overlapping."""
    connection = Connection(partial(sqlite3.connect, path, timeout=busy_seconds, check_same_thread=False), 64)
    # As SQLAlchemy does for aiosqlite: a connection left open must not keep the process alive.
    connection._thread.daemon = True
    await connection  # starts its thread and opens the database
    return connection
