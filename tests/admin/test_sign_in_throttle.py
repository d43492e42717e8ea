"""Sign-in throttling on both engines: after the limit of failures within the window, per client
address or per key name, sign-in answers 429 without checking the secret, until the window moves on;
exact under concurrency, in one process and across two server processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from openoffers.admin.models import sign_in_failures
from openoffers.admin.session import COOKIE_NAME
from openoffers.admin.sign_in import client_address, key_hash
from openoffers.app import create_app
from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.settings import Settings
from tests.admin.conftest import Browser, csrf_of
from tests.conftest import QUEUEING_ENV, FrozenClock, Tenant, _truncate_pg, make_tenant, snapshot
from tests.serve_support import serving

WRONG = "not-the-secret"
PAUSED = "Too many failed sign-ins from this address or with this key. Sign-in is paused: try again in"


class Visitor:
    """One browser at one client address, with the sign-in page's cookie and CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def open(self) -> Visitor:
        page = await self.http.get("/admin/login")
        assert page.status_code == 200
        self.csrf = csrf_of(page.text)
        return self

    async def sign_in(self, key: str, secret: str) -> httpx.Response:
        return await self.http.post(
            "/admin/login", data={"csrf_token": self.csrf, "key": key, "secret": secret, "next": ""}
        )


@pytest.fixture
async def visitors(app: Any) -> AsyncIterator[Any]:
    """`await visit(address)`: a new browser at that client address."""
    clients: list[httpx.AsyncClient] = []

    async def visit(address: str = "127.0.0.1", of: Any = None) -> Visitor:
        transport = httpx.ASGITransport(app=of or app, client=(address, 50000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        return await Visitor(http).open()

    yield visit
    for http in clients:
        await http.aclose()


async def failures(db: Database) -> list[tuple[str, str, str]]:
    """(address, key hash, failed at) of every failure kept, oldest first."""
    table = sign_in_failures
    async with db.read() as conn:
        rows = await conn.execute(
            select(table.c.address, table.c.key_hash, table.c.failed_at).order_by(table.c.failed_at, table.c.id)
        )
        return [(a, k, t.isoformat()) for a, k, t in rows]


def refused(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert "That key and secret do not match an active API key." in response.text


def paused(response: httpx.Response, retry_after: int, wait: str) -> None:
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f"{PAUSED} {wait}." in response.text
    assert "set-cookie" not in response.headers  # nothing about the session changes
    assert 'name="secret"' in response.text  # the sign-in page, with the form


async def test_ten_failures_then_even_the_right_secret_is_paused_until_the_window_passes(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    browser = await visitors()
    for _ in range(10):
        refused(await browser.sign_in(tenant.key, WRONG))
        clock.advance(seconds=1)
    kept = await failures(db)
    assert len(kept) == 10
    assert {(a, k) for a, k, _ in kept} == {("127.0.0.1", key_hash(tenant.key))}
    assert tenant.key not in repr(await snapshot(db, "admin_sign_in_failures"))  # only a hash of it

    before = await snapshot(db)
    cookie = browser.http.cookies[COOKIE_NAME]
    # The first failure was at 12:00:00, the tenth at 12:00:09; now it is 12:00:10.
    paused(await browser.sign_in(tenant.key, tenant.secret), 890, "15 minutes")
    assert browser.http.cookies[COOKIE_NAME] == cookie
    assert (await browser.http.get("/admin/offers")).headers["location"] == "/admin/login?next=%2Fadmin%2Foffers"
    assert await snapshot(db) == before  # a paused attempt is not another failure

    clock.advance(seconds=889)  # 12:14:59: the first failure leaves the window at 12:15:00
    paused(await browser.sign_in(tenant.key, tenant.secret), 1, "1 minute")
    clock.advance(seconds=1)
    # One failure has left the window: one attempt is checked. A wrong one fills the window again...
    refused(await browser.sign_in(tenant.key, WRONG))
    paused(await browser.sign_in(tenant.key, tenant.secret), 1, "1 minute")
    clock.advance(seconds=1)
    # ...and the right one signs in, clearing this address's failures of this key (and old ones are gone).
    response = await browser.sign_in(tenant.key, tenant.secret)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/offers")
    assert (await browser.http.get("/admin/offers")).status_code == 200
    assert await failures(db) == []


async def test_a_signed_in_admin_posting_a_paused_sign_in_stays_signed_in(
    visitors: Any, admin: Browser, tenant: Tenant
) -> None:
    guesser = await visitors("10.0.0.5")
    for _ in range(10):
        refused(await guesser.sign_in(tenant.key, WRONG))
    response = await admin.post("/admin/login", {"key": tenant.key, "secret": tenant.secret, "next": ""})
    paused(response, 900, "15 minutes")
    assert (await admin.get("/admin/offers")).status_code == 200


async def test_old_failures_are_pruned(visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    browser = await visitors("10.0.0.1")
    for _ in range(3):
        refused(await browser.sign_in("who-knows", WRONG))
    clock.advance(minutes=15)
    refused(await browser.sign_in("another", WRONG))
    # The three from 15 minutes ago were deleted by the next attempt.
    assert await failures(db) == [("10.0.0.1", key_hash("another"), "2026-06-15T12:15:00+00:00")]


async def test_counted_per_address_and_per_key_name(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    other = await make_tenant(db, clock, name="Other Retailer")
    first, second = await visitors("10.0.0.1"), await visitors("10.0.0.2")
    for _ in range(10):
        refused(await first.sign_in(tenant.key, WRONG))
    # The key name is paused for every address: a leaked key name cannot be guessed from elsewhere...
    paused(await second.sign_in(tenant.key, tenant.secret), 900, "15 minutes")
    # ...and the address is paused for every key name.
    paused(await first.sign_in(other.key, other.secret), 900, "15 minutes")
    # Another address with another key is not affected.
    response = await second.sign_in(other.key, other.secret)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/offers")
    # That success does not clear the other address's failures.
    assert len(await failures(db)) == 10
    paused(await (await visitors("10.0.0.3")).sign_in(tenant.key, tenant.secret), 900, "15 minutes")


async def test_every_kind_of_refusal_counts_and_nine_do_not_pause(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offers_only = await make_tenant(db, clock, name="Offers only", role="offers")
    browser = await visitors("10.0.0.9")
    for _ in range(3):
        refused(await browser.sign_in("no-such-key", WRONG))
    for _ in range(3):
        role = await browser.sign_in(offers_only.key, offers_only.secret)
        assert role.status_code == 400 and "This key has the offers role." in role.text
    for _ in range(2):
        pos = await browser.sign_in(str(tenant.client_id), tenant.client_secret)
        assert pos.status_code == 400 and "These are POS client credentials." in pos.text
    refused(await browser.sign_in("a:b", WRONG))
    assert len(await failures(db)) == 9
    # Blank fields are not attempts: nothing is checked and nothing counted.
    blank = await browser.sign_in(tenant.key, "")
    assert blank.status_code == 400 and "Enter both the key and the secret." in blank.text
    assert len(await failures(db)) == 9
    # The tenth try is checked (and succeeds): the limit is reached only after ten failures.
    response = await browser.sign_in(tenant.key, tenant.secret)
    assert response.status_code == 303
    assert len(await failures(db)) == 9  # its success clears only its own key's failures here (none)


async def test_the_limits_come_from_the_settings(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    settings = Settings.from_env(
        {"OPENOFFERS_LOGIN_MAX_FAILURES": "2", "OPENOFFERS_LOGIN_WINDOW_SECONDS": "60"}, database_url=db.url
    )
    assert (settings.login_max_failures, settings.login_window_seconds) == (2, 60)
    assert (Settings().login_max_failures, Settings().login_window_seconds) == (10, 900)
    strict = create_app(settings, database=db, clock=clock)
    browser = await visitors(of=strict)
    refused(await browser.sign_in(tenant.key, WRONG))
    refused(await browser.sign_in(tenant.key, WRONG))
    paused(await browser.sign_in(tenant.key, tenant.secret), 60, "1 minute")
    clock.advance(seconds=60)
    assert (await browser.sign_in(tenant.key, tenant.secret)).status_code == 303


@pytest.mark.parametrize("spread", ["one address, one key", "many addresses, one key", "one address, many keys"])
async def test_thirty_concurrent_wrong_attempts_check_exactly_ten(
    visitors: Any, db: Database, tenant: Tenant, spread: str
) -> None:
    browsers = []
    for n in range(30):
        address = f"10.1.0.{n}" if spread == "many addresses, one key" else "10.0.0.1"
        browsers.append((await visitors(address), f"guess-{n}" if spread == "one address, many keys" else tenant.key))
    responses = await asyncio.gather(*(browser.sign_in(key, WRONG) for browser, key in browsers))
    assert Counter(r.status_code for r in responses) == {400: 10, 429: 20}
    assert len(await failures(db)) == 10
    for response in responses:
        if response.status_code == 429:
            assert response.headers["retry-after"] == "900"


def test_client_address() -> None:
    assert client_address("203.0.113.7") == "203.0.113.7"
    assert client_address("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2::99") == "2001:db8:1:2::/64"
    assert client_address("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_address(None) == "unknown"
    assert client_address("testclient") == "testclient"
    assert len(client_address("x" * 500)) == 64


# --- Two server processes --------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sign-in.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    with serving(url, tmp_path, workers=2, env={"OPENOFFERS_DB_POOL_SIZE": "5", **QUEUEING_ENV}) as base_url:
        yield base_url, url


async def test_two_server_processes_share_the_count(two_workers: tuple[str, str]) -> None:
    base_url, url = two_workers
    db = Database(url, pool_size=2)
    try:
        tenant = await make_tenant(db, FrozenClock(utc_now()))
        browsers = []
        for n in range(30):
            # uvicorn trusts X-Forwarded-For from 127.0.0.1: each browser comes from its own address.
            http = httpx.AsyncClient(base_url=base_url, timeout=60, headers={"X-Forwarded-For": f"10.2.0.{n}"})
            browsers.append(await Visitor(http).open())
        try:
            responses = await asyncio.gather(*(b.sign_in(tenant.key, WRONG) for b in browsers))
            assert Counter(r.status_code for r in responses) == {400: 10, 429: 20}
            kept = await failures(db)
            assert len(kept) == 10 and {k for _, k, _ in kept} == {key_hash(tenant.key)}
            assert len({a for a, _, _ in kept}) == 10  # from ten different addresses
            # The right secret, from a fresh address, is paused too.
            fresh = await Visitor(
                httpx.AsyncClient(base_url=base_url, timeout=60, headers={"X-Forwarded-For": "10.3.0.1"})
            ).open()
            browsers.append(fresh)
            response = await fresh.sign_in(tenant.key, tenant.secret)
            assert response.status_code == 429 and PAUSED in response.text
        finally:
            for browser in browsers:
                await browser.http.aclose()
    finally:
        await db.dispose()
