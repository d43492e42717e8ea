"""The transactions page on both engines: checks the POS sent, newest first, per store, with their
discounts and the user offers they redeemed."""

from __future__ import annotations

import re

import httpx

from openoffers.kit.db import Database
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import SEND, check, create_offer, create_user, issue, line, pos

ROW_IDS = re.compile(r'<th scope="row"><code>([^<]+)</code>')


async def test_no_transactions_yet(admin: Browser) -> None:
    page = await admin.get("/admin/transactions")
    assert page.status_code == 200 and "No transactions yet" in page.text


async def test_checks_with_their_redemptions(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada", last_name="L", external_customer_id="C-1")
    user_offer_id = await issue(client, tenant, user_id, offer_id)
    ours = {"reference_id": user_offer_id, "discount_source": "sessionm", "amount": "5", "display_name": "$5 off"}
    staff = {"discount_source": "pos", "amount": "1.50", "display_name": "Staff"}
    await pos(
        client, tenant, SEND, check("T-1", [line("1", "20"), line("2", "4")], discounts=[ours, staff], is_closed=True)
    )
    clock.advance(minutes=5)
    await pos(client, tenant, SEND, check("T-2", [line("1", "7")]))
    before = await snapshot(db)
    page = await admin.get("/admin/transactions")
    assert page.status_code == 200
    html = page.text
    assert ROW_IDS.findall(html) == ["T-2", "T-1"]  # most recent first
    closed = html[html.index("<code>T-1</code>") :]
    for text in (
        f'href="/admin/customers/{user_id}">Ada L</a>',
        "C-1",
        "$24.00",  # subtotal
        "$6.50",  # discount total
        ">Closed<",
        "<strong>$5 off</strong> $5.00",
        f'title="{user_offer_id}"',
        "redeemed by this check",
        "Staff $1.50",
    ):
        assert text in closed, text
    open_check = html[html.index("<code>T-2</code>") : html.index("<code>T-1</code>")]
    assert ">Open<" in open_check and "$7.00" in open_check
    assert await snapshot(db) == before  # a page read changes nothing


async def test_filter_by_store_and_page(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    other = await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="Uptown", now=clock())
    for n in range(27):
        await pos(client, tenant, SEND, check(f"M-{n:02d}", [line("1", "3")]))
        clock.advance(seconds=1)
    everything = await admin.get("/admin/transactions")
    assert "Page 1 of 2" in everything.text and len(ROW_IDS.findall(everything.text)) == 25
    assert 'href="?page=2" rel="next">Older</a>' in everything.text
    second = await admin.get("/admin/transactions?page=2")
    assert ROW_IDS.findall(second.text) == ["M-01", "M-00"]
    assert 'href="?page=1" rel="prev">Newer</a>' in second.text and 'rel="next"' not in second.text
    uptown = await admin.get(f"/admin/transactions?store={other.id}")
    assert "No transactions at this store yet" in uptown.text
    main = await admin.get(f"/admin/transactions?store={tenant.store_id}")
    assert "27 transactions." in main.text
    assert (await admin.get("/admin/transactions?store=nonsense&page=x")).status_code == 200


async def test_another_retailers_checks_are_not_shown(
    admin: Browser, client: httpx.AsyncClient, other_tenant: Tenant
) -> None:
    await pos(client, other_tenant, SEND, check("THEIRS", [line("1", "3")]))
    page = await admin.get("/admin/transactions")
    assert "THEIRS" not in page.text
    theirs = await admin.get(f"/admin/transactions?store={other_tenant.store_id}")
    assert "THEIRS" not in theirs.text
