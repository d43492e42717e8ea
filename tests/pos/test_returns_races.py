"""Returns of one check racing each other from two tills, against `openoffers serve --workers 2` (two
processes) on SQLite and PostgreSQL: every unit comes back once, and the points are exact after.

Source: SessionM POS "Send Transaction" (https://docs.sessionm.com/developer/APIs/POS/TransactionProcessing/
transaction_send.htm) and its returns flow as issue 11 quotes it: the POS re-sends the closed check with the
remaining items; the points of the returned lines are taken back. Public clients send request_id "1" for
every call ("General DTO Definitions", https://docs.sessionm.com/developer/APIs/POS/general_dto_definitions.htm).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.tables.points import point_ledger
from openoffers.tables.pos import pos_check_versions
from tests.conftest import QUEUEING_ENV, FrozenClock, Tenant, _truncate_pg, make_tenant
from tests.pos.pos_support import SEND, api, check, create_user, envelope
from tests.pos.test_returns import items, points_of
from tests.serve_support import serving

TILLS = 12  # requests per kind of return


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'returns.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    with serving(url, tmp_path, workers=2, env={"OPENOFFERS_DB_POOL_SIZE": "5", **QUEUEING_ENV}) as base_url:
        yield base_url, url


@pytest.fixture
async def world(two_workers: tuple[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, Database, Tenant]]:
    base_url, url = two_workers
    db = Database(url, pool_size=2)
    tenant = await make_tenant(db, FrozenClock(utc_now()))
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        yield client, db, tenant
    await db.dispose()


async def test_returns_of_one_check_racing_from_two_tills_take_each_unit_back_once(
    world: tuple[httpx.AsyncClient, Database, Tenant],
) -> None:
    client, db, tenant = world
    await api(
        client,
        tenant,
        "/api/2.0/rules/create",
        {"kind": "earn", "name": "base", "rate": "1", "multipliers": [{"factor": "2", "item_ids": ["B"]}]},
    )
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = check("R-1", items(), is_closed=True, user_id=user_id, modified_time="2026-06-15 08:00:00")
    first = await client.post(SEND, json=envelope(tenant, closed, request_id="1"), headers=tenant.pos_auth)
    assert first.status_code == 200, first.text
    assert (await points_of(db, user_id))[0] == 39  # 10 + 2 x 12 + 5
    # Till 1 returns C; till 2 returns 2 of the 3 B units. Each sends its own view of what is left,
    # many times over (retries), all under request_id "1", some under fresh ones.
    without_c = {**closed, "items": items(with_c=False), "modified_time": "2026-06-15 09:00:00"}
    fewer_b = {**closed, "items": items("1"), "modified_time": "2026-06-15 09:00:01"}
    bodies = [
        envelope(tenant, payload, request_id="1" if i % 3 else None)
        for i in range(TILLS)
        for payload in (without_c, fewer_b)
    ]
    responses = await asyncio.gather(*(client.post(SEND, json=b, headers=tenant.pos_auth) for b in bodies))
    assert Counter(r.status_code for r in responses) == {200: 2 * TILLS}, {r.text for r in responses}
    assert {r.content for r in responses} == {b'{"status":"OK","payload":null,"errors":null}'}
    # Kept: A (10) and one B unit (2 x 4): 18 points. Taken back: C (5) and two B units (16), once each.
    available, lifetime, ledger = await points_of(db, user_id)
    assert (available, lifetime, ledger) == (18, 18, 18)
    async with db.read() as conn:
        returns = (
            await conn.execute(
                select(func.count(), func.sum(point_ledger.c.amount)).where(
                    point_ledger.c.user_id == UUID(user_id), point_ledger.c.kind == "return"
                )
            )
        ).one()
        kinds = [r.kind for r in await conn.execute(select(pos_check_versions.c.kind).order_by("version"))]
    assert (returns[0], int(returns[1])) == (2, 21)
    assert kinds == ["closed", "returned", "returned"]
