"""Lists that say what is true: an offer whose window ended shows as ended and is not offered in the
issue and rule pickers; offers sharing a title can be told apart there; issued and redeemed columns."""

from __future__ import annotations

import re

import httpx

from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant
from tests.pos.pos_support import create_offer, create_user, issue

ENDED_WINDOW = {
    "acquisition_start_date": "2019-01-01T00:00:00Z",
    "acquisition_end_date": "2019-12-31T00:00:00Z",
    "validity_unit": "days",
    "validity_period": 30,
}


def _text(title: str) -> list[dict[str, str]]:
    return [{"title": title, "description": "d", "terms_and_conditions": "t", "culture": "en"}]


def options_of(html: str, select_id: str) -> dict[str, str]:
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert block, select_id
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', block.group(1)))


async def test_ended_offers_and_twins(admin: Browser, client: httpx.AsyncClient, tenant: Tenant) -> None:
    ended = await create_offer(client, tenant, text_config=_text("Summer 2019"), common_config=ENDED_WINDOW)
    twin_a = await create_offer(client, tenant, text_config=_text("Twin"))
    twin_b = await create_offer(
        client,
        tenant,
        text_config=_text("Twin"),
        offer_type="percent_check_discount",
        discount_config={"percent": 10},
    )
    user = await create_user(client, tenant, first_name="Ada", last_name="L")
    await issue(client, tenant, user, twin_a)
    await issue(client, tenant, user, twin_a)

    listing = (await admin.get("/admin/offers")).text
    row = re.search(rf'href="/admin/offers/{ended}">Summer 2019</a>.*?</tr>', listing, re.S)
    assert row and ">Ended</span>" in row.group(0) and ">Published</span>" not in row.group(0)
    twin_row = re.search(rf'href="/admin/offers/{twin_a}">Twin</a>.*?</tr>', listing, re.S)
    assert twin_row
    assert re.findall(r'<td class="num">(\d+)</td>', twin_row.group(0)) == ["2", "0"]  # issued, redeemed

    issue_options = options_of((await admin.get(f"/admin/customers/{user}")).text, "f-offer-id")
    assert ended not in issue_options
    assert issue_options[twin_a] != issue_options[twin_b]
    assert issue_options[twin_a].startswith("Twin · ") and twin_a[:8] in issue_options[twin_a]

    rule_options = options_of((await admin.get("/admin/rules/new?kind=issuance")).text, "f-offer-id")
    assert ended not in rule_options and {twin_a, twin_b} <= set(rule_options)
    assert rule_options[twin_a] != rule_options[twin_b]


async def test_sortable_columns(admin: Browser, client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock) -> None:
    ids = {}
    for title in ("banana", "Apple", "cherry"):
        clock.advance(seconds=1)
        ids[title] = await create_offer(client, tenant, text_config=_text(title))
    user = await create_user(client, tenant, first_name="Ada", last_name="L")
    for title, copies in (("banana", 1), ("cherry", 3)):
        for _ in range(copies):
            await issue(client, tenant, user, ids[title])

    async def order(sort: str) -> list[str]:
        page = (await admin.get("/admin/offers", params={"sort": sort} if sort else None)).text
        return re.findall(r'href="/admin/offers/[0-9a-f-]{36}">([^<]+)</a>', page)

    assert await order("") == ["cherry", "Apple", "banana"]  # newest first
    assert await order("title") == ["Apple", "banana", "cherry"]  # any case
    assert await order("-title") == ["cherry", "banana", "Apple"]
    assert await order("-issued") == ["cherry", "banana", "Apple"]
    assert await order("issued") == ["Apple", "banana", "cherry"]
    assert await order("'; drop table offers") == ["cherry", "Apple", "banana"]
    page = (await admin.get("/admin/offers", params={"sort": "title"})).text
    assert 'aria-sort="ascending"><a class="sort" href="?sort=-title">Title ↑</a>' in page
