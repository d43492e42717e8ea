"""Fresh benchmark databases and bulk rows, on SQLite and PostgreSQL.

Every case gets a database of its own, created empty, migrated, seeded and `ANALYZE`d, because a
database reused across runs grows and makes runs incomparable. PostgreSQL databases are dropped and
created again under the name in `OPENOFFERS_BENCH_DATABASE_URL`, which must start with `bench`.

Bulk rows go in by table name (the names are the schema's contract; the Python modules that define
the tables move between packages): on SQLite with one `executemany` per chunk inside a single
transaction, on PostgreSQL with `COPY`. Either way a million rows take seconds, not the hours that
one API call per row would.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

import asyncpg
from sqlalchemy import JSON, Table, bindparam, create_engine, func, select, text
from sqlalchemy.engine import make_url

from openoffers import migrations
from openoffers.kit.db import Database, normalize_url
from openoffers.tables import metadata

CHUNK = 20_000
Row = Mapping[str, Any]


@dataclass(frozen=True)
class BenchDatabase:
    """One fresh database: `url` is what `openoffers serve` takes, `is_sqlite` picks the bulk path."""

    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> str:
        return str(make_url(self.url).database)

    @property
    def asyncpg_dsn(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh(base_url: str | None, name: str) -> Iterator[BenchDatabase]:
    """An empty, migrated database for one case, removed when the block ends (a million user offers take
    close to a gigabyte): a new SQLite file, or on PostgreSQL a database of its own named after
    `base_url`'s and the case (`bench_speed` and "bench_lock" give `bench_speed_lock`), dropped first if
    a run before left it. Cases may overlap: the minimal Lookup keeps reading its case's database
    while later cases run (`benchmarks/pos.py`)."""
    if base_url is not None:
        url = normalize_url(base_url)
        database = make_url(url).database or ""
        if not database.startswith("bench"):
            raise SystemExit(f"refusing to drop {database!r}: benchmark databases are named bench*")
        own = f"{database}_{name.removeprefix('bench_')}"
        url = make_url(url).set(database=own).render_as_string(hide_password=False)
        dsn = BenchDatabase(url).asyncpg_dsn
        asyncio.run(_recreate(dsn, own))
        try:
            migrations.upgrade(url)
            yield BenchDatabase(url)
        finally:
            asyncio.run(_drop(dsn, own))
        return
    with tempfile.TemporaryDirectory(prefix="openoffers-bench-") as directory:
        url = f"sqlite+aiosqlite:///{directory}/{name}.db"
        migrations.upgrade(url)
        yield BenchDatabase(url)


async def _drop(dsn: str, database: str) -> None:
    admin = await asyncpg.connect(make_url(dsn).set(database="postgres").render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


async def _recreate(dsn: str, database: str) -> None:
    admin = await asyncpg.connect(make_url(dsn).set(database="postgres").render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _table(name: str) -> Table:
    return metadata.tables[name]


async def insert_rows(db: BenchDatabase, inserts: Iterable[tuple[str, Iterable[Row]]]) -> None:
    """Insert each (table name, rows) in order, all in one transaction. Rows are dicts of Python values
    (UUID, aware datetime, dict for JSON), as the application's own column types take them."""
    if db.is_sqlite:
        # The application's column types encode the values exactly as the application stores them.
        engine = create_engine(f"sqlite:///{db.sqlite_path}")
        try:
            with engine.begin() as conn:
                # One transaction and no syncs until it commits: a crash only loses a benchmark seed.
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
                for name, rows in inserts:
                    for chunk in _chunks(rows):
                        conn.execute(_table(name).insert(), chunk)
        finally:
            engine.dispose()
        return
    conn = await asyncpg.connect(db.asyncpg_dsn)
    try:
        async with conn.transaction():
            for name, rows in inserts:
                table = _table(name)
                columns: list[str] | None = None
                for chunk in _chunks(rows):
                    columns = columns or list(chunk[0])
                    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
                    records = [
                        tuple(json.dumps(row[c]) if j else row[c] for c, j in zip(columns, as_json, strict=True))
                        for row in chunk
                    ]
                    await conn.copy_records_to_table(name, records=records, columns=columns)
    finally:
        await conn.close()


async def read_rows(db: BenchDatabase, name: str, **equal: Any) -> list[dict[str, Any]]:
    """The rows of `name` whose columns equal the given values, decoded by the application's types
    (the template rows that `seed` clones)."""
    table = _table(name)
    query = select(table).where(
        *(table.c[c].in_(v) if isinstance(v, list) else table.c[c] == v for c, v in equal.items())
    )
    async with _database(db) as database, database.read() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]


async def count_rows(db: BenchDatabase, name: str, **equal: Any) -> int:
    table = _table(name)
    query = select(func.count()).select_from(table).where(*(table.c[c] == v for c, v in equal.items()))
    async with _database(db) as database, database.read() as conn:
        return int((await conn.execute(query)).scalar_one())


async def update_rows(db: BenchDatabase, name: str, key: str, rows: list[dict[str, Any]]) -> None:
    """Set each row's other columns where `key` equals its `key` (one executemany, typed by the
    application's columns)."""
    table = _table(name)
    changed = [column for column in rows[0] if column != key]
    statement = (
        table.update()
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({column: bindparam(f"b_{column}") for column in changed})
    )
    async with _database(db) as database, database.write() as conn:
        await conn.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])


async def analyze(db: BenchDatabase) -> None:
    """Planner statistics, as a live database has them (autovacuum, or SQLite's ANALYZE): freshly
    bulk-loaded tables have none, and PostgreSQL then picks poor plans."""
    async with _database(db) as database, database.write() as conn:
        await conn.execute(text("ANALYZE"))


@asynccontextmanager
async def _database(db: BenchDatabase) -> AsyncIterator[Database]:
    database = Database(db.url, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()
