"""openoffers.app: one built app bound to one database, then another (as the test suite uses it)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx

from openoffers.app import bind, build_app
from openoffers.kit.db import Database
from openoffers.settings import Settings
from tests.conftest import FrozenClock, asgi_transport, make_tenant, offer_body

CREATE = "/api/2.0/offers/management/create"


async def test_binding_again_serves_the_new_database_only(tmp_path: Path, sqlite_template: Path) -> None:
    """A request after the second `bind` reads and writes the second database: the first one's
    credentials are unknown there and its data unchanged; the lifespan hooks are the second binding's."""
    urls = []
    for name in ("first", "second"):
        shutil.copyfile(sqlite_template, tmp_path / f"{name}.db")
        urls.append(f"sqlite+aiosqlite:///{tmp_path / name}.db")
    first, second = Database(urls[0]), Database(urls[1])
    clock = FrozenClock(datetime(2026, 6, 15, 12, tzinfo=UTC))
    try:
        tenant = await make_tenant(first, clock)
        routes = build_app()
        app = bind(routes, Settings(database_url=first.url), first, clock, owns_database=True)
        assert routes.on_startup[0] == first.warm
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://t") as http:
            made = await http.post(CREATE, json=offer_body(tenant.retailer_id), headers=tenant.auth)
            assert made.status_code == 200, made.text
        app = bind(routes, Settings(database_url=second.url), second, clock, owns_database=False)
        assert first.warm not in routes.on_startup and first.dispose not in routes.on_shutdown
        assert len(routes.on_startup) == 2 and len(routes.on_shutdown) == 2
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://t") as http:
            refused = await http.post(CREATE, json=offer_body(tenant.retailer_id), headers=tenant.auth)
            assert refused.status_code == 401, refused.text
            other = await make_tenant(second, clock, name="Second")
            made = await http.post(CREATE, json=offer_body(other.retailer_id), headers=other.auth)
            assert made.status_code == 200, made.text
        counts = []
        for db in (first, second):
            async with db.read() as conn:
                counts.append((await conn.exec_driver_sql("SELECT count(*) FROM offers")).scalar_one())
        assert counts == [1, 1]
    finally:
        await first.dispose()
        await second.dispose()
