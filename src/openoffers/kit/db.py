"""Database engine, column types and the unit of work.

One code path for SQLite (the embedded default) and PostgreSQL. On SQLite the driver's own
transaction handling is switched off so that we issue `BEGIN` ourselves: write transactions begin
`IMMEDIATE`, which takes the write lock up front, so concurrent writers (threads or processes) queue
on `busy_timeout` instead of failing with "database is locked" halfway through a request.
"""

from __future__ import annotations

import asyncio
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, Table, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

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


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both engines (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass aware UTC")
        value = value.astimezone(UTC)
        # SQLite compares stored text: keep one canonical, offset-free form so ordering holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _aware_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        """The driver's parse and `process_result_value` as one function: TypeDecorator's own chains two
        calls per value, and a POS wallet read decodes some two hundred timestamps."""
        parse = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if parse is not None:
                value = parse(value)
            return _aware_utc(value)

        return process


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# An autoincrement key on both engines: SQLite only auto-assigns an INTEGER PRIMARY KEY (the rowid).
Serial = BigInteger().with_variant(Integer(), "sqlite")

# JSON that is JSONB on PostgreSQL (indexable, compact) and JSON text elsewhere.
JsonColumn = JSON().with_variant(postgresql.JSONB(), "postgresql")


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

    def __init__(self, url: str, *, pool_size: int = 5, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> None:
        self.url = normalize_url(url)
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
            options["connect_args"] = {"timeout": timeouts.lock_ms / 1000}
        else:
            options["pool_pre_ping"] = True
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
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine, timeouts.lock_ms)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One read-write transaction: committed on success, rolled back on any exception."""
        async with self.engine.connect() as conn:
            await conn.execution_options(openoffers_begin="IMMEDIATE")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot; takes no write lock on SQLite)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

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

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: we emit BEGIN ourselves in `_on_begin`.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("openoffers_begin", "DEFERRED")
        if mode == "DEFERRED":
            # A read transaction's BEGIN takes no lock and reads nothing: it goes to the driver with the
            # transaction's first statement, in the same hand-off to its thread when that statement is a
            # `Query` or `Command` (one hand-off fewer per read request). The snapshot starts at the
            # first read either way.
            conn.info[_PENDING_BEGIN] = "BEGIN DEFERRED"
            return
        # A write transaction takes the write lock now, so writers queue here, before they do anything.
        _begin_now(conn, f"BEGIN {mode}")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_statement(conn: Any, *_: Any) -> None:
        # A statement through SQLAlchemy: its transaction's BEGIN first, on its own.
        begin = conn.info.pop(_PENDING_BEGIN, None)
        if begin is not None:
            _begin_now(conn, begin)

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _on_end(conn: Any) -> None:
        # A transaction that ran no statement never began on the driver: nothing to carry over.
        conn.info.pop(_PENDING_BEGIN, None)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        # What the pool's reset on return does (roll back), skipped when no transaction is open: after a
        # commit or rollback there is none, and asking costs no hand-off (`in_transaction` is read here).
        record.info.pop(_PENDING_BEGIN, None)
        if reset_state.terminate_only:
            return
        if record.driver_connection is None or record.driver_connection.in_transaction:
            dbapi_connection.rollback()


# The BEGIN a SQLite transaction still owes the driver (`_configure_sqlite`), in the connection's info.
_PENDING_BEGIN = "openoffers_pending_begin"


def _begin_now(conn: Any, statement: str) -> None:
    """BEGIN straight on the driver: one hand-off to its thread, where a cursor's open, execute and close
    through SQLAlchemy's adapter were three."""
    try:
        await_only(conn.connection.driver_connection.execute_fetchall(statement, ()))
    except conn.dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy raises it (a busy database is `unavailable`, 503).
        raise exc.DBAPIError.instance(statement, (), error, conn.dialect.loaded_dbapi.Error) from error


@dataclass(frozen=True, slots=True)
class _Plan:
    """A `Query` compiled for one dialect: its SQL text, its parameters in order with their defaults and
    bind processors, and how each result column is decoded."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: dict[str, Callable[[Any], Any]]
    decoders: tuple[tuple[int, Callable[[Any], Any]], ...]
    row: Callable[[Sequence[Any]], Any]
    is_sqlite: bool

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = {**self.defaults, **parameters}
        binds = self.binds
        return [binds[name](values[name]) if name in binds else values[name] for name in self.names]

    def decode(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        decoders, make = self.decoders, self.row
        if not decoders:
            return [make(row) for row in rows]
        decoded = []
        for row in rows:
            values = list(row)
            for index, decoder in decoders:
                values[index] = decoder(values[index])
            decoded.append(make(values))
        return decoded


def _plan(statement: Any, dialect: Dialect, column_keys: list[str] | None = None) -> _Plan | None:
    """`statement` compiled for `dialect`; None when it cannot run on the driver as compiled: expanding
    (IN) parameters, or column defaults SQLAlchemy computes in Python before it executes."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=column_keys)
    if any(bind.expanding for bind in compiled.binds.values()):
        return None
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        return None
    columns = compiled._result_columns
    decoders = []
    for index, column in enumerate(columns):
        decoder = column.type._cached_result_processor(dialect, None)
        if decoder is not None:
            decoders.append((index, decoder))
    row_type = namedtuple("Row", [column.keyname for column in columns])  # type: ignore[misc]
    return _Plan(
        sql=compiled.string,
        names=tuple(compiled.positiontup or ()),
        defaults=compiled.construct_params(_check=False),
        binds=dict(compiled._bind_processors),
        decoders=tuple(decoders),
        row=row_type._make,
        is_sqlite=dialect.name == "sqlite",
    )


def _driver(conn: AsyncConnection, plan: _Plan, arguments: list[Any]) -> Any:
    """The caller's pooled connection, after telling `before_cursor_execute` listeners the statement
    (so statement counts stay honest)."""
    sync = conn.sync_connection
    assert sync is not None
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, plan.sql, arguments, None, False)
    return sync.connection


async def _began(fairy: Any) -> Any:
    """asyncpg's connection, inside the request's transaction: SQLAlchemy's adapter begins it with its
    first statement, so a first statement run here begins it the same way."""
    adapted: Any = fairy.dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    return fairy.driver_connection


class Query:
    """A SELECT (or a statement with RETURNING) built once at import with bind parameters, compiled once
    per dialect, and run straight on the driver inside the caller's transaction: on SQLite one hand-off to
    aiosqlite's thread (execute and fetch together) where SQLAlchemy's adapter makes four (cursor,
    execute, fetch, close), on PostgreSQL asyncpg's prepared statement without the adapter's cursor. Rows
    come back as named tuples (by attribute or position), decoded by the same result processors
    SQLAlchemy would apply; driver errors are raised as SQLAlchemy's (`unavailable` reads them alike).
    `before_cursor_execute` listeners still see the statement, so statement counts stay honest. For the
    POS hot paths; a statement that cannot run this way (`_plan`) runs through SQLAlchemy."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plans: dict[Any, _Plan | None] = {}

    def _plan_for(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> _Plan | None:
        key = conn.dialect.name
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = _plan(self.statement, conn.dialect)
            return plan

    async def all(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> list[Any]:
        """Every row, in the caller's transaction (which must have begun: `Database.read` / `write`)."""
        plan = self._plan_for(conn, parameters)
        if plan is None:
            return list((await conn.execute(self.statement, dict(parameters))).all())
        arguments = plan.arguments(parameters)
        begin = conn.sync_connection.info.pop(_PENDING_BEGIN, None) if plan.is_sqlite else None  # type: ignore[union-attr]
        fairy = _driver(conn, plan, arguments)
        try:
            if plan.is_sqlite:
                [rows] = await _on_sqlite_thread(fairy, begin, [(plan.sql, arguments)], _fetch_all)
            else:
                rows = await (await _began(fairy)).fetch(plan.sql, *arguments)
        except Exception as error:
            raise _as_sqlalchemy_error(conn, fairy, plan.sql, arguments, error) from error
        return plan.decode(rows)

    async def first(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> Any | None:
        rows = await self.all(conn, parameters)
        return rows[0] if rows else None


class Command(Query):
    """An INSERT, UPDATE or DELETE built once, run on the driver like `Query`; `run` answers how many
    rows it changed (what a conditional update decides on). Its SET or VALUES columns may come from the
    parameters' names, as with `conn.execute(statement, parameters)`: one compiled form per set of names."""

    __slots__ = ()

    def _plan_for(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> _Plan | None:
        key = (conn.dialect.name, tuple(parameters))
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = _plan(self.statement, conn.dialect, list(parameters))
            return plan

    async def run(self, conn: AsyncConnection, parameters: Mapping[str, Any]) -> int:
        plan = self._plan_for(conn, parameters)
        if plan is None:
            return int((await conn.execute(self.statement, dict(parameters))).rowcount)
        arguments = plan.arguments(parameters)
        begin = conn.sync_connection.info.pop(_PENDING_BEGIN, None) if plan.is_sqlite else None  # type: ignore[union-attr]
        fairy = _driver(conn, plan, arguments)
        try:
            if plan.is_sqlite:
                [count] = await _on_sqlite_thread(fairy, begin, [(plan.sql, arguments)], _row_count)
                return int(count)
            status = await (await _began(fairy)).execute(plan.sql, *arguments)
        except Exception as error:
            raise _as_sqlalchemy_error(conn, fairy, plan.sql, arguments, error) from error
        # asyncpg answers the command tag: "UPDATE 3", "DELETE 0", "INSERT 0 1".
        return int(status.rsplit(" ", 1)[1])


async def all_of(conn: AsyncConnection, queries: Sequence[tuple[Query, Mapping[str, Any]]]) -> list[list[Any]]:
    """Several independent `Query` reads of one transaction, each one's rows in order: on SQLite in ONE
    hand-off to the driver's thread (with a pending BEGIN), on PostgreSQL one after another."""
    plans = [query._plan_for(conn, parameters) for query, parameters in queries]
    if not conn.dialect.name == "sqlite" or any(plan is None for plan in plans):
        return [await query.all(conn, parameters) for query, parameters in queries]
    runnable = [
        (plan, plan.arguments(parameters)) for plan, (_, parameters) in zip(plans, queries, strict=True) if plan
    ]
    begin = conn.sync_connection.info.pop(_PENDING_BEGIN, None)  # type: ignore[union-attr]
    fairy = None
    for plan, arguments in runnable:
        fairy = _driver(conn, plan, arguments)
    statements = [(plan.sql, arguments) for plan, arguments in runnable]
    try:
        answers = await _on_sqlite_thread(fairy, begin, statements, _fetch_all)
    except Exception as error:
        raise _as_sqlalchemy_error(conn, fairy, statements[-1][0], statements[-1][1], error) from error
    return [plan.decode(rows) for (plan, _), rows in zip(runnable, answers, strict=True)]


def _fetch_all(cursor: Any) -> list[Any]:
    rows: list[Any] = cursor.fetchall()
    return rows


def _row_count(cursor: Any) -> int:
    return int(cursor.rowcount)


async def _on_sqlite_thread(
    fairy: Any, begin: str | None, statements: list[tuple[str, list[Any]]], result: Callable[[Any], Any]
) -> list[Any]:
    """Run the transaction's pending BEGIN (if any) and `statements` in ONE hand-off to aiosqlite's
    thread, each statement's cursor read by `result` there. aiosqlite's public calls make one hand-off
    per statement (and none takes a BEGIN along), so this uses its `_execute`, the one method they all
    go through (aiosqlite is pinned; tests/kit/test_db.py covers this path)."""
    driver = fairy.driver_connection

    def work() -> list[Any]:
        connection = driver._conn
        if begin is not None:
            connection.execute(begin)
        answers = []
        for sql, arguments in statements:
            cursor = connection.execute(sql, arguments)
            try:
                answers.append(result(cursor))
            finally:
                cursor.close()
        return answers

    answers: list[Any] = await driver._execute(work)
    return answers


def _as_sqlalchemy_error(
    conn: AsyncConnection, fairy: Any, sql: str, arguments: list[Any], error: Exception
) -> BaseException:
    """The exception SQLAlchemy would have raised for this driver error."""
    dbapi: Any = conn.dialect.loaded_dbapi
    translated: BaseException = error
    if not isinstance(error, dbapi.Error):
        try:
            # asyncpg's errors: the adapter's translation (with `sqlstate`), as on its own path.
            fairy.dbapi_connection._handle_exception(error)
        except Exception as adapted:
            translated = adapted
    if isinstance(translated, dbapi.Error):
        wrapped: BaseException = exc.DBAPIError.instance(sql, arguments, translated, dbapi.Error)
        return wrapped
    return translated


# INSERT ... ON CONFLICT statements, built once per (kind, dialect, table, conflict target, columns):
# building one and its cache key cost more than running it, and the POS hot paths run several per
# call. The values go in as execute parameters, so one statement serves every row.
_statements: dict[tuple[Any, ...], Any] = {}


def _on_conflict(conn: AsyncConnection, kind: str, table: Table, conflict: list[str], extra: tuple[str, ...]) -> Any:
    dialect = conn.dialect.name
    key = (kind, dialect, table, tuple(conflict), extra)
    statement = _statements.get(key)
    if statement is None:
        base = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        if kind == "update":
            statement = base.on_conflict_do_update(
                index_elements=conflict, set_={name: base.excluded[name] for name in extra}
            )
        else:
            statement = base.on_conflict_do_nothing(index_elements=conflict)
            if kind == "returning":
                statement = statement.returning(table.c[extra[0]])
        _statements[key] = statement
    return statement


_commands: dict[tuple[Any, ...], Command] = {}


def _command(conn: AsyncConnection, kind: str, table: Table, conflict: list[str], extra: tuple[str, ...]) -> Command:
    """`_on_conflict`'s statement as a `Command`, run on the driver (one hand-off on SQLite)."""
    key = (kind, conn.dialect.name, table, tuple(conflict), extra)
    command = _commands.get(key)
    if command is None:
        command = _commands[key] = Command(_on_conflict(conn, kind, table, conflict, extra))
    return command


async def insert_ignore(
    conn: AsyncConnection, table: Table, values: Mapping[str, Any], conflict_columns: list[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    The building block of idempotency: whoever inserts the key owns the work.
    """
    return bool(await _command(conn, "ignore", table, conflict_columns, ()).run(conn, values))


async def upsert(conn: AsyncConnection, table: Table, values: Mapping[str, Any], conflict_columns: list[str]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE: the row is `values` afterwards, whether or not one existed.
    One statement where a delete and an insert would be two; it takes the same row locks."""
    changes = tuple(name for name in values if name not in conflict_columns)
    await _command(conn, "update", table, conflict_columns, changes).run(conn, values)


async def insert_ignore_returning(
    conn: AsyncConnection, table: Table, values: Mapping[str, Any], conflict_columns: list[str], column: str
) -> Any | None:
    """`insert_ignore` that answers the inserted row's `column` (its generated key, say), or None when
    the row existed: one statement where an insert and a read back would be two."""
    row = await _command(conn, "returning", table, conflict_columns, (column,)).first(conn, values)
    return None if row is None else row[0]


# PostgreSQL conditions that mean "not now" rather than "never": a lock or statement timeout, the
# server shutting down or starting, no connection slot, and the connection classes (08...).
_PG_UNAVAILABLE = {"55P03": "a lock wait timed out", "57014": "a statement timed out", "53300": "no connection slot"}
_PG_UNAVAILABLE_CLASSES = {"08": "the connection failed", "57": "the server is shutting down or starting"}


def unavailable(error: BaseException) -> str | None:
    """Why the database could not serve this request in time, or None when `error` means something
    else (a bug, a constraint). Such a request changed nothing: its transaction was rolled back."""
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
