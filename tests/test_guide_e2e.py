"""The partner guide's steps 1 and 2, verbatim: in-process on both engines, and end to end against a real
`openoffers serve` process whose tenant was made with the `openoffers` CLI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, _truncate_pg, basic, snapshot
from tests.serve_support import OPENOFFERS, serving

# Step 1's body exactly as the guide prints it (its lines re-joined where the PDF wrapped them). Its
# retailer_id has one character too many.
GUIDE_CREATE = (
    r'{"retailer_id": "2D5B5A08-BECD-4837-A69A-2AB967C17773A","offer_type": "manual_fulfillment","publish": '
    r'"true","text_config": [{"title": "Test Image URL","description": "Session M Test Offer - KY",'
    r'"terms_and_conditions": "Subject to availability, XXX  reserves the right to to void any offer.",'
    r'"culture": "en"}],"media_config": [],"common_config": {"acquisition_start_date": "2018-03-01 00:00:00.0",'
    r'"acquisition_end_date": "2019-03-31 23:59:00.0","does_not_expire": false,"valid_after_end_date": false,'
    r'"reward_store": false,"validity_unit": "years", "validity_period": 100,"custom_data": '
    r'"{\"CustomAttribute\":\"CustomValue\"}"},"discount_config": {},"offer_config": {"type": '
    r'"manual_fulfillment"},"use_restrictions": [],"purchase_restrictions": [],"catalog_restrictions": '
    r'[],"location_restrictions": []}'
)
GUIDE_RETAILER = "2D5B5A08-BECD-4837-A69A-2AB967C7773A"
GUIDE_CREATE_FIXED = GUIDE_CREATE.replace("2D5B5A08-BECD-4837-A69A-2AB967C17773A", GUIDE_RETAILER)
CREATE_URI = "/api/2.0/offers/management/create"
FETCH_URI = "/api/2.0/offers/fetch_offer"
JSON_HEADERS = {"Content-Type": "application/json"}


def guide_fetch_body(offer_id: str) -> str:
    # The guide's step 2 body, with the offer_id step 1 returned.
    return '{"retailer_id":"2D5B5A08-BECD-4837-A69A-2AB967C7773A","offer_id":"' + offer_id + '","culture":"en-us"}'


def expected_offer(offer_id: str, text_id: str) -> dict[str, Any]:
    """The guide's fetch_offer response, field for field and in its order, for the offer created in step 1."""
    return {
        "offer_type_id": "manual_fulfillment",
        "id": offer_id,
        "root_offer_id": offer_id,
        "retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a",
        "title": "Test Image URL",
        "status": 1,
        "acquisition_start_date": "2018-03-01T00:00:00Z",
        "acquisition_end_date": "2019-03-31T23:59:00Z",
        "validity_period": 100,
        "validity_unit": "years",
        "reward_store": False,
        "custom_data": '{"CustomAttribute":"CustomValue"}',
        "requires_extended_data": False,
        "all_items_eligible": False,
        "parent_offer_ids": [],
        "check_level": False,
        "offer_text": [
            {
                "id": text_id,
                "offer_id": offer_id,
                "culture": "en",
                "title": "Test Image URL",
                "description": "Session M Test Offer - KY",
                "terms": "Subject to availability, XXX  reserves the right to to void any offer.",
            }
        ],
        "offer_media": [],
        "start_date": "2018-03-01T00:00:00Z",
        "end_date": "2019-03-31T23:59:00Z",
        "valid_after_end_date": False,
    }


def check_step_1_verbatim(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "status": "error",
        "payload": None,
        "errors": {
            "code": "VALIDATION",
            "message": "retailer_id: Invalid UUID",
            "fields": {"retailer_id": ["Invalid UUID"]},
        },
    }


def check_step_1_fixed(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    offer_id: str = body["payload"]["offer_id"]
    assert offer_id == offer_id.lower()
    assert list(body) == ["status", "payload"]
    assert body == {
        "status": "ok",
        "payload": {
            "offer_id": offer_id,
            "root_offer_id": offer_id,
            "validation_errors": {},
            "revisioned": False,
            "new_status": 1,
            "state_transition": "created_new-(unknown_status>published)",
        },
    }
    assert list(body["payload"]) == [
        "offer_id",
        "root_offer_id",
        "validation_errors",
        "revisioned",
        "new_status",
        "state_transition",
    ]
    return offer_id


def check_step_2(response: httpx.Response, offer_id: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert (list(body), body["status"], list(body["payload"])) == (["status", "payload"], "ok", ["offer"])
    offer = body["payload"]["offer"]
    [text] = offer["offer_text"]
    expected = expected_offer(offer_id, text["id"])
    # The guide's fields first, in the guide's order, with the guide's values; ours follow.
    guide_part = {key: offer[key] for key in list(offer)[: len(expected)]}
    assert list(guide_part) == list(expected)
    assert guide_part == expected


# In-process, on SQLite and PostgreSQL.


async def test_guide_steps_1_and_2_in_process(db: Database, clock: FrozenClock, client: httpx.AsyncClient) -> None:
    retailer = await tenancy.create_retailer(db, name="Guide", retailer_id=UUID(GUIDE_RETAILER), now=clock())
    _, secret = await tenancy.create_api_key(
        db, retailer_id=retailer.id, key="guide", secret="guide-secret", now=clock()
    )
    headers = {**JSON_HEADERS, **basic("guide", secret)}

    before = await snapshot(db)
    check_step_1_verbatim(await client.post(CREATE_URI, content=GUIDE_CREATE, headers=headers))
    assert await snapshot(db) == before

    offer_id = check_step_1_fixed(await client.post(CREATE_URI, content=GUIDE_CREATE_FIXED, headers=headers))
    check_step_2(await client.post(FETCH_URI, content=guide_fetch_body(offer_id), headers=headers), offer_id)


# End to end: a real server process, a tenant made with the CLI.


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        # A new file: `serve` migrates SQLite itself.
        return f"sqlite:///{tmp_path / 'e2e.db'}"
    url: str = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def server(server_database: str, tmp_path: Path) -> Iterator[str]:
    """`openoffers serve` on a free port; yields its base URL once /health answers; always stopped."""
    with serving(server_database, tmp_path) as base_url:
        yield base_url


def cli(*args: str) -> dict[str, Any]:
    """Run `openoffers ... --json` as a separate process and return what it printed."""
    done = subprocess.run([OPENOFFERS, *args, "--json"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_guide_steps_1_and_2_against_openoffers_serve(server: str, server_database: str) -> None:
    retailer = cli(
        "retailer", "create", "--id", GUIDE_RETAILER, "--name", "Guide Retailer", "--database-url", server_database
    )
    assert retailer["retailer_id"] == GUIDE_RETAILER.lower()
    key = cli("key", "create", "--retailer", GUIDE_RETAILER, "--database-url", server_database)
    assert key["role"] == "admin"
    # The guide's header: "Authorization: Basic <Your API Key>".
    headers = {**JSON_HEADERS, "Authorization": key["authorization"]}

    with httpx.Client(base_url=server, timeout=10) as http:
        check_step_1_verbatim(http.post(CREATE_URI, content=GUIDE_CREATE, headers=headers))
        listing = http.post("/api/2.0/offers/list", json={"retailer_id": GUIDE_RETAILER}, headers=headers)
        assert listing.json()["payload"] == {"total_records": 0, "results": []}  # nothing was saved

        offer_id = check_step_1_fixed(http.post(CREATE_URI, content=GUIDE_CREATE_FIXED, headers=headers))
        check_step_2(http.post(FETCH_URI, content=guide_fetch_body(offer_id), headers=headers), offer_id)

        # The guide's host-relative URIs work in any case and with a trailing slash, on the real server too.
        again = http.post("/API/2.0/Offers/Fetch_Offer/", content=guide_fetch_body(offer_id.upper()), headers=headers)
        check_step_2(again, offer_id)
        wrong = http.post(FETCH_URI, content=guide_fetch_body(offer_id), headers={**JSON_HEADERS, **basic("x", "y")})
        assert (wrong.status_code, wrong.json()["errors"]["code"]) == (401, "INVALID_API_KEY")
        missing = http.post("/api/2.0/nothing", json={}, headers=headers)
        assert (missing.status_code, missing.json()["errors"]["code"]) == (404, "NOT_FOUND")
