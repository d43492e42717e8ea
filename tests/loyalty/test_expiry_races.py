"""Point expiry run from two processes at once (`openoffers points expire`, twice) while customers spend
through `openoffers serve --workers 2` (two more processes), on SQLite and PostgreSQL: every due lot
expires once, exactly what was left of it when its expiry ran, the balance is its ledger's sum, and
lots not yet due are left alone.

Source: the expiry model in docs/DECISIONS.md ("Points expiry"); the spend is the points API's
`user_points/spend` (API.md section 7).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.loyalty import service as loyalty
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.schemas import DepositRequest
from openoffers.tables.events import outbox_events
from openoffers.tables.points import point_ledger
from openoffers.wallet.schemas import CreateUserRequest
from tests.conftest import QUEUEING_ENV, FrozenClock, Tenant, _truncate_pg, make_tenant
from tests.serve_support import OPENOFFERS, serving

DUE = 120  # customers whose only lot (100 points) is past its time
FRESH = 12  # customers whose 100 points were earned today
SPENDS = 3  # spends of 30 per customer, racing the expiry: 90 < 100, so something is always left


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'expiry.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    # No housekeeping in the servers: the two command-line runs (small batches, so they take turns) are
    # the only expiry, so together they count it all.
    env = {
        "OPENOFFERS_DB_POOL_SIZE": "5",
        "OPENOFFERS_MAINTENANCE_INTERVAL_SECONDS": "0",
        # A loaded machine can starve a worker's loop past the read deadline; slow clients are not tested here.
        "OPENOFFERS_REQUEST_READ_TIMEOUT_SECONDS": "0",
        **QUEUEING_ENV,
    }
    with serving(url, tmp_path, workers=2, env=env) as base_url:
        yield base_url, url


@pytest.fixture
async def world(two_workers: tuple[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, Database, Tenant, str]]:
    base_url, url = two_workers
    db = Database(url, pool_size=2)
    tenant = await make_tenant(db, FrozenClock(utc_now()))
    # No keep-alive: a spend waits up to 4 s before it goes, and an idle connection may be closed meanwhile.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        yield client, db, tenant, url
    await db.dispose()


async def expire_in_a_process(url: str, delay: float) -> int:
    await asyncio.sleep(delay)
    environment = {k: v for k, v in os.environ.items() if k != "OPENOFFERS_DATABASE_URL"}
    environment.update(QUEUEING_ENV)
    process = await asyncio.create_subprocess_exec(
        OPENOFFERS,
        "points",
        "expire",
        "--json",
        "--batch-size",
        "2",
        "--database-url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    expired: int = json.loads(out)["expired_lots"]
    return expired


def _answer(response: httpx.Response) -> tuple[int, str | None]:
    errors = response.json().get("errors")
    return response.status_code, errors["reason"] if errors else None


async def test_two_processes_expire_each_lot_once_while_customers_spend(
    world: tuple[httpx.AsyncClient, Database, Tenant, str],
) -> None:
    client, db, tenant, url = world
    now = utc_now()
    long_ago = now - timedelta(days=800)
    await loyalty.set_loyalty_settings(db, tenant.retailer_id, long_ago, expiry_months=1)
    due: dict[UUID, int] = {}
    fresh: list[UUID] = []
    for i in range(DUE + FRESH):
        created = long_ago + timedelta(minutes=i)
        user = await loyalty.create_user(
            db, CreateUserRequest(retailer_id=tenant.retailer_id, external_customer_id=f"C-{i}"), created
        )
        earned_at = created if i < DUE else now
        deposit = DepositRequest(retailer_id=tenant.retailer_id, user_id=user.user_id, amount=100)
        entry = (await loyalty.deposit(db, deposit, earned_at, "test")).entry_id
        if i < DUE:
            due[user.user_id] = entry
        else:
            fresh.append(user.user_id)

    async def spend(user_id: UUID) -> httpx.Response:
        await asyncio.sleep(random.uniform(0, 4))
        body = {"retailer_id": str(tenant.retailer_id), "user_id": str(user_id), "amount": 30}
        return await client.post("/api/2.0/user_points/spend", json=body, headers=tenant.auth)

    spends = [spend(user_id) for user_id in [*due, *fresh] for _ in range(SPENDS)]
    results = await asyncio.gather(expire_in_a_process(url, 1), expire_in_a_process(url, 1), *spends)
    runs, responses = [n for n in results[:2] if isinstance(n, int)], results[2:]
    answers = Counter(_answer(r) for r in responses if isinstance(r, httpx.Response))
    assert sum(answers.values()) == len(spends)
    assert set(answers) <= {(200, None), (409, "INSUFFICIENT_POINTS")}, answers
    # Every due lot expired by exactly one of the two runs.
    assert sum(runs) == DUE

    account = repo.default_account_id(tenant.retailer_id)
    async with db.read() as conn:
        ledger = (await conn.execute(select(point_ledger).order_by(point_ledger.c.id))).all()
        published = Counter(r.type for r in await conn.execute(select(outbox_events.c.type)))
        balances = {
            user_id: await repo.get_balance(conn, tenant.retailer_id, account, user_id) for user_id in [*due, *fresh]
        }
        sums = {user_id: await repo.ledger_sums(conn, tenant.retailer_id, account, user_id) for user_id in balances}
    expiries = [r for r in ledger if r.kind == "expire"]
    spent = Counter(r.user_id for r in ledger if r.kind == "spend")
    assert Counter(r.reference_id for r in expiries) == Counter(f"lot:{entry}" for entry in due.values())
    assert published["points.expired"] == DUE and published["points.spent"] == sum(spent.values())
    assert answers[(200, None)] == sum(spent.values())
    for user_id, entry in due.items():
        (expired,) = [r for r in expiries if r.user_id == user_id]
        # What was left of the lot when its expiry ran: 100 less the spends that came before it.
        assert expired.amount + 30 * spent[user_id] == 100 and expired.amount > 0
        assert expired.detail["lot"] == entry and expired.lifetime_delta == 0
        balance = balances[user_id]
        assert balance is not None and (balance.available, balance.lifetime) == (0, 100) == sums[user_id]
    for user_id in fresh:
        assert spent[user_id] == SPENDS
        balance = balances[user_id]
        assert balance is not None and (balance.available, balance.lifetime) == (10, 100) == sums[user_id]
    # Once more, now that nothing races it: nothing more is due.
    assert await expire_in_a_process(url, 0) == 0
