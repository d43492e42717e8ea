"""aiosqlite's connection, able to run a transaction's statements on the calling thread.

aiosqlite runs every call on a thread of its own per connection, so each statement is a hand-off: put
on a queue, the thread woken, the answer passed back to the event loop. For the POS hot paths that
hand-off costs several times the statement (an indexed lookup of tens of microseconds), and worse, a
writer holding SQLite's one write lock waits there for the interpreter lock while the event loop runs
other requests. `Database.read(inline=True)` and `write(inline=True)` turn `inline` on for a whole
transaction, BEGIN and COMMIT included: its statements then run on the event loop's thread, as a
synchronous driver would. Only what cannot wait long runs there:
- a reader on WAL never waits for a writer;
- a writer's `BEGIN IMMEDIATE` is first tried without waiting (`begin`): this process's writers already
  take turns (`Database._writer_turn`), so the lock is free unless another process holds it, and only
  then does the BEGIN go to aiosqlite's thread to wait in SQLite's busy handler;
- a `COMMIT` on WAL with `synchronous=NORMAL` appends to the log and syncs nothing; the checkpoint that
  could follow it (copying the log into the database, with a sync) is switched off per connection and
  run by `Database` on aiosqlite's thread instead (`Database._checkpoint_wal`).
Every other transaction (reports, exports, imports) keeps the thread for all it does.

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
    # The busy timeout the connection was opened with (`connect`), restored after a BEGIN that did not wait.
    busy_ms = 0

    async def begin(self, statement: str) -> None:
        """Begin a transaction. Inline, a `BEGIN IMMEDIATE` must not wait on the event loop's thread: it is
        tried with no busy timeout, and when another process holds the write lock it is tried again on
        aiosqlite's thread, where the busy handler may wait the whole timeout."""
        if not (self.inline and statement.endswith("IMMEDIATE")):
            await self._execute(self._conn.execute, statement)
            return
        raw = self._conn
        raw.execute("PRAGMA busy_timeout=0")
        try:
            raw.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorname != "SQLITE_BUSY":
                raise
        finally:
            raw.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        await super()._execute(raw.execute, statement)  # type: ignore[no-untyped-call]

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
    connection.busy_ms = int(busy_seconds * 1000)
    await connection  # starts its thread and opens the database
    return connection
