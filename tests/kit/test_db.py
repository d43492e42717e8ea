"""kit.db: every wait on the database is bounded, and running out of time is told apart from a bug."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url

from openoffers.app import create_app
from openoffers.kit.db import SQLITE_MMAP_BYTES, Database, Timeouts, WriterQueueTimeout, unavailable
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


async def test_sqlite_writers_of_one_process_take_turns_in_order_and_give_up_in_time(sqlite_url: str) -> None:
    """`Database.write` queues a process's SQLite writers before the write lock: they go in arrival
    order, and one that waits past the lock timeout fails as `unavailable` (a 503), having written
    nothing."""
    db = Database(sqlite_url, pool_size=2, timeouts=Timeouts(pool_ms=2_000, lock_ms=300, statement_ms=3_000))
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE turns (who TEXT)"))
            order.append("first")
            holding.set()
            await release.wait()

    async def later(name: str) -> None:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO turns VALUES (:who)"), {"who": name})
            order.append(name)

    try:
        holder = asyncio.create_task(first())
        await holding.wait()
        with pytest.raises(WriterQueueTimeout) as waited:
            await later("too late")
        assert unavailable(waited.value) == "the database is locked by another writer"
        queued = [asyncio.create_task(later(name)) for name in ("second", "third")]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(holder, *queued)
        async with db.read() as conn:
            stored = [row.who for row in await conn.execute(text("SELECT who FROM turns ORDER BY rowid"))]
    finally:
        await db.dispose()
    assert order == ["first", "second", "third"]
    assert stored == ["second", "third"]


class Ticks:
    """Counts the event loop's turns (`every=0`) or its ticks of a period, while `run` runs as a task:
    what shows whether the loop stood still."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.count = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.count += 1


async def test_an_inline_sqlite_writer_waits_for_another_process_off_the_event_loop(sqlite_url: str) -> None:
    """`write(inline=True)` tries BEGIN IMMEDIATE without waiting; when another process (here another
    engine's connection) holds the write lock it waits on aiosqlite's thread, so the event loop keeps
    running, and it writes once the lock is free; past the lock timeout it fails as `unavailable`, having
    written nothing. Either way the connection gets its busy timeout back."""
    holder = Database(sqlite_url, pool_size=1)
    db = Database(sqlite_url, pool_size=1, timeouts=Timeouts(pool_ms=2_000, lock_ms=1_500, statement_ms=3_000))
    ticks = Ticks(every=0.01)

    async def hold(seconds: float) -> None:
        async with holder.write() as conn:
            await conn.execute(text("INSERT INTO waits VALUES ('holder')"))
            holding.set()
            await asyncio.sleep(seconds)

    try:
        async with holder.write() as conn:
            await conn.execute(text("CREATE TABLE waits (who TEXT)"))
        counting = asyncio.create_task(ticks.run())
        holding = asyncio.Event()
        held = asyncio.create_task(hold(0.4))
        await holding.wait()
        before = ticks.count
        async with db.write(inline=True) as conn:
            # The holder has committed and let go by now: this writer began after it.
            await conn.execute(text("INSERT INTO waits VALUES ('inline')"))
        assert ticks.count - before >= 10, "the event loop stood still while the writer waited"
        await held
        holding = asyncio.Event()
        held = asyncio.create_task(hold(2.5))
        await holding.wait()
        with pytest.raises(exc.OperationalError) as caught:
            async with db.write(inline=True) as conn:
                await conn.execute(text("INSERT INTO waits VALUES ('too late')"))
        assert unavailable(caught.value) == "the database is locked by another writer"
        await held
        counting.cancel()
        async with db.read() as conn:
            stored = [row.who for row in await conn.execute(text("SELECT who FROM waits ORDER BY rowid"))]
            raw = await conn.get_raw_connection()
            assert raw.driver_connection is not None
            [(busy_ms,)] = await raw.driver_connection.execute_fetchall("PRAGMA busy_timeout")
    finally:
        await db.dispose()
        await holder.dispose()
    assert stored == ["holder", "inline", "holder"]
    assert busy_ms == 1_500


async def test_sqlite_checkpoints_its_log_after_a_write_at_most_once_per_interval(sqlite_url: str) -> None:
    """Connections never checkpoint inside a COMMIT (it may run on the event loop); `Database.write`
    checkpoints after the write instead, at most once per `checkpoint_seconds`. What is checkpointed
    is in the database file itself, which a reader that ignores the log (`immutable=1`) sees."""
    path = make_url(sqlite_url).database

    def in_the_file() -> list[str]:
        with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as raw:
            return [who for (who,) in raw.execute("SELECT who FROM marks ORDER BY rowid")]

    rarely = Database(sqlite_url, pool_size=1, checkpoint_seconds=3600)
    try:
        async with rarely.write(inline=True) as conn:
            await conn.execute(text("CREATE TABLE marks (who TEXT)"))
        assert in_the_file() == []  # the first write checkpoints: the table is in the file
        for who in ("a", "b"):
            async with rarely.write(inline=True) as conn:
                await conn.execute(text("INSERT INTO marks VALUES (:who)"), {"who": who})
        assert in_the_file() == []  # within the hour: still only in the log
        async with rarely.read() as conn:
            assert [row.who for row in await conn.execute(text("SELECT who FROM marks"))] == ["a", "b"]
            raw = await conn.get_raw_connection()
            assert raw.driver_connection is not None
            assert await raw.driver_connection.execute_fetchall("PRAGMA wal_autocheckpoint") == [(0,)]
            # And read through a memory map (a big database's pages from the OS's cache).
            assert await raw.driver_connection.execute_fetchall("PRAGMA mmap_size") == [(SQLITE_MMAP_BYTES,)]
    finally:
        await rarely.dispose()  # the last connection to close checkpoints the rest
    assert in_the_file() == ["a", "b"]
    often = Database(sqlite_url, pool_size=1, checkpoint_seconds=0)
    try:
        async with often.write(inline=True) as conn:
            await conn.execute(text("INSERT INTO marks VALUES ('c')"))
        assert in_the_file() == ["a", "b", "c"]
        async with often.write() as conn:
            await conn.execute(text("INSERT INTO marks VALUES ('d')"))
        assert in_the_file() == ["a", "b", "c", "d"]
    finally:
        await often.dispose()


async def _read_slowly(db: Database) -> None:
    async with db.read(inline=True) as conn:
        await conn.execute(text("SELECT pg_sleep(5)"))


async def test_a_transaction_gives_its_connection_back_however_it_ends(database_url: str) -> None:
    """`read` and `write` (inline or not) check their connection out and in themselves: committed on
    success, rolled back on an error or a cancellation, and the pool has it back every time."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE ends (who TEXT)"))
        for inline in (False, True):
            async with db.write(inline=inline) as conn:
                await conn.execute(text("INSERT INTO ends VALUES (:who)"), {"who": f"kept {inline}"})
            assert db.connections_in_use() == 0
            with pytest.raises(ZeroDivisionError):
                async with db.write(inline=inline) as conn:
                    await conn.execute(text("INSERT INTO ends VALUES ('failed')"))
                    1 / 0  # noqa: B018
            assert db.connections_in_use() == 0
            with pytest.raises(ZeroDivisionError):
                async with db.read(inline=inline) as conn:
                    await conn.execute(text("SELECT 1"))
                    1 / 0  # noqa: B018
            assert db.connections_in_use() == 0

        started = asyncio.Event()

        async def cancelled_midway() -> None:
            async with db.write() as conn:
                await conn.execute(text("INSERT INTO ends VALUES ('cancelled')"))
                started.set()
                await asyncio.sleep(30)

        task = asyncio.create_task(cancelled_midway())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert db.connections_in_use() == 0
        if not db.is_sqlite:
            # A Lookup's read (autocommit, ended in place) cancelled while the server works on it.
            reading = asyncio.create_task(_read_slowly(db))
            await asyncio.sleep(0.2)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            assert db.connections_in_use() == 0
        async with db.read(inline=True) as conn:
            stored = [row.who for row in await conn.execute(text("SELECT who FROM ends ORDER BY who"))]
    finally:
        async with db.write() as conn:  # the PostgreSQL database is the other tests' too
            await conn.execute(text("DROP TABLE IF EXISTS ends"))
        await db.dispose()
    assert stored == ["kept False", "kept True"]


async def test_an_inline_sqlite_transaction_never_yields_to_the_event_loop(sqlite_url: str) -> None:
    """An inline transaction (the POS's) holds SQLite's write lock from its BEGIN to its COMMIT: nothing
    in it may hand the event loop to other requests meanwhile, nor on its way out (SQLAlchemy's own
    `AsyncConnection` ends in a task of its own, a turn of the loop). Counted by a task that runs once
    per turn; a write that finds a checkpoint due hands that to aiosqlite's thread, hence the hour."""
    db = Database(sqlite_url, pool_size=1, checkpoint_seconds=3600)
    turns = Ticks(every=0)

    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE turns (n INTEGER)"))
        counting = asyncio.create_task(turns.run())
        await asyncio.sleep(0)
        before = turns.count
        for n in range(5):
            async with db.write(inline=True) as conn:
                await conn.execute(text("INSERT INTO turns VALUES (:n)"), {"n": n})
            async with db.read(inline=True) as conn:
                await conn.execute(text("SELECT count(*) FROM turns"))
        during = turns.count - before
        async with db.read() as conn:  # off the loop: its statement waits on aiosqlite's thread
            count = (await conn.execute(text("SELECT count(*) FROM turns"))).scalar_one()
        counting.cancel()
    finally:
        await db.dispose()
    assert during == 0
    assert turns.count - before > 0
    assert count == 5


async def _backend_pid(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(database_url: str, pid: int) -> None:
    killer = Database(database_url, pool_size=1)
    try:
        async with killer.read() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar_one()
    finally:
        await killer.dispose()


async def test_a_postgresql_connection_idle_a_while_is_pinged_and_replaced_when_cut(database_url: str) -> None:
    """A pooled connection cut while idle (a server restart, a proxy's timeout) is found by the ping it
    gets before use and replaced: the request never sees it. One used a moment ago is not pinged, so
    its first request fails as `unavailable` (503; the pool then replaces it) and the next is served."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server connection to lose")
    pinged = Database(database_url, pool_size=1, ping_after_idle_seconds=0)
    trusted = Database(database_url, pool_size=1, ping_after_idle_seconds=3600)
    try:
        first = await _backend_pid(pinged)
        await _terminate(database_url, first)
        for inline in (False, True):
            async with pinged.read(inline=inline) as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        assert await _backend_pid(pinged) != first

        cut = await _backend_pid(trusted)
        await _terminate(database_url, cut)
        with pytest.raises(exc.DBAPIError) as caught:
            async with trusted.read() as conn:
                await conn.execute(text("SELECT 1"))
        assert unavailable(caught.value) == "the database connection was lost"
        assert trusted.connections_in_use() == 0
        assert await _backend_pid(trusted) != cut
    finally:
        await pinged.dispose()
        await trusted.dispose()


async def test_an_inline_postgresql_read_sends_no_begin_and_no_commit(database_url: str) -> None:
    """Lookup's reads run in autocommit on PostgreSQL (each statement is its own snapshot under READ
    COMMITTED either way); every other transaction keeps its BEGIN and COMMIT, and the connection goes
    back to the pool at its usual isolation level."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's read transactions cost no round trip")
    db = Database(database_url, pool_size=1)
    try:
        async with db.read(inline=True) as conn:
            # now() is the time the statement's transaction began: a new one per statement in autocommit.
            inline_starts = [(await conn.execute(text("SELECT now()"))).scalar_one() for _ in range(2)]
            raw = await conn.get_raw_connection()
            assert raw.driver_connection is not None
            inline_in_transaction = raw.driver_connection.is_in_transaction()
        async with db.read() as conn:
            starts = [(await conn.execute(text("SELECT now()"))).scalar_one() for _ in range(2)]
            raw = await conn.get_raw_connection()
            assert raw.driver_connection is not None
            in_transaction = raw.driver_connection.is_in_transaction()
            level = (await conn.execute(text("SHOW transaction_isolation"))).scalar_one()
    finally:
        await db.dispose()
    assert inline_in_transaction is False
    assert inline_starts[0] < inline_starts[1]
    assert in_transaction is True
    assert starts[0] == starts[1]
    assert level == "read committed"


def _connects(db: Database) -> list[int]:
    """How many connections the pool opens from now on (one entry each)."""
    opened: list[int] = []
    event.listen(db.engine.sync_engine.pool, "connect", lambda *_: opened.append(1))
    return opened


async def test_warm_opens_the_whole_pool_before_the_first_request(database_url: str) -> None:
    db = Database(database_url, pool_size=3)
    try:
        opened = _connects(db)
        await db.warm()
        assert len(opened) == 3
        pool = db.engine.sync_engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (3, 0)  # type: ignore[attr-defined]
        # Three transactions at once, as requests arriving while one is busy: none opens a connection.
        async with db.read() as a, db.read() as b, db.read() as c:
            for conn in (a, b, c):
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert len(opened) == 3
    finally:
        await db.dispose()


async def test_warm_on_a_database_it_cannot_open_gives_up_without_failing(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'x.db'}", pool_size=2)
    before = set(threading.enumerate())
    try:
        await db.warm()
        # aiosqlite stops the thread of a connection that failed to open by itself, and that thread
        # answers on this event loop: let it end while the loop still runs (else it reports the loop
        # closed, in whatever test runs next).
        for thread in set(threading.enumerate()) - before:
            await asyncio.to_thread(thread.join, 10)
        pool = db.engine.sync_engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (0, 0)  # type: ignore[attr-defined]
    finally:
        await db.dispose()


async def _lifespan(app: Any, then: Callable[[], Awaitable[None]]) -> None:
    """Run the ASGI lifespan of `app` around `then()`, as a server does."""
    messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    answers: list[str] = []
    await messages.put({"type": "lifespan.startup"})

    async def receive() -> dict[str, str]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        answers.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            await then()
            await messages.put({"type": "lifespan.shutdown"})

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert answers == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_an_app_owning_its_database_fills_the_pool_at_startup(database_url: str) -> None:
    settings = Settings(database_url=database_url, db_pool_size=3, webhook_poll_ms=0, maintenance_interval_seconds=0)
    app = create_app(settings)
    db: Database = app.state["ctx"].db
    seen: list[tuple[int, int]] = []

    async def started() -> None:
        seen.append((db.engine.sync_engine.pool.checkedin(), db.engine.sync_engine.pool.checkedout()))  # type: ignore[attr-defined]

    await _lifespan(app, started)
    assert seen == [(3, 0)]
