"""Database engine and the unit of work (the column types are `kit.columns`).

One code path for SQLite (the embedded default) and PostgreSQL. On SQLite the driver's own
transaction handling is switched off so that we issue `BEGIN` ourselves: write transactions begin
`IMMEDIATE`, which takes the write lock up front, so concurrent writers (threads or processes) queue
on `busy_timeout` instead of failing with "database is locked" halfway through a request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import msgspec
from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.ext.asyncio.base import _run_to_completion
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import greenlet_spawn

from openoffers.kit import at_commit, inline_sqlite
from openoffers.kit.driver import PENDING_BEGIN, begin_now

log = logging.getLogger("openoffers.db")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long the database may keep a request waiting. Past these a request fails fast with 503
    `UNAVAILABLE` (see `unavailable`) instead of queueing behind a stalled database: the bound a client
    waits is at most `pool_ms` plus `statement_ms` (`lock_ms` when it waits for a lock)."""

    # For a free connection of this process's pool.
    pool_ms: int = 2_000
    # For a lock: PostgreSQL's `lock_timeout`; on SQLite the busy timeout, which is how long a writer
    # waits for the database's one write lock (writers queue there, so it allows for a burst).
    lock_ms: int = 5_000
    # PostgreSQL's `statement_timeout`: the longest any one statement may run.
    statement_ms: int = 10_000


DEFAULT_TIMEOUTS = Timeouts()

# How often a SQLite process checkpoints its write-ahead log, at most (`Database._checkpoint_wal`).
CHECKPOINT_SECONDS = 1.0
# How much of a SQLite database is read through a memory map (address space, not memory: the pages
# are the OS's file cache).
SQLITE_MMAP_BYTES = 1 << 30
# A PostgreSQL connection idle in the pool this long is pinged before it is used (`_configure_postgresql`).
PING_AFTER_IDLE_SECONDS = 1.0


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def normalize_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async drivers."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """The engine plus the unit of work. Services open exactly one transaction per request."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
        ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
    ) -> None:
        self.url = normalize_url(url)
        self.checkpoint_seconds = checkpoint_seconds
        self._checkpoint_busy = False
        self._checkpointed_at = -math.inf
        self.is_sqlite = self.url.startswith("sqlite")
        self.timeouts = timeouts
        options: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_timeout": timeouts.pool_ms / 1000,
        }
        if self.is_sqlite:
            # Returned connections are rolled back by `_configure_sqlite`'s reset, only when a transaction
            # is open: the pool's own reset hands a rollback to the driver's thread on every return.
            options["pool_reset_on_return"] = None
            database = make_url(self.url).database
            if not database or database == ":memory:":
                raise ValueError("use a SQLite file, not an in-memory database: it is shared by connections")
            # aiosqlite's connection as `kit.inline_sqlite` makes it, so a transaction may run inline.
            options["async_creator"] = partial(inline_sqlite.connect, database, busy_seconds=timeouts.lock_ms / 1000)
        else:
            options["connect_args"] = {
                # Connecting to a server that does not answer gives up like a full pool does.
                "timeout": max(timeouts.pool_ms / 1000, 1.0),
                # The client's own limit, a little beyond the server's, for a server that stops answering.
                "command_timeout": timeouts.statement_ms / 1000 + 2,
                "server_settings": {
                    "statement_timeout": str(timeouts.statement_ms),
                    "lock_timeout": str(timeouts.lock_ms),
                },
            }
        # JSON columns (stored checks, replies, event data) through msgspec: a closing check writes
        # several, and the standard library's encoder was a tenth of its time.
        options["json_serializer"] = _json_text
        options["json_deserializer"] = msgspec.json.decode
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        # One per event loop: a Database outlives the loop of a test or a CLI command.
        self._writer_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine, timeouts.lock_ms)
        else:
            _configure_postgresql(self.engine, ping_after_idle_seconds)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self, *, inline: bool = False) -> AsyncIterator[AsyncConnection]:
        """One read-write transaction: committed on success, rolled back on any exception.

        `inline`: the caller's statements are all short, indexed ones (the POS hot paths); on SQLite
        they then run on the event loop's thread (`kit.inline_sqlite`), BEGIN and COMMIT included."""
        async with self._writer_turn(), self._transaction("IMMEDIATE", inline) as conn:
            yield conn
        if self.is_sqlite:
            await self._checkpoint_wal()

    @asynccontextmanager
    async def read(self, *, inline: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction: on SQLite one snapshot from its first read (and no write lock). `inline`
        as for `write`; on PostgreSQL an inline read (the POS's Lookup) runs its statements in autocommit,
        without a BEGIN and a COMMIT, two round trips that bought nothing: under READ COMMITTED each
        statement sees what was committed when it began, inside a transaction or not."""
        async with self._transaction(None, inline) as conn:
            yield conn

    @asynccontextmanager
    async def _transaction(self, begin: str | None, inline: bool) -> AsyncIterator[AsyncConnection]:
        """A pooled connection in a transaction, as `engine.connect()` then `conn.begin()` give it, in two
        hops into SQLAlchemy's greenlet (one to check out and begin, one to end and check in) where those
        make four or five, each costing more than an indexed statement. SQLAlchemy also closes its
        `AsyncConnection` in a task of its own, so that a cancellation cannot leave the connection half
        returned: a turn of the event loop per transaction. That is kept where ending can wait (on a
        server, or on aiosqlite's thread). An inline SQLite transaction, and a PostgreSQL read in
        autocommit (nothing to commit or roll back on the server), end without ever yielding to the loop,
        so nothing can cancel them midway, and they end in place. `begin`: SQLite's BEGIN mode."""
        autocommit = inline and begin is None and not self.is_sqlite
        inline = inline and self.is_sqlite
        sync = await greenlet_spawn(_begin, self.engine.sync_engine, begin, inline, autocommit)
        in_place = inline or autocommit
        try:
            conn = AsyncConnection(self.engine, sync)
            if begin is None:
                yield conn
            else:
                # A write's deferred writes (`kit.at_commit`: outbox events) go in just before COMMIT.
                with at_commit.collecting(sync) as deferred:
                    yield conn
                    await at_commit.flush(deferred, conn)
        except BaseException:
            await _finish(sync, inline, in_place, commit=False)
            raise
        await _finish(sync, inline, in_place, commit=True)

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        """On SQLite, this process's writers take turns in arrival order before asking for the write lock.

        SQLite has one write lock, and a connection that finds it taken waits in the driver's busy
        handler, which sleeps and polls with growing naps: under a burst of writers the lock sits idle
        between a commit and the next poll, and an unlucky writer keeps missing it (seconds at the p99
        while the p50 is milliseconds). Queueing here first leaves the busy handler only the other
        processes to wait for, holds no pooled connection while waiting, and is bounded like that wait.
        """
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        gate = self._writer_gates.get(loop)
        if gate is None:
            gate = self._writer_gates[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self.timeouts.lock_ms / 1000):
                await gate.acquire()
        except TimeoutError:
            raise WriterQueueTimeout from None
        try:
            yield
        finally:
            gate.release()

    async def _checkpoint_wal(self) -> None:
        """After a write on SQLite: copy the write-ahead log into the database file (a PASSIVE checkpoint:
        it waits for no reader or writer) on aiosqlite's thread, at most once per `checkpoint_seconds`.

        SQLite would otherwise checkpoint inside whichever COMMIT crosses 1,000 pages of log, syncing the
        file on the event loop's thread when that COMMIT runs inline; connections are opened with that
        automatic checkpoint off (`_configure_sqlite`). The write that finds a checkpoint due waits for it
        after its transaction, its writer turn and its connection are released. Between checkpoints the log
        grows by at most what this process writes in `checkpoint_seconds`; other processes checkpoint their
        own writes, and the last connection to close checkpoints what is left."""
        now = time.monotonic()
        if self._checkpoint_busy or now - self._checkpointed_at < self.checkpoint_seconds:
            return
        self._checkpoint_busy, self._checkpointed_at = True, now
        try:
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert isinstance(driver, inline_sqlite.Connection)
                await driver.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as error:  # the write has committed; a checkpoint not made now is made next time
            log.warning("WAL checkpoint skipped: %s: %s", type(error).__name__, error)
        finally:
            self._checkpoint_busy = False

    async def problem(self, deadline_seconds: float) -> str | None:
        """What keeps the database from answering a trivial query within the deadline, or None when
        it answers: for a health probe, which must itself answer promptly whatever the database does."""
        connected = False
        try:
            async with asyncio.timeout(deadline_seconds), self.engine.connect() as conn:
                connected = True
                await conn.execute(text("SELECT 1"))
        except TimeoutError:
            if connected:
                return f"SELECT 1 did not finish within {deadline_seconds:g} s"
            return f"no database connection was free within {deadline_seconds:g} s"
        except Exception as error:
            return unavailable(error) or f"the database failed: {type(error).__name__}"
        return None

    def connections_in_use(self) -> int:
        checked_out: int = self.engine.pool.checkedout()  # type: ignore[attr-defined]
        return checked_out

    async def warm(self) -> None:
        """Open the pool's connections now, before the first requests need them.

        The pool opens connections lazily. Under steady load an inline POS call never yields while it holds
        one, so a single connection served everything. When a background task (the webhook worker, the
        housekeeper) then took that connection, each request arriving meanwhile found the pool empty and
        opened a connection of its own, all at once. Opening one hands off to a thread (SQLite) or a
        server (PostgreSQL) while the event loop is busy, so those requests waited 50-650 ms, and that
        wait was the p99 of the POS benchmarks (docs/BENCHMARKS.md). With the pool full from the start, a
        request finds an idle connection. A database that cannot be reached now is not fatal: the server
        starts, the pool fills as requests come, and requests get the usual `unavailable` answer."""
        size: int = self.engine.pool.size()  # type: ignore[attr-defined]
        opened: list[AsyncConnection] = []
        try:
            for _ in range(size):
                opened.append(await self.engine.connect())
        except (exc.DBAPIError, OSError, TimeoutError) as error:
            log.warning("could not open the pool's connections at start: %s", error)
        finally:
            for conn in opened:
                await conn.close()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _driver_of(sync: Connection) -> inline_sqlite.Connection:
    driver = sync.connection.driver_connection
    assert isinstance(driver, inline_sqlite.Connection)
    return driver


def _begin(engine: Engine, begin: str | None, inline: bool, autocommit: bool) -> Connection:
    """In SQLAlchemy's greenlet: check a connection out, set how its transaction begins and whether it
    runs inline, and begin it (on SQLite, a write's BEGIN IMMEDIATE goes to the driver here).
    `autocommit` (PostgreSQL): no BEGIN and COMMIT at all (the pool puts the level back on check-in)."""
    sync = engine.connect()
    try:
        if begin is not None:
            sync.execution_options(openoffers_begin=begin)
        if autocommit:
            sync.execution_options(isolation_level="AUTOCOMMIT")
        if inline:
            _driver_of(sync).inline = True
        sync.begin()
    except BaseException:
        _end(sync, inline, commit=False)
        raise
    return sync


def _end(sync: Connection, inline: bool, *, commit: bool) -> None:
    """In SQLAlchemy's greenlet: commit (or roll back) inline when the transaction ran inline, then check
    the connection in (a failed commit is rolled back by the pool's reset, on the driver's thread)."""
    try:
        if commit:
            sync.commit()
        else:
            sync.rollback()
    finally:
        try:
            if inline:
                _driver_of(sync).inline = False
        finally:
            sync.close()


async def _finish(sync: Connection, inline: bool, in_place: bool, *, commit: bool) -> None:
    ending = greenlet_spawn(_end, sync, inline, commit=commit)
    if in_place:
        await ending
    else:
        # As `AsyncConnection.__aexit__` does: to the end in a task of its own, even when cancelled.
        await _run_to_completion(ending)


# When a pooled PostgreSQL connection was last given back (`_configure_postgresql`), in its record's info.
_IDLE_SINCE = "openoffers_idle_since"


def _configure_postgresql(engine: AsyncEngine, ping_after_idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's `pool_pre_ping` pings on every check-out, and on asyncpg outside a transaction that
    ping is a BEGIN, a query and a ROLLBACK: three round trips before every request's first statement.
    A connection that was in use a moment ago is almost surely alive; one that sat idle may have been
    cut (a server restart, a proxy's idle timeout), so it answers a one-round-trip ping first, and a
    failed ping makes the pool replace it (`DisconnectionError`, as SQLAlchemy's recipe does). A server
    restart can still fail the requests on connections used within the last `ping_after_idle_seconds`;
    their disconnect error makes SQLAlchemy replace every connection of the pool, and they answer 503
    (`unavailable`: "the database connection was lost"), which POS calls may retry."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle_seconds:
            return
        try:
            await_only(record.driver_connection.fetchrow(";"))
        except Exception as error:
            raise exc.DisconnectionError(f"the idle connection did not answer a ping: {error}") from error

    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: we emit BEGIN ourselves in `_on_begin`.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # No checkpoint inside a COMMIT (it may run on the event loop's thread): `Database._checkpoint_wal`.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Read the database through a memory map (`SQLITE_MMAP_BYTES`): the pages a Lookup reads
        # come straight from the OS's cache, shared by every connection, without a read() and a copy
        # each; SQLite's own cache per connection is 2 MB, which a big database's index pages overflow.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("openoffers_begin", "DEFERRED")
        if mode == "DEFERRED":
            # A read transaction's BEGIN takes no lock and reads nothing: it goes to the driver with the
            # transaction's first statement, in the same hand-off to its thread when that statement is a
            # `Query` or `Command` (one hand-off fewer per read request). The snapshot starts at the
            # first read either way.
            conn.info[PENDING_BEGIN] = "BEGIN DEFERRED"
            return
        # A write transaction takes the write lock now, so writers queue here, before they do anything.
        begin_now(conn, f"BEGIN {mode}")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_statement(conn: Any, *_: Any) -> None:
        # A statement through SQLAlchemy: its transaction's BEGIN first, on its own.
        begin = conn.info.pop(PENDING_BEGIN, None)
        if begin is not None:
            begin_now(conn, begin)

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _on_end(conn: Any) -> None:
        # A transaction that ran no statement never began on the driver: nothing to carry over.
        conn.info.pop(PENDING_BEGIN, None)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        # What the pool's reset on return does (roll back), skipped when no transaction is open: after a
        # commit or rollback there is none, and asking costs no hand-off (`in_transaction` is read here).
        record.info.pop(PENDING_BEGIN, None)
        if reset_state.terminate_only:
            return
        if record.driver_connection is None or record.driver_connection.in_transaction:
            dbapi_connection.rollback()


# The BEGIN a SQLite transaction still owes the driver (`_configure_sqlite`), in the connection's info.
_PG_UNAVAILABLE = {"55P03": "a lock wait timed out", "57014": "a statement timed out", "53300": "no connection slot"}
_PG_UNAVAILABLE_CLASSES = {"08": "the connection failed", "57": "the server is shutting down or starting"}


class WriterQueueTimeout(Exception):
    """A SQLite writer waited its process's queue (`Database._writer_turn`) past the lock timeout."""


def unavailable(error: BaseException) -> str | None:
    """Why the database could not serve this request in time, or None when `error` means something
    else (a bug, a constraint). Such a request changed nothing: its transaction was rolled back."""
    if isinstance(error, WriterQueueTimeout):
        return "the database is locked by another writer"
    if isinstance(error, exc.TimeoutError):
        return "no database connection was free in time"
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return "the database connection was lost"
        sqlstate = getattr(error.orig, "sqlstate", None)
        if isinstance(sqlstate, str):
            return _PG_UNAVAILABLE.get(sqlstate) or _PG_UNAVAILABLE_CLASSES.get(sqlstate[:2])
        if getattr(error.orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return "the database is locked by another writer"  # SQLite's busy timeout ran out
        return None
    # asyncpg raises these itself, untranslated: its client-side timeout and a refused connection.
    if isinstance(error, TimeoutError):
        return "the database did not answer in time"
    if isinstance(error, ConnectionError):
        return "the database refused the connection"
    return None
