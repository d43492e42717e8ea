"""Statements run straight on the driver, inside the unit of work `kit.db.Database` opens.

The POS hot paths build their statements once at import and run them here: on SQLite one hand-off to
aiosqlite's thread per statement (SQLAlchemy's adapter makes several), on PostgreSQL asyncpg's prepared
statement. A read transaction's `BEGIN` on SQLite waits in the connection's info (`PENDING_BEGIN`) and
goes to the driver with the first statement. docs/DECISIONS.md ("POS statements on the driver") says
which private parts of the pinned aiosqlite and SQLAlchemy this relies on.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table, Uuid, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import await_only

PENDING_BEGIN = "openoffers_pending_begin"


def begin_now(conn: Any, statement: str) -> None:
    """BEGIN straight on the driver (`kit.inline_sqlite.Connection.begin`): inline when the transaction
    runs inline, else one hand-off to its thread, where a cursor's open, execute and close through
    SQLAlchemy's adapter were three."""
    try:
        await_only(conn.connection.driver_connection.begin(statement))
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


# How many decoded ids one result column keeps (`_remembered`).
REMEMBERED_IDS = 4096


def _remembered(decoder: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`decoder` (text or a driver's value to `uuid.UUID`) with the ids it decoded last kept: a Lookup's
    rows repeat the retailer's, the customer's and the offers' ids, row after row and call after call,
    and a UUID built from text cost more than the rest of a row's decoding. UUIDs are immutable, so
    sharing one is safe; past REMEMBERED_IDS the column starts afresh (a bound, not an LRU)."""
    known: dict[Any, Any] = {}

    def decode(value: Any) -> Any:
        found = known.get(value)
        if found is None:
            found = decoder(value)
            if len(known) >= REMEMBERED_IDS:
                known.clear()
            known[value] = found
        return found

    return decode


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
            decoders.append((index, _remembered(decoder) if isinstance(column.type, Uuid) else decoder))
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


def _driver(conn: AsyncConnection, plan: _Plan, arguments: list[Any], *, many: bool = False) -> Any:
    """The caller's pooled connection, after telling `before_cursor_execute` listeners the statement
    (so statement counts stay honest); `many`: `arguments` is a list of argument lists (executemany)."""
    sync = conn.sync_connection
    assert sync is not None
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, plan.sql, arguments, None, many)
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
        begin = conn.sync_connection.info.pop(PENDING_BEGIN, None) if plan.is_sqlite else None  # type: ignore[union-attr]
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
        begin = conn.sync_connection.info.pop(PENDING_BEGIN, None) if plan.is_sqlite else None  # type: ignore[union-attr]
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

    async def run_many(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """The statement once for each of `rows` (all with the same names), as ONE call to the driver:
        the DB-API's executemany, which on PostgreSQL asyncpg sends as one round trip and on SQLite runs
        in one hand-off. Listeners see it as one statement, as SQLAlchemy's own executemany shows it."""
        if len(rows) == 1:
            await self.run(conn, rows[0])
            return
        plan = self._plan_for(conn, rows[0])
        if plan is None:
            await conn.execute(self.statement, [dict(row) for row in rows])
            return
        arguments = [plan.arguments(row) for row in rows]
        begin = conn.sync_connection.info.pop(PENDING_BEGIN, None) if plan.is_sqlite else None  # type: ignore[union-attr]
        fairy = _driver(conn, plan, arguments, many=True)
        try:
            if plan.is_sqlite:
                await _many_on_sqlite_thread(fairy, begin, plan.sql, arguments)
            else:
                await (await _began(fairy)).executemany(plan.sql, arguments)
        except Exception as error:
            raise _as_sqlalchemy_error(conn, fairy, plan.sql, arguments, error) from error


async def all_of(conn: AsyncConnection, queries: Sequence[tuple[Query, Mapping[str, Any]]]) -> list[list[Any]]:
    """Several independent `Query` reads of one transaction, each one's rows in order: on SQLite in ONE
    hand-off to the driver's thread (with a pending BEGIN), on PostgreSQL one after another."""
    plans = [query._plan_for(conn, parameters) for query, parameters in queries]
    if not conn.dialect.name == "sqlite" or any(plan is None for plan in plans):
        return [await query.all(conn, parameters) for query, parameters in queries]
    runnable = [
        (plan, plan.arguments(parameters)) for plan, (_, parameters) in zip(plans, queries, strict=True) if plan
    ]
    begin = conn.sync_connection.info.pop(PENDING_BEGIN, None)  # type: ignore[union-attr]
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


async def _many_on_sqlite_thread(fairy: Any, begin: str | None, sql: str, arguments: list[list[Any]]) -> None:
    """`_on_sqlite_thread` for one statement run once per argument list (sqlite3's executemany)."""
    driver = fairy.driver_connection

    def work() -> None:
        connection = driver._conn
        if begin is not None:
            connection.execute(begin)
        connection.executemany(sql, arguments).close()

    await driver._execute(work)


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
