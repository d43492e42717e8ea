"""Offers API over HTTP: every endpoint's envelope, authentication and roles, tenancy, the lenient wire,
paths, limits, and error envelopes (never a 500, never a trace)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from openoffers import __version__
from openoffers.kit.db import Database
from openoffers.offers import repository as repo
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, basic, offer_body, snapshot

API = "/api/2.0/offers"
CREATE = f"{API}/management/create"
UPDATE = f"{API}/management/update"
PUBLISH = f"{API}/management/publish"
DEACTIVATE = f"{API}/management/deactivate"
REACTIVATE = f"{API}/management/reactivate"
DELETE = f"{API}/management/delete"
FETCH = f"{API}/fetch_offer"
LIST = f"{API}/list"
DETAILS = f"{API}/fetch_offers_details"
WRITES = [CREATE, UPDATE, PUBLISH, DEACTIVATE, REACTIVATE, DELETE]
READS = [FETCH, LIST, DETAILS]
MISSING = "00000000-0000-4000-8000-000000000000"


async def create(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> str:
    response = await client.post(CREATE, json=offer_body(tenant.retailer_id, **overrides), headers=tenant.auth)
    assert response.status_code == 200, response.text
    offer_id: str = response.json()["payload"]["offer_id"]
    return offer_id


def body_for(path: str, retailer_id: UUID | str, offer_id: str) -> dict[str, Any]:
    """A well-formed body for any Offers API endpoint."""
    if path == CREATE:
        return offer_body(retailer_id)
    if path == UPDATE:
        return {**offer_body(retailer_id), "offer_id": offer_id}
    if path == LIST:
        return {"retailer_id": str(retailer_id)}
    if path == DETAILS:
        return {"retailer_id": str(retailer_id), "offer_ids": [offer_id]}
    return {"retailer_id": str(retailer_id), "offer_id": offer_id}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["payload"] is None
    assert body["errors"]["code"] == code
    errors: dict[str, Any] = body["errors"]
    return errors


async def test_the_whole_lifecycle_over_http(
    db: Database, client: httpx.AsyncClient, clock: FrozenClock, tenant: Tenant
) -> None:
    rid = str(tenant.retailer_id)
    response = await client.post(CREATE, json=offer_body(rid, publish=False), headers=tenant.auth)
    assert response.status_code == 200
    oid = response.json()["payload"]["offer_id"]
    assert response.json() == {
        "status": "ok",
        "payload": {
            "offer_id": oid,
            "root_offer_id": oid,
            "validation_errors": {},
            "revisioned": False,
            "new_status": 0,
            "state_transition": "created_new-(unknown_status>draft)",
        },
    }
    expected = [
        (PUBLISH, 1, "published-(draft>published)"),
        (DEACTIVATE, 2, "deactivated-(published>deactivated)"),
        (REACTIVATE, 1, "reactivated-(deactivated>published)"),
    ]
    for path, status, transition in expected:
        response = await client.post(path, json={"retailer_id": rid, "offer_id": oid}, headers=tenant.auth)
        assert response.json() == {
            "status": "ok",
            "payload": {
                "offer_id": oid,
                "root_offer_id": oid,
                "validation_errors": {},
                "revisioned": False,
                "new_status": status,
                "state_transition": transition,
            },
        }

    # Issued once (the wallet marks the revision), an update makes a revision.
    async with db.write() as conn:
        await repo.mark_referenced(conn, tenant.retailer_id, UUID(oid))
    response = await client.post(
        UPDATE,
        json={**offer_body(rid, discount_config={"amount": "7.50"}), "offer_id": oid.upper()},
        headers=tenant.auth,
    )
    payload = response.json()["payload"]
    new_id = payload["offer_id"]
    assert new_id != oid
    assert payload == {
        "offer_id": new_id,
        "root_offer_id": oid,
        "validation_errors": {},
        "revisioned": True,
        "new_status": 1,
        "state_transition": "revisioned-(published>published)",
    }
    response = await client.post(FETCH, json={"retailer_id": rid, "offer_id": new_id}, headers=tenant.auth)
    offer = response.json()["payload"]["offer"]
    assert (offer["id"], offer["root_offer_id"], offer["parent_offer_ids"], offer["revision"]) == (
        new_id,
        oid,
        [oid],
        2,
    )
    assert offer["discount_config"] == {"amount": 7.5}

    response = await client.post(LIST, json={"retailer_id": rid, "skip": "0", "take": "10"}, headers=tenant.auth)
    listing = response.json()["payload"]
    assert listing["total_records"] == 1
    assert [(r["id"], r["root_offer_id"], r["revision"], r["status"]) for r in listing["results"]] == [
        (new_id, oid, 2, 1)
    ]

    response = await client.post(DETAILS, json={"retailer_id": rid, "offer_ids": [new_id]}, headers=tenant.auth)
    assert response.json() == {
        "status": "ok",
        "payload": {
            "total_records": 1,
            "results": [
                {
                    "offer_id": new_id,
                    "root_offer_id": oid,
                    "title": "$5 off",
                    "status": 1,
                    "acquisition_count": 0,
                    "redemption_count": 0,
                    "total_inventory": None,
                    "available_inventory_remaining": None,
                }
            ],
        },
    }

    response = await client.post(DELETE, json={"retailer_id": rid, "offer_id": oid}, headers=tenant.auth)
    assert response.json()["payload"]["offer_id"] == new_id  # the latest revision answers
    assert response.json()["payload"]["state_transition"] == "deleted-(published>deleted)"
    response = await client.post(FETCH, json={"retailer_id": rid, "offer_id": oid}, headers=tenant.auth)
    assert response.json()["payload"]["offer"]["status"] == 3
    response = await client.post(LIST, json={"retailer_id": rid}, headers=tenant.auth)
    assert response.json()["payload"] == {"total_records": 0, "results": []}


async def test_list_filters_over_http(client: httpx.AsyncClient, clock: FrozenClock, tenant: Tenant) -> None:
    coffee = await create(client, tenant, text_config=[{"title": "Free coffee"}], offer_type="manual_fulfillment")
    clock.advance(minutes=1)
    await create(client, tenant, publish=False, text_config=[{"title": "Tea"}])
    clock.advance(minutes=1)
    mug = await create(
        client,
        tenant,
        text_config=[{"title": "Coffee mug"}],
        common_config={"reward_store": True, "points_cost": 100},
    )
    rid = str(tenant.retailer_id)

    async def ids(**filters: Any) -> tuple[int, list[str]]:
        response = await client.post(LIST, json={"retailer_id": rid, **filters}, headers=tenant.auth)
        payload = response.json()["payload"]
        return payload["total_records"], [r["id"] for r in payload["results"]]

    assert await ids(status="1", search="COFFEE") == (2, [mug, coffee])
    assert await ids(offer_type="manual_fulfillment") == (1, [coffee])
    assert await ids(reward_store="true") == (1, [mug])
    _, newest_first = await ids()
    assert await ids(take=1, skip=1) == (3, [newest_first[1]])
    response = await client.post(LIST, json={"retailer_id": rid, "status": 4}, headers=tenant.auth)
    assert assert_error(response, 400, "VALIDATION")["fields"] == {"status": ["Expected `int` <= 3"]}
    response = await client.post(LIST, json={"retailer_id": rid, "take": 0}, headers=tenant.auth)
    assert assert_error(response, 400, "VALIDATION")["fields"] == {"take": ["Expected `int` >= 1"]}
    # An offset beyond what SQL can hold is refused up front, on both listings.
    for path in (LIST, DETAILS):
        response = await client.post(path, json={"retailer_id": rid, "skip": 2**63}, headers=tenant.auth)
        assert assert_error(response, 400, "VALIDATION")["fields"] == {"skip": ["Expected `int` <= 1000000000"]}
    response = await client.post(LIST, json={"retailer_id": rid, "skip": 1_000_000_000}, headers=tenant.auth)
    assert response.json()["payload"] == {"total_records": 3, "results": []}


async def test_details_with_inventory_over_http(client: httpx.AsyncClient, tenant: Tenant) -> None:
    oid = await create(client, tenant, issuance_restrictions=[{"type": "inventory", "total": "250"}])
    response = await client.post(
        DETAILS, json={"retailer_id": str(tenant.retailer_id), "offer_ids": [oid.upper()]}, headers=tenant.auth
    )
    [details] = response.json()["payload"]["results"]
    assert (details["acquisition_count"], details["redemption_count"]) == (0, 0)
    assert (details["total_inventory"], details["available_inventory_remaining"]) == (250, 250)


# Authentication and roles


# Each of these loops over every endpoint in one test: one database set-up instead of nine.


async def test_missing_or_wrong_credentials_are_401(db: Database, client: httpx.AsyncClient, tenant: Tenant) -> None:
    oid = await create(client, tenant)
    before = await snapshot(db)
    for n, path in enumerate(WRITES + READS):
        body = body_for(path, tenant.retailer_id, oid)
        # The real key's wrong secret five times, then unknown keys: after five failures a (client
        # address, key) pair is throttled with 429 (tests/tenancy/test_throttle.py).
        wrong = basic(tenant.key if n < 5 else f"no-such-key-{n}", tenant.secret + "x")
        for headers, message in (
            ({}, "missing Authorization header (Basic key:secret)"),
            (wrong, "invalid credentials"),
            ({"Authorization": "Bearer token"}, "Authorization must be Basic key:secret"),
            ({b"Authorization": b"Basic \xe9t\xe9"}, "Authorization is not valid base64 of key:secret"),
        ):
            response = await client.post(path, json=body, headers=headers)
            assert assert_error(response, 401, "INVALID_API_KEY")["message"] == message, path
    assert await snapshot(db) == before


async def test_pos_client_credentials_are_refused_on_the_offers_api(
    db: Database, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    oid = await create(client, tenant)
    before = await snapshot(db)
    for path in WRITES + READS:
        response = await client.post(path, json=body_for(path, tenant.retailer_id, oid), headers=tenant.pos_auth)
        errors = assert_error(response, 403, "ACCESS_DENIED")
        assert errors["message"] == "this endpoint needs an API key, not POS client credentials", path
    assert await snapshot(db) == before


async def test_a_pos_role_key_reads_but_cannot_write(
    db: Database, client: httpx.AsyncClient, clock: FrozenClock, tenant: Tenant
) -> None:
    oid = await create(client, tenant, publish=False)
    _, secret = await tenancy.create_api_key(
        db, retailer_id=tenant.retailer_id, key="pos-reader", secret="pos-reader-secret", role="pos", now=clock()
    )
    reader = basic("pos-reader", secret)
    before = await snapshot(db)
    for path in WRITES:
        response = await client.post(path, json=body_for(path, tenant.retailer_id, oid), headers=reader)
        assert (
            assert_error(response, 403, "ACCESS_DENIED")["message"] == "the key's role pos may not call this endpoint"
        )
    assert await snapshot(db) == before
    for path in READS:
        response = await client.post(path, json=body_for(path, tenant.retailer_id, oid), headers=reader)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["status"] == "ok"


async def test_an_offers_role_key_can_write(
    db: Database, client: httpx.AsyncClient, clock: FrozenClock, tenant: Tenant
) -> None:
    _, secret = await tenancy.create_api_key(
        db, retailer_id=tenant.retailer_id, key="marketing", secret="marketing-secret", role="offers", now=clock()
    )
    response = await client.post(CREATE, json=offer_body(tenant.retailer_id), headers=basic("marketing", secret))
    assert response.json()["payload"]["new_status"] == 1


# Tenancy: another retailer's objects do not exist


async def test_another_retailers_id_is_not_found(
    db: Database, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    oid = await create(client, tenant)
    before = await snapshot(db)
    for path in WRITES + READS:
        response = await client.post(path, json=body_for(path, other_tenant.retailer_id, oid), headers=tenant.auth)
        errors = assert_error(response, 404, "NOT_FOUND")
        assert (errors["message"], errors["fields"]) == ("retailer not found", {"retailer_id": ["not found"]}), path
    assert await snapshot(db) == before


async def test_another_retailers_offer_is_not_found(
    db: Database, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await create(client, other_tenant)
    before = await snapshot(db)
    for path in [p for p in WRITES + READS if p not in (CREATE, LIST)]:
        for offer_id in (theirs, MISSING):
            response = await client.post(path, json=body_for(path, tenant.retailer_id, offer_id), headers=tenant.auth)
            errors = assert_error(response, 404, "NOT_FOUND")
            assert errors == {
                "code": "NOT_FOUND",
                "message": f"offer {offer_id} not found",
                "fields": {"offer_id": ["not found"]},
            }, path
    assert await snapshot(db) == before


# The lenient wire and paths


async def test_lenient_wire_values(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = {
        "retailer_id": str(tenant.retailer_id).upper(),
        "offer_type": "fixed_amount_item_discount",
        "publish": "true",
        "text_config": [{"title": "77 cents", "culture": "en", "something_new": {"ignored": True}}],
        "common_config": {
            "acquisition_start_date": "2018-03-01 00:00:00.0",
            "acquisition_end_date": "2018-06-10 9:20:00.000",
            "validity_period": "100",
            "validity_unit": "years",
            "reward_store": "false",
        },
        "discount_config": {"amount": ".77", "max_items": "3"},
        "stack_priority": "-2",
        "a_field_from_the_future": [1, 2, 3],
    }
    response = await client.post(CREATE, json=body, headers=tenant.auth)
    payload = response.json()["payload"]
    assert (payload["new_status"], payload["validation_errors"]) == (1, {})
    response = await client.post(
        FETCH,
        json={"retailer_id": str(tenant.retailer_id).upper(), "offer_id": payload["offer_id"].upper(), "x": None},
        headers=tenant.auth,
    )
    offer = response.json()["payload"]["offer"]
    assert offer["retailer_id"] == str(tenant.retailer_id)
    assert offer["discount_config"] == {"amount": 0.77, "max_items": 3}
    assert (offer["validity_period"], offer["validity_unit"], offer["stack_priority"]) == (100, "years", -2)
    assert (offer["acquisition_start_date"], offer["acquisition_end_date"]) == (
        "2018-03-01T00:00:00Z",
        "2018-06-10T09:20:00Z",
    )
    # The raw bytes: money is a JSON number, never a string.
    assert b'"discount_config":{"amount":0.77,"max_items":3}' in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/API/2.0/Offers/Management/Create",
        "/api/2.0/offers/management/create/",
        "/Api/2.0/OFFERS/management/CREATE/",
    ],
)
async def test_paths_are_case_insensitive_with_or_without_a_trailing_slash(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    response = await client.post(path, json=offer_body(tenant.retailer_id), headers=tenant.auth)
    assert response.status_code == 200, response.text
    oid = response.json()["payload"]["offer_id"]
    response = await client.post(
        "/api/2.0/Offers/Fetch_Offer/",
        json={"retailer_id": str(tenant.retailer_id), "offer_id": oid},
        headers=tenant.auth,
    )
    assert response.json()["payload"]["offer"]["id"] == oid


# Errors and limits


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (b'{"retailer_id": ', {"body": ["malformed JSON"]}),
        (b"not json at all", {"body": ["malformed JSON"]}),
        (b"", {"body": ["malformed JSON"]}),
        (b"[]", {"body": ["Expected `object`, got `array`"]}),
        (b"null", {"body": ["Expected `object`, got `null`"]}),
        (b"{}", {"body": ["Object missing required field `retailer_id`"]}),
    ],
)
async def test_bodies_that_are_not_a_request_are_validation_errors(
    db: Database, client: httpx.AsyncClient, tenant: Tenant, content: bytes, fields: dict[str, list[str]]
) -> None:
    before = await snapshot(db)
    response = await client.post(CREATE, content=content, headers={**tenant.auth, "Content-Type": "application/json"})
    assert assert_error(response, 400, "VALIDATION")["fields"] == fields
    assert await snapshot(db) == before


async def test_unknown_routes_and_methods_answer_in_the_envelope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ("/api/2.0/offers/nothing_here", "/api/3.0/offers/list", "/nowhere"):
        response = await client.post(path, json={}, headers=tenant.auth)
        assert assert_error(response, 404, "NOT_FOUND") == {"code": "NOT_FOUND", "message": "no such endpoint"}
    response = await client.get(LIST, headers=tenant.auth)
    assert assert_error(response, 405, "METHOD_NOT_ALLOWED")["message"] == "method not allowed for this endpoint"
    assert sorted(response.headers["allow"].replace(" ", "").split(",")) == ["OPTIONS", "POST"]


async def stream(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_bodies_over_one_mebibyte_are_413(db: Database, client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = await snapshot(db)
    padded = json.dumps(offer_body(tenant.retailer_id)).encode()[:-1] + b', "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(CREATE, content=padded, headers={**tenant.auth, "Content-Type": "application/json"})
    assert assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    # Without a Content-Length (chunked), the limit holds too.
    chunks = [padded[i : i + 65536] for i in range(0, len(padded), 65536)]
    response = await client.post(
        CREATE, content=stream(chunks), headers={**tenant.auth, "Content-Type": "application/json"}
    )
    assert assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert await snapshot(db) == before
    # Just under the limit is fine.
    fits = json.dumps(offer_body(tenant.retailer_id)).encode()
    fits = fits[:-1] + b', "pad": "' + b"x" * (1024 * 1024 - len(fits) - 12) + b'"}'
    assert len(fits) <= 1024 * 1024
    response = await client.post(CREATE, content=fits, headers={**tenant.auth, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "database": "ok", "connections_in_use": 0}


NASTY: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    "",
    "NaN",
    "-Infinity",
    "1e999999",
    "x" * 300,
    "\u0000",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2018-02-30",
    "ZZZZZZZZ-BECD-4837-A69A-2AB967C7773A",
    MISSING,
    [],
    [None],
    {},
    {"type": "stores"},
    {"type": None},
]


def mutations(seed: int, count: int, base: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of `base` with one to three values (at any depth) replaced by something nasty."""
    rng = random.Random(seed)

    def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix] if prefix else []
        if isinstance(value, dict):
            for key, child in value.items():
                found += paths(child, (*prefix, key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                found += paths(child, (*prefix, index))
        return found

    out = []
    for _ in range(count):
        body = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths(body))
            target = body
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = copy.deepcopy(rng.choice(NASTY))
        out.append(body)
    return out


async def test_no_input_makes_a_500_or_leaks_a_trace(client: httpx.AsyncClient, tenant: Tenant) -> None:
    oid = await create(client, tenant)
    rich = offer_body(
        tenant.retailer_id,
        media_config=[{"uri": "https://x/y.png", "culture": "en"}],
        common_config={
            "acquisition_start_date": "2026-01-01",
            "acquisition_end_date": "2027-01-01",
            "validity_unit": "days",
            "validity_period": 3,
            "reward_store": False,
            "points_cost": 5,
            "custom_data": "{}",
        },
        discount_config={"amount": 5, "max_discount": 5, "max_items": 1, "recurrence": 1},
        location_restrictions=[{"type": "stores", "store_ids": [str(tenant.store_id)], "store_tags": ["a"]}],
        catalog_restrictions=[{"type": "items", "item_ids": ["1"], "category_ids": ["c"]}],
        purchase_restrictions=[{"type": "min_subtotal", "amount": 1}, {"type": "min_quantity", "quantity": 1}],
        use_restrictions=[{"type": "time_of_day", "start": "7:00", "end": "9:00"}],
        issuance_restrictions=[{"type": "inventory", "total": 5}],
    )
    bodies: list[tuple[str, Any]] = [(CREATE, b) for b in mutations(1, 120, rich)]
    bodies += [(UPDATE, b) for b in mutations(2, 40, {**rich, "offer_id": oid})]
    for path in (FETCH, LIST, DETAILS, PUBLISH):
        bodies += [(path, b) for b in mutations(3, 15, {**body_for(path, tenant.retailer_id, oid), "culture": "en"})]
    raw = [b"[" * 100_000, b'{"retailer_id": "' + b"\xff" * 10 + b'"}', b"\x00", b'"' + b"a" * 1000]
    statuses: set[int] = set()
    for path, body in bodies + [(CREATE, r) for r in raw]:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await client.post(path, content=content, headers={**tenant.auth, "Content-Type": "application/json"})
        assert response.status_code < 500, (path, content[:300], response.text)
        assert "Traceback" not in response.text
        statuses.add(response.status_code)
        envelope = response.json()
        if response.status_code == 200:
            assert envelope["status"] == "ok"
        else:
            assert envelope["status"] == "error"
            assert set(envelope["errors"]) <= {"code", "message", "fields", "reason"}
    # The mutations reach both sides: accepted bodies and refused ones.
    assert {200, 400} <= statuses, statuses
