"""Sign-in throttling on both engines, per (client address, key name) pair: after five free failures
each attempt of the pair waits a delay that doubles with every failure (429 without checking the
secret until it has passed); another address, or another key, is never slowed by them. Exact under
concurrency, in one process and across two server processes; X-Forwarded-For is believed only from a
configured proxy."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from openoffers.admin.session import COOKIE_NAME
from openoffers.admin.sign_in import key_hash
from openoffers.app import create_app
from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.kit.throttle import client_address
from openoffers.settings import Settings
from openoffers.tables.admin import sign_in_failures
from tests.admin.conftest import Browser, csrf_of
from tests.conftest import QUEUEING_ENV, FrozenClock, Tenant, _truncate_pg, make_tenant, snapshot
from tests.serve_support import serving

WRONG = "not-the-secret"
PAUSED = "Too many failed sign-ins for this name from this address. Try again in"


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


async def test_five_free_failures_then_delays_that_double(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    browser = await visitors()
    for _ in range(5):
        refused(await browser.sign_in(tenant.key, WRONG))
    kept = await failures(db)
    assert len(kept) == 5
    assert {(a, k) for a, k, _ in kept} == {("127.0.0.1", key_hash(tenant.key))}
    assert tenant.key not in repr(await snapshot(db, "admin_sign_in_failures"))  # only a hash of it

    # Five failures at 12:00:00: the pair waits 1 s, even with the right secret, and the wait is not a failure.
    before = await snapshot(db)
    cookie = browser.http.cookies[COOKIE_NAME]
    paused(await browser.sign_in(tenant.key, tenant.secret), 1, "1 second")
    assert browser.http.cookies[COOKIE_NAME] == cookie
    assert await snapshot(db) == before
    # Each further failure doubles the wait, counted from that failure.
    for wait in (1, 2, 4, 8):
        clock.advance(seconds=wait)
        refused(await browser.sign_in(tenant.key, WRONG))
        paused(await browser.sign_in(tenant.key, tenant.secret), wait * 2, f"{wait * 2} seconds")
        clock.advance(seconds=wait * 2 - 1)
        paused(await browser.sign_in(tenant.key, tenant.secret), 1, "1 second")
        clock.advance(seconds=-(wait * 2 - 1))
    clock.advance(seconds=16)
    # Waited out: the right secret signs in and clears this pair's failures.
    response = await browser.sign_in(tenant.key, tenant.secret)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/dashboard")
    assert (await browser.http.get("/admin/offers")).status_code == 200
    assert await failures(db) == []


async def test_the_delay_stops_growing_at_five_minutes(visitors: Any, clock: FrozenClock, tenant: Tenant) -> None:
    browser = await visitors()
    for _ in range(5):
        refused(await browser.sign_in(tenant.key, WRONG))
    for wait in (1, 2, 4, 8, 16, 32, 64, 128, 256):  # 511 s in all: every failure is still in the window
        clock.advance(seconds=wait)
        refused(await browser.sign_in(tenant.key, WRONG))
    paused(await browser.sign_in(tenant.key, tenant.secret), 300, "5 minutes")  # not 512 s


async def test_the_owner_signs_in_from_another_address_whatever_a_guesser_does(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    guesser, owner = await visitors("10.0.0.66"), await visitors("10.0.0.1")
    for _ in range(40):
        await guesser.sign_in(tenant.key, WRONG)
        clock.advance(seconds=1)
    assert len(await failures(db)) == 10  # 5 free, then 1 + 2 + 4 + 8 + 16 s of waiting between tries
    response = await owner.sign_in(tenant.key, tenant.secret)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/dashboard")
    # The owner's success clears only the owner's pair: the guesser is still waiting.
    assert len(await failures(db)) == 10
    assert (await guesser.sign_in(tenant.key, tenant.secret)).status_code == 429


async def test_people_behind_one_address_do_not_share_a_count(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    """One NAT, two people: a colleague failing with their key does not slow another key."""
    other = await make_tenant(db, clock, name="Other Retailer")
    colleague, me = await visitors("192.0.2.1"), await visitors("192.0.2.1")
    for _ in range(12):
        await colleague.sign_in(other.key, WRONG)
    response = await me.sign_in(tenant.key, tenant.secret)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/dashboard")


async def test_a_signed_in_admin_posting_a_paused_sign_in_stays_signed_in(
    visitors: Any, admin: Browser, tenant: Tenant
) -> None:
    # The ASGI test client's address is 127.0.0.1 for both.
    guesser = await visitors("127.0.0.1")
    for _ in range(5):
        refused(await guesser.sign_in(tenant.key, WRONG))
    response = await admin.post("/admin/login", {"key": tenant.key, "secret": tenant.secret, "next": ""})
    paused(response, 1, "1 second")
    assert (await admin.get("/admin/offers")).status_code == 200


async def test_old_failures_are_pruned(visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    browser = await visitors("10.0.0.1")
    for _ in range(3):
        refused(await browser.sign_in("who-knows", WRONG))
    clock.advance(minutes=15)
    refused(await browser.sign_in("another", WRONG))
    # The three from 15 minutes ago were deleted by the next attempt.
    assert await failures(db) == [("10.0.0.1", key_hash("another"), "2026-06-15T12:15:00+00:00")]


async def test_failures_leave_the_window(visitors: Any, clock: FrozenClock, tenant: Tenant) -> None:
    browser = await visitors("10.0.0.1")
    for _ in range(8):
        await browser.sign_in(tenant.key, WRONG)
        clock.advance(seconds=10)
    clock.advance(minutes=15)  # every failure is older than the window now: no wait at all
    assert (await browser.sign_in(tenant.key, tenant.secret)).status_code == 303


async def test_every_kind_of_refusal_counts_and_four_do_not_pause(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    offers_only = await make_tenant(db, clock, name="Offers only", role="offers")
    browser = await visitors("10.0.0.9")
    for _ in range(2):
        role = await browser.sign_in(offers_only.key, offers_only.secret)
        assert role.status_code == 400 and "This key has the offers role." in role.text
    pos = await browser.sign_in(str(tenant.client_id), tenant.client_secret)
    assert pos.status_code == 400 and "These are POS client credentials." in pos.text
    refused(await browser.sign_in("a:b", WRONG))
    # Each pair counts for itself: two for the offers key, one each for the others.
    assert Counter(k for _, k, _ in await failures(db)) == {
        key_hash(offers_only.key): 2,
        key_hash(str(tenant.client_id)): 1,
        key_hash("a:b"): 1,
    }
    # Blank fields are not attempts: nothing is checked and nothing counted.
    blank = await browser.sign_in(tenant.key, "")
    assert (
        blank.status_code == 400
        and "Enter both your e-mail address (or API key) and your password (or secret)." in blank.text
    )
    assert len(await failures(db)) == 4
    for _ in range(4):
        refused(await browser.sign_in(tenant.key, WRONG))
    # The fifth try of this pair is still checked (and succeeds).
    response = await browser.sign_in(tenant.key, tenant.secret)
    assert response.status_code == 303
    assert len(await failures(db)) == 4  # its success cleared its own pair only


async def test_the_limits_come_from_the_settings(
    visitors: Any, db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    settings = Settings.from_env(
        {"OPENOFFERS_LOGIN_MAX_FAILURES": "2", "OPENOFFERS_LOGIN_WINDOW_SECONDS": "60"}, database_url=db.url
    )
    assert (settings.login_max_failures, settings.login_window_seconds) == (2, 60)
    assert (Settings().login_max_failures, Settings().login_window_seconds) == (5, 900)
    strict = create_app(settings, database=db, clock=clock)
    browser = await visitors(of=strict)
    refused(await browser.sign_in(tenant.key, WRONG))
    refused(await browser.sign_in(tenant.key, WRONG))
    paused(await browser.sign_in(tenant.key, tenant.secret), 1, "1 second")
    clock.advance(seconds=1)
    assert (await browser.sign_in(tenant.key, tenant.secret)).status_code == 303


@pytest.mark.parametrize("spread", ["one address, one key", "many addresses, one key", "one address, many keys"])
async def test_thirty_concurrent_wrong_attempts_check_exactly_five_per_pair(
    visitors: Any, db: Database, tenant: Tenant, spread: str
) -> None:
    browsers = []
    for n in range(30):
        address = f"10.1.0.{n}" if spread == "many addresses, one key" else "10.0.0.1"
        browsers.append((await visitors(address), f"guess-{n}" if spread == "one address, many keys" else tenant.key))
    responses = await asyncio.gather(*(browser.sign_in(key, WRONG) for browser, key in browsers))
    if spread == "one address, one key":
        assert Counter(r.status_code for r in responses) == {400: 5, 429: 25}
        assert {r.headers["retry-after"] for r in responses if r.status_code == 429} == {"1"}
        assert len(await failures(db)) == 5
    else:  # thirty pairs, each within its free failures
        assert Counter(r.status_code for r in responses) == {400: 30}
        assert len(await failures(db)) == 30


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
    """Thirty concurrent wrong secrets for one key from one address, spread over two processes: exactly five
    are checked. X-Forwarded-For is not believed (no proxy is configured), so varying it changes nothing;
    and the owner, from another address... is 127.0.0.1 too here, so the owner's turn is the proxy test."""
    base_url, url = two_workers
    db = Database(url, pool_size=2)
    try:
        tenant = await make_tenant(db, FrozenClock(utc_now()))
        browsers = []
        for n in range(30):
            http = httpx.AsyncClient(base_url=base_url, timeout=60, headers={"X-Forwarded-For": f"10.2.0.{n}"})
            browsers.append(await Visitor(http).open())
        try:
            responses = await asyncio.gather(*(b.sign_in(tenant.key, WRONG) for b in browsers))
            assert Counter(r.status_code for r in responses) == {400: 5, 429: 25}
            kept = await failures(db)
            assert [(a, k) for a, k, _ in kept] == [("127.0.0.1", key_hash(tenant.key))] * 5
        finally:
            for browser in browsers:
                await browser.http.aclose()
    finally:
        await db.dispose()


def test_x_forwarded_for_is_believed_from_a_configured_proxy(tmp_path: Path) -> None:
    """Behind a configured proxy (127.0.0.1 here), each forwarded address is its own pair: a guesser at
    one address does not slow the owner at another, and a client cannot pick its address past the
    proxy (the proxy's own entry, the right-most, is what counts)."""
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    with serving(url, tmp_path, env={"OPENOFFERS_TRUSTED_PROXIES": "127.0.0.1"}) as base_url:

        async def run() -> None:
            db = Database(url, pool_size=1)
            try:
                tenant = await make_tenant(db, FrozenClock(utc_now()))

                def at(address: str) -> httpx.AsyncClient:
                    return httpx.AsyncClient(base_url=base_url, timeout=60, headers={"X-Forwarded-For": address})

                async with at("203.0.113.9") as guesser_http, at("198.51.100.1") as owner_http:
                    guesser, owner = await Visitor(guesser_http).open(), await Visitor(owner_http).open()
                    answers = [(await guesser.sign_in(tenant.key, WRONG)).status_code for _ in range(7)]
                    assert answers == [400] * 5 + [429] * 2
                    assert (await owner.sign_in(tenant.key, tenant.secret)).status_code == 303
                # A client's own X-Forwarded-For entry before the proxy's is not believed.
                async with at("198.51.100.1, 203.0.113.9") as spoofing_http:
                    spoofing = await Visitor(spoofing_http).open()
                    assert (await spoofing.sign_in(tenant.key, WRONG)).status_code == 429
                assert {a for a, _, _ in await failures(db)} == {"203.0.113.9"}
            finally:
                await db.dispose()

        asyncio.run(run())
