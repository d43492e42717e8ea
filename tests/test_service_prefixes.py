"""SessionM's service prefixes (issue 11, item 4): `/offers/api/2.0/...` and `/incentives/api/1.0/...` reach
the same routes as `/api/2.0/...`, case-insensitively, with or without a trailing slash, as today's paths do.

Sources: teamusers/DOTNET-RWS-LBE-Transaction `Common/RlpCommons.cs` (`/offers/api/2.0/offers/
acquisition/issue`, `/incentives/api/1.0/user_points/all_balances`, and `/api/2.0/send_transaction`
without a prefix, all from one client), Braze's SessionM page (`{{endpoint_connect}}/offers/api/2.0/
offers/get_user_offers`), and a public TypeScript client (`${CONNECT_HOST}/incentives/api/1.0/...` and
`/offers/api/2.0/offers/get_user_offers`).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from openoffers.kit.http import api_path
from tests.conftest import Tenant, basic
from tests.wallet.wallet_support import create_user


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/offers/api/2.0/offers/get_user_offers", "/api/2.0/offers/get_user_offers"),
        ("/OFFERS/API/2.0/Offers/Acquisition/Issue/", "/api/2.0/offers/acquisition/issue"),
        ("/incentives/api/1.0/user_points/all_balances", "/api/2.0/user_points/all_balances"),
        ("/Incentives/Api/1.0/User_Events/Trigger_User_Event/", "/api/2.0/user_events/trigger_user_event"),
        ("/api/2.0/Lookup/", "/api/2.0/lookup"),
        ("/offers/api/2.0", None),  # the prefix alone is no API path
        ("/incentives/api/2.0/user_points/all_balances", None),  # each service has its own version
        ("/admin/offers", None),
        ("/health", None),
    ],
)
def test_api_path(path: str, expected: str | None) -> None:
    assert api_path(path) == expected


async def test_the_same_request_under_each_prefix(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """One get_user_offers body (Braze's) and one all_balances body (`ViewBalanceRWS` of the .NET client)
    under every spelling: the same answer each time."""
    user_id = await create_user(client, tenant)
    wallet = {"retailer_id": str(tenant.retailer_id), "user_id": user_id, "skip": 0, "take": 1000, "culture": "en-US"}
    balances = {"retailer_id": str(tenant.retailer_id), "user_id": user_id, "culture": "en_US"}
    answers: dict[str, set[str]] = {}
    for path, body in (
        ("/api/2.0/offers/get_user_offers", wallet),
        ("/offers/api/2.0/offers/get_user_offers", wallet),
        ("/Offers/API/2.0/offers/Get_User_Offers/", wallet),
        ("/incentives/api/1.0/offers/get_user_offers", wallet),
        ("/api/2.0/user_points/all_balances", balances),
        ("/incentives/api/1.0/user_points/all_balances", balances),
        ("/INCENTIVES/api/1.0/user_points/all_balances/", balances),
        ("/offers/api/2.0/user_points/all_balances", balances),
    ):
        response = await client.post(path, json=body, headers=tenant.auth)
        assert response.status_code == 200, (path, response.text)
        answers.setdefault(path.lower().rsplit("/api/", 1)[1].split("/", 1)[1].rstrip("/"), set()).add(response.text)
    assert {name: len(texts) for name, texts in answers.items()} == {
        "offers/get_user_offers": 1,
        "user_points/all_balances": 1,
    }


async def test_pos_calls_under_the_offers_prefix(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A POS envelope under the Offers prefix is the POS call it names (Lookup here), with POS credentials."""
    user_id = await create_user(client, tenant)
    envelope: dict[str, Any] = {
        "store_id": str(tenant.store_id),
        "client_id": str(tenant.client_id),
        "request_id": "1",
        "request_payload": {"user_id": user_id},
    }
    response = await client.post("/offers/api/2.0/Lookup/", json=envelope, headers=tenant.pos_auth)
    assert response.status_code == 200, response.text
    assert response.json()["payload"][0]["user_reference_id"] == user_id


async def test_unknown_paths_under_a_prefix_are_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ("/offers/api/2.0/nothing_here", "/incentives/api/1.0/user_points/nothing"):
        response = await client.post(path, json={"retailer_id": str(tenant.retailer_id)}, headers=tenant.auth)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["errors"]["code"] == "NOT_FOUND"


async def test_wrong_secrets_under_a_prefix_are_throttled(app: Any, tenant: Tenant) -> None:
    """The Basic-auth throttle counts API calls under the prefixes as well: they are no way around it."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as guesser:
        statuses = []
        for path in ("/incentives/api/1.0/user_points/all_balances", "/offers/api/2.0/offers/get_user_offers") * 3:
            response = await guesser.post(
                path, json={"retailer_id": str(tenant.retailer_id)}, headers=basic(tenant.key, "wrong-secret")
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
