"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured), the app,
an HTTP client, a frozen clock and a ready-made tenant.

SQLite: the schema is migrated once into a template file, and each test gets a fresh copy of it.
PostgreSQL: migrated once per session; each test starts from empty tables (TRUNCATE).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher
from litestar.types import ASGIApp
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from openoffers import migrations
from openoffers.app import bind, build_app
from openoffers.kit.db import Database, Timeouts, normalize_url
from openoffers.settings import Settings
from openoffers.tables import metadata
from openoffers.tenancy import accounts
from openoffers.tenancy import service as tenancy

# People's passwords: argon2id as in production, at its lowest cost. The suite signs people in hundreds
# of times, and each hash or check at argon2-cffi's defaults took 0.45 s on the CI machine; what the
# tests are about is who may sign in, not the cost. Served processes (tests/serve_support.py) keep
# the defaults.
accounts._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_URL = os.environ.get("OPENOFFERS_TEST_DATABASE_URL", "")
PG_SKIP_REASON = "PostgreSQL tests need OPENOFFERS_TEST_DATABASE_URL (.ci/run sets it)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


def worker_database_url(url: str, worker: str) -> str:
    """The database a pytest-xdist worker uses: `test` becomes `test_gw0`, `test_gw1`, ... so workers
    never truncate each other's tables. Without xdist (`worker` empty) the URL as configured."""
    if not worker:
        return url
    parts = make_url(url)
    return parts.set(database=f"{parts.database}_{worker}").render_as_string(hide_password=False)


async def _create_database(url: str) -> None:
    """CREATE DATABASE for a worker's URL unless it exists, connecting to the configured database."""
    target = make_url(url).database
    admin = create_async_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target})
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target}"'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    if not PG_URL:
        if os.environ.get("OPENOFFERS_REQUIRE_POSTGRES"):
            pytest.fail("OPENOFFERS_REQUIRE_POSTGRES is set but OPENOFFERS_TEST_DATABASE_URL is empty")
        pytest.skip(PG_SKIP_REASON)
    url = worker_database_url(PG_URL, os.environ.get("PYTEST_XDIST_WORKER", ""))

    async def reset() -> None:
        if url != PG_URL:
            await _create_database(url)
        db = Database(url, pool_size=1)
        async with db.write() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()

    asyncio.run(reset())
    migrations.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


# Every table emptied and every sequence restarted, as `TRUNCATE ... RESTART IDENTITY` leaves them, in one
# round trip. TRUNCATE replaces each table's files: ~70 ms for the 33 tables before every PostgreSQL test
# (some 1,300 of them), where deleting the few rows a test wrote takes ~15 ms. Children first.
_EMPTY_PG = "".join(f'DELETE FROM "{table.name}";' for table in reversed(metadata.sorted_tables)) + (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public';"
)


def _truncate_pg(url: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def empty() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(_EMPTY_PG)  # no arguments: the simple protocol, several statements at once
        finally:
            await conn.close()

    asyncio.run(empty())


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "only.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


# Race tests fire hundreds of concurrent requests at a 5-connection pool, on a machine shared with other
# test processes: there they must queue, not be refused. How fast a stalled or saturated database is
# refused (503 UNAVAILABLE) has its own tests with the small timeouts it is about (test_stalled_database).
QUEUEING_TIMEOUTS = Timeouts(pool_ms=60_000, lock_ms=60_000, statement_ms=60_000)
# The same for a served process (tests/serve_support.py) that races are run against.
QUEUEING_ENV = {
    "OPENOFFERS_MAX_IN_FLIGHT": "0",
    "OPENOFFERS_DB_POOL_TIMEOUT_MS": "60000",
    "OPENOFFERS_DB_LOCK_TIMEOUT_MS": "60000",
}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=5, timeouts=QUEUEING_TIMEOUTS)
    yield database
    await database.dispose()


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 6, 15, 12, 0, tzinfo=UTC))


# The routes, built once per test process: building them cost most of a second, and the app fixture
# is in most tests. Each test binds them to its own database, settings and clock (`openoffers.app.bind`).
_ROUTES: list[Any] = []


def bound_app(db: Database, clock: FrozenClock, settings: Settings | None = None) -> Any:
    """What `create_app(settings, database=db, clock=clock)` gives, on this process's one built app.
    Default settings: no bound on requests in progress, for the same reason as QUEUEING_TIMEOUTS:
    shedding is tested by itself (tests/kit/test_admission.py)."""
    if not _ROUTES:
        _ROUTES.append(build_app())
    return bind(_ROUTES[0], settings or Settings(database_url=db.url, max_in_flight=0), db, clock, owns_database=False)


@pytest.fixture
def app(db: Database, clock: FrozenClock) -> Any:
    return bound_app(db, clock)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def asgi_transport(app: ASGIApp) -> httpx.ASGITransport:
    """httpx's transport to an app typed with Litestar's ASGI types. httpx types the scope and messages
    as plain mappings, Litestar as TypedDicts, so neither signature accepts the other; they are the same
    dicts at run time."""
    return httpx.ASGITransport(app=cast("Callable[..., Awaitable[None]]", app))


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Tenant:
    retailer_id: UUID
    key: str
    secret: str
    store_id: UUID
    client_id: UUID
    client_secret: str

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.key, self.secret)

    @property
    def pos_auth(self) -> dict[str, str]:
        return basic(str(self.client_id), self.client_secret)


async def make_tenant(db: Database, clock: FrozenClock, name: str = "Test Retailer", role: str = "admin") -> Tenant:
    now = clock()
    retailer = await tenancy.create_retailer(db, name=name, now=now, timezone="America/New_York")
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, role=role, now=now)
    store = await tenancy.create_store(db, retailer_id=retailer.id, name="Main St", tags=("downtown",), now=now)
    client, client_secret = await tenancy.create_pos_client(db, retailer_id=retailer.id, store_ids=(store.id,), now=now)
    return Tenant(retailer.id, key.key, secret, store.id, client.id, client_secret)


@pytest.fixture
async def tenant(db: Database, clock: FrozenClock) -> Tenant:
    return await make_tenant(db, clock)


@pytest.fixture
async def other_tenant(db: Database, clock: FrozenClock) -> Tenant:
    return await make_tenant(db, clock, name="Other Retailer")


async def snapshot(db: Database, *table_names: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the named tables (all tables when none named), to assert that nothing changed."""
    names = table_names or tuple(t.name for t in metadata.sorted_tables)
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        for name in names:
            table = metadata.tables[name]
            rows = await conn.execute(select(table))
            result[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return result


@pytest.fixture
def artifacts_dir() -> Iterator[Path]:
    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    yield path


def offer_body(retailer_id: UUID | str, **overrides: Any) -> dict[str, Any]:
    """A complete, publishable create body (a $5 check discount) as JSON builtins; override any field."""
    body: dict[str, Any] = {
        "retailer_id": str(retailer_id),
        "offer_type": "fixed_amount_check_discount",
        "publish": True,
        "text_config": [
            {
                "title": "$5 off",
                "description": "Five off the check",
                "terms_and_conditions": "One per visit.",
                "culture": "en",
            }
        ],
        "media_config": [],
        "common_config": {
            "acquisition_start_date": "2026-01-01T00:00:00Z",
            "acquisition_end_date": "2027-01-01T00:00:00Z",
            "validity_unit": "days",
            "validity_period": 30,
        },
        "discount_config": {"amount": 5},
    }
    body.update(overrides)
    return body
