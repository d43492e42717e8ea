"""Bad input never breaks the server: every endpoint, every field, every kind of wrong value.

For each documented endpoint a valid request is built against a seeded retailer, then every field of
it (one list element stands for the whole list) is replaced by each value of `BAD_VALUES`, removed,
and the whole body is replaced by non-objects. Every answer must be a known status with the error
envelope of API.md section 1 (a code, a message, no stack trace or SQL), and an answer that is an
error must leave every table exactly as it was. A success may change the database (many "bad"
values are valid somewhere: `0` is a fine `skip`); the next comparison starts from there.

Both engines: PostgreSQL and SQLite fail differently on out-of-range integers and odd strings.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import math
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import update

from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.kit.http import ENDPOINTS
from openoffers.tables.events import webhook_deliveries
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.throttle import BasicAuthThrottle
from openoffers.webhooks import delivery as webhook_delivery
from tests.conftest import Tenant, basic, snapshot
from tests.pos.pos_support import api, check, create_offer, create_user, issue, line

# One of each kind of wrong: null, the wrong type of every JSON kind, out of range both ways,
# a fraction where an integer belongs, beyond any column, and text that no parser expects.
BAD_VALUES: tuple[Any, ...] = (
    None,
    "",
    "zz\u0000\u202e",
    -1,
    10**30,
    2**63,
    2.5,
    "1e400",
    "NaN",
    True,
    [],
    [{}],
    {},
    "x" * 5000,
    "2026-02-30 25:61:00",
)
REMOVED = object()  # as a replacement: the key is left out


# What each code answers (API.md section 1); anything else is a defect.
def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


STATUS_OF_CODE = {error.code: error.status for error in _subclasses(DomainError)}
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "sqlite3", 'File "', "SELECT ", "INSERT ", "UPDATE ")


class Seeded:
    """Ids that exist for the tenant, so mutated requests get past the lookups into the real work."""

    offer_id: str
    reward_offer_id: str
    user_id: str
    user_offer_id: str
    locked_user_offer_id: str
    rule_id: str
    point_account_id: str
    webhook_id: str
    delivery_id: str


async def seed(client: httpx.AsyncClient, tenant: Tenant, db: Database | None = None) -> Seeded:
    """With `db`, also a webhook delivery that failed (what `webhooks/resend` takes)."""
    ids = Seeded()
    ids.offer_id = await create_offer(client, tenant)
    ids.reward_offer_id = await create_offer(
        client,
        tenant,
        common_config={"reward_store": True, "points_cost": 100, "validity_unit": "days", "validity_period": 30},
    )
    ids.user_id = await create_user(
        client, tenant, external_customer_id="ext-1", email="ada@example.com", phone="555-0100", first_name="Ada"
    )
    ids.user_offer_id = await issue(client, tenant, ids.user_id, ids.offer_id)
    ids.locked_user_offer_id = await issue(client, tenant, ids.user_id, ids.offer_id)
    accounts = await api(client, tenant, "/api/2.0/point_accounts/list", {})
    ids.point_account_id = accounts["results"][0]["point_account_id"]
    await api(client, tenant, "/api/2.0/user_points/deposit", {"user_id": ids.user_id, "amount": 500, "reason": "seed"})
    rule = await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    ids.rule_id = rule["rule_id"]
    hook = await api(client, tenant, "/api/2.0/webhooks/create", {"url": "https://example.com/hooks"})
    ids.webhook_id = hook["webhook_id"]
    ids.delivery_id = "1"
    if db is not None:
        await webhook_delivery.dispatch(db, utc_now())
        async with db.write() as conn:
            failed = await conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.endpoint_id == UUID(ids.webhook_id))
                .values(status="failed", attempts=8)
                .returning(webhook_deliveries.c.id)
            )
            ids.delivery_id = str(failed.scalars().first())
    return ids


def offers_bodies(ids: Seeded, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """A valid body for every Offers API endpoint."""
    r = {"retailer_id": str(tenant.retailer_id)}
    offer = {
        **r,
        "offer_type": "percent_item_discount",
        "publish": True,
        "exclusive": False,
        "stack_priority": 1,
        "text_config": [{"title": "10% off", "description": "d", "terms_and_conditions": "t", "culture": "en"}],
        "media_config": [{"culture": "en", "uri": "https://example.com/a.png", "media_type": "image"}],
        "common_config": {
            "acquisition_start_date": "2018-03-01 00:00:00.0",
            "acquisition_end_date": "2030-06-10 9:20:00.000",
            "does_not_expire": False,
            "valid_after_end_date": False,
            "reward_store": False,
            "validity_unit": "days",
            "validity_period": 30,
            "custom_data": '{"k": 1}',
        },
        "discount_config": {"percent": 10, "max_discount": 5, "max_items": 2},
        "offer_config": {"type": "percent_item_discount"},
        "location_restrictions": [{"type": "stores", "mode": "include", "store_ids": [], "store_tags": ["downtown"]}],
        "catalog_restrictions": [{"type": "items", "mode": "include", "item_ids": ["1"], "category_ids": ["c"]}],
        "purchase_restrictions": [
            {"type": "min_subtotal", "amount": "2.50"},
            {"type": "min_quantity", "quantity": 1, "item_ids": ["1"], "category_ids": []},
        ],
        "use_restrictions": [
            {"type": "days_of_week", "days": ["monday", "friday"]},
            {"type": "time_of_day", "start": "06:00", "end": "11:00"},
            {"type": "channels", "channels": ["STORE"]},
            {"type": "max_uses", "uses": 1, "period_unit": "days", "period_value": 1},
        ],
        "issuance_restrictions": [
            {"type": "inventory", "total": 100},
            {"type": "per_customer", "max": 2},
            {"type": "frequency", "max": 1, "period_unit": "weeks", "period_value": 1},
        ],
    }
    transaction = {
        "transaction_id": "F-1",
        "channel": "STORE",
        "subtotal": "12.00",
        "items": [{"line_id": "0", "item_id": "1", "quantity": 2, "unit_price": "6", "subtotal": "12"}],
    }
    return {
        "/api/2.0/point_accounts/create": {**r, "name": "Coffee", "grouping_label": "drinks"},
        "/api/2.0/point_accounts/list": {**r, "skip": 0, "take": 10},
        "/api/2.0/user_points/deposit": {
            **r,
            "user_id": ids.user_id,
            "amount": 10,
            "point_account_id": ids.point_account_id,
            "reason": "goodwill",
            "reference_id": "ref-1",
            "kind": "adjust",
        },
        "/api/2.0/user_points/spend": {
            **r,
            "user_id": ids.user_id,
            "amount": 1,
            "point_account_id": ids.point_account_id,
            "reason": "coffee",
            "reference_id": "ref-2",
        },
        "/api/2.0/user_points/balances": {**r, "user_id": ids.user_id},
        "/api/2.0/user_points/history": {
            **r,
            "user_id": ids.user_id,
            "point_account_id": ids.point_account_id,
            "skip": 0,
            "take": 5,
        },
        "/api/2.0/rules/create": {
            **r,
            "kind": "issuance",
            "name": "every 200",
            "priority": 1,
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2027-01-01T00:00:00Z",
            "offer_id": ids.offer_id,
            "trigger": {"type": "points_threshold", "threshold": 200, "balance": "lifetime"},
            "recurrence": "every_time",
            "per_user_cap": 3,
        },
        "/api/2.0/rules/update": {
            **r,
            "rule_id": ids.rule_id,
            "kind": "earn",
            "name": "double",
            "rate": "2",
            "point_account_id": ids.point_account_id,
            "multipliers": [{"type": "channel", "channels": ["STORE"], "factor": "1.5"}],
        },
        "/api/2.0/rules/get": {**r, "rule_id": ids.rule_id},
        "/api/2.0/rules/list": {**r, "kind": "earn", "active": True, "skip": 0, "take": 10},
        "/api/2.0/reports/programme": {**r, "from": "2026-01-01", "to": "2026-01-31"},
        "/api/2.0/rules/deactivate": {**r, "rule_id": ids.rule_id},
        "/api/2.0/rules/activate": {**r, "rule_id": ids.rule_id},
        "/api/2.0/rules/simulate": {
            **r,
            "user_id": ids.user_id,
            "store_id": str(tenant.store_id),
            "transaction": transaction,
            "occurred_at": "2026-06-15T12:00:00Z",
        },
        "/api/2.0/user_events/trigger": {
            **r,
            "user_id": ids.user_id,
            "event_name": "app_open",
            "properties": {"screen": "home", "count": 2},
            "event_id": "e-1",
            "occurred_at": "2026-06-15T12:00:00Z",
        },
        # As the public .NET client DOTNET-RWS-LBE-Register sends it (RlpUserProfileRequest.cs).
        "/api/2.0/user_events/trigger_user_event": {"event_lookup": "app_open", "user_id": ids.user_id, **r},
        # As the public .NET client DOTNET-RWS-LBE-Transaction sends them (SpendRequest.cs, Offer.cs).
        "/api/2.0/user_points/all_balances": {**r, "user_id": ids.user_id, "culture": "en_US"},
        "/api/2.0/user_points/spend_multiple": {
            "culture": "en-US",
            **r,
            "user_id": ids.user_id,
            "spend_details": [
                {
                    "id": "",
                    "timestamp": "",
                    "overdraft_id": "",
                    "overdraft_timestamp": "",
                    "amount": 10,
                    "point_account_ids": [ids.point_account_id],
                    "reference_id": "ref-3",
                    "reference_type": "AppSpend",
                    "transaction_id": "T-1",
                    "force_spend": True,
                    "rank": 0,
                    "is_return": False,
                    "idempotency_id": "idem-1",
                    "point_source_id": "",
                }
            ],
            "allow_partial_success": True,
            "disable_event_publishing": False,
            "parallel_mode": False,
        },
        "/api/2.0/offers/acquisition/update": {
            **r,
            "user_id": ids.user_id,
            "user_offer_id": ids.user_offer_id,
            "custom_data": '{"system_transaction_id": "T-1"}',
            "remain_pending_extended_data": False,
            "update_redemption_dates": False,
        },
        "/api/2.0/offers/redemption/manual_redeem": {**r, "user_offer_id": ids.user_offer_id, "force_redeem": False},
        "/api/2.0/offers/rewardstores/get_user_reward_stores": {
            **r,
            "user_id": ids.user_id,
            "culture": "en-US",
            "include_point_balances": True,
            "skip": 0,
            "take": 10,
        },
        "/api/2.0/catalog/import": {**r, "items": [{"item_id": "1", "name": "Latte", "category_ids": ["c"]}]},
        "/api/2.0/offers/management/create": offer,
        "/api/2.0/offers/management/update": {**offer, "offer_id": ids.offer_id},
        "/api/2.0/offers/management/publish": {**r, "offer_id": ids.offer_id},
        "/api/2.0/offers/management/deactivate": {**r, "offer_id": ids.offer_id},
        "/api/2.0/offers/management/reactivate": {**r, "offer_id": ids.offer_id},
        "/api/2.0/offers/management/delete": {**r, "offer_id": ids.reward_offer_id},
        "/api/2.0/offers/fetch_offer": {**r, "offer_id": ids.offer_id, "culture": "en-US"},
        "/api/2.0/offers/list": {
            **r,
            "status": 1,
            "offer_type": "fixed_amount_check_discount",
            "search": "off",
            "reward_store": False,
            "skip": 0,
            "take": 10,
        },
        "/api/2.0/offers/fetch_offers_details": {**r, "offer_ids": [ids.offer_id], "skip": 0, "take": 10},
        "/api/2.0/offers/claim_code": {**r, "user_offer_id": ids.user_offer_id},
        "/api/2.0/users/create": {
            **r,
            "external_customer_id": "ext-2",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "phone": "+1 555 0101",
            "profile_fields": {"tier": "gold"},
        },
        "/api/2.0/users/update": {**r, "user_id": ids.user_id, "last_name": "Lovelace", "profile_fields": {"a": 1}},
        "/api/2.0/users/get": {**r, "external_customer_id": "ext-1"},
        "/api/2.0/webhooks/create": {
            **r,
            "url": "https://hooks.example.com/openoffers",
            "event_types": ["user_offer.redeemed", "points.earned"],
            "description": "warehouse",
        },
        "/api/2.0/webhooks/list": r,
        "/api/2.0/webhooks/update": {**r, "webhook_id": ids.webhook_id, "event_types": ["user.created"]},
        "/api/2.0/webhooks/rotate_secret": {**r, "webhook_id": ids.webhook_id},
        "/api/2.0/webhooks/pause": {**r, "webhook_id": ids.webhook_id},
        "/api/2.0/webhooks/resume": {**r, "webhook_id": ids.webhook_id},
        "/api/2.0/webhooks/delete": {**r, "webhook_id": ids.webhook_id},
        "/api/2.0/webhooks/deliveries": {**r, "webhook_id": ids.webhook_id, "skip": 0, "take": 10},
        "/api/2.0/webhooks/resend": {**r, "webhook_id": ids.webhook_id, "delivery_id": ids.delivery_id},
        "/api/2.0/offers/acquisition/issue": {
            **r,
            "user_id": ids.user_id,
            "offer_id": ids.offer_id,
            "quantity": 1,
            "issue_exact_version": False,
        },
        "/api/2.0/offers/acquisition/revoke": {**r, "user_offer_id": ids.user_offer_id, "reason": "fraud"},
        "/api/2.0/offers/get_user_offers": {**r, "user_id": ids.user_id, "skip": 0, "take": 10, "culture": "en"},
        "/api/2.0/offers/get_user_offer": {**r, "user_offer_id": ids.user_offer_id, "culture": "en"},
        "/api/2.0/offers/user_offer_history": {
            **r,
            "user_ids": [ids.user_id],
            "rollback_option": 0,
            "skip": 0,
            "take": 10,
            "culture": "en",
        },
        "/api/2.0/offers/rewardstores/get_reward_store_offers": {**r, "user_id": ids.user_id, "skip": 0, "take": 10},
        "/api/2.0/offers/rewardstores/purchase_offer": {
            **r,
            "user_id": ids.user_id,
            "offer_id": ids.reward_offer_id,
            "quantity": 1,
            "point_account_id": ids.point_account_id,
        },
    }


def pos_payloads(ids: Seeded) -> dict[str, dict[str, Any]]:
    """A valid `request_payload` for every POS endpoint."""
    open_check = check(
        "F-2",
        [line("0", "10"), line("1", "1", item_id="2", modifies="0")],
        subtotal="11",
        TaxTotal="0.77",
        guest_count="1",
        open_time="2026-06-15 8:20:00.000",
        payments=[{"payment_id": "p", "amount": "11", "type": "cash", "user_id": ids.user_id, "user_id_type": "x"}],
    )
    closed = {
        **open_check,
        "is_closed": True,
        "user_id": ids.user_id,
        "discounts": [
            {
                "reference_id": ids.locked_user_offer_id,
                "reference_id_type": "userofferid",
                "discount_source": "sessionm",
                "amount": 5,
                "stack_order": 1,
                "discounted_line_ids": ["0", "1"],
            }
        ],
    }
    lock = {"offer_lookup_code": ids.user_offer_id, "offer_lookup_type": "userofferid", "transaction": open_check}
    action = {"user_offer_id": ids.user_offer_id, "employee_id": "e1", "transaction_id": "F-2"}
    return {
        "/api/2.0/lookup": {"external_customer_id": "ext-1", "transaction": open_check},
        "/api/2.0/lock": lock,
        "/api/2.0/offers/redemption/lock": lock,
        "/api/2.0/send_transaction": closed,
        "/api/2.0/offers/send_transaction": open_check,
        "/api/2.0/redeem": {**lock, "transaction": {**open_check, "transaction_id": "F-3"}},
        "/api/2.0/unlock": action,
        "/api/2.0/reinstate": action,
    }


def positions(value: Any, shallow: frozenset[str], path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place a value sits in a JSON body; of a list, only its first element stands for the rest.

    Below a `shallow` key only the key itself is a place: a subtree already fuzzed through another
    endpoint (the check inside Lock is the one inside send_transaction) is not fuzzed twice.
    """
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            if ".".join(map(str, (*path, key))) not in shallow:
                yield from positions(child, shallow, (*path, key))
    elif isinstance(value, list) and value:
        yield (*path, 0)
        yield from positions(value[0], shallow, (*path, 0))


def replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(body)
    parent: Any = result
    for step in path[:-1]:
        parent = parent[step]
    if value is REMOVED:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result


def mutations(
    body: dict[str, Any], shallow: frozenset[str] = frozenset(), stride: int = 1
) -> Iterator[tuple[str, Any]]:
    """(label, request body) for every field replaced by every bad value, then whole-body garbage.

    `stride` n keeps every n-th (field, value) pair: each value still meets every n-th field.
    """
    replacements = (*BAD_VALUES, REMOVED)
    assert math.gcd(stride, len(replacements)) == 1, "the kept values must rotate over the fields"
    cases = [(path, value) for path in positions(body, shallow) for value in replacements]
    for path, value in cases[::stride]:
        label = ".".join(map(str, path)) + " = " + ("<removed>" if value is REMOVED else repr(value)[:40])
        yield label, replaced(body, path, value)
    for garbage in ([], [body], "text", 12, None, True):
        yield f"body = {garbage!r:.40}", garbage


def assert_well_formed(label: str, response: httpx.Response) -> None:
    assert response.status_code in {200, 400, 401, 403, 404, 409, 413, 422}, (label, response.text)
    assert response.headers["content-type"].startswith("application/json"), label
    assert not any(leak in response.text for leak in LEAKS), (label, response.text)
    if response.status_code == 200:
        return
    data = response.json()
    assert data["status"] == "error" and data["payload"] is None, (label, data)
    code = data["errors"]["code"]
    assert STATUS_OF_CODE[code] == response.status_code, (label, data)
    assert isinstance(data["errors"]["message"], str) and data["errors"]["message"], (label, data)


async def hammer(
    client: httpx.AsyncClient,
    db: Database,
    path: str,
    headers: dict[str, str],
    cases: Iterator[tuple[str, Any]],
) -> dict[int, int]:
    """Send every case; check each answer and that refusals changed nothing. Counts by status."""
    counts: dict[int, int] = {}
    before = await snapshot(db)
    for label, body in cases:
        response = await client.post(path, content=json.dumps(body), headers=headers)
        assert_well_formed(f"{path}: {label}", response)
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        after = await snapshot(db)
        if response.status_code != 200:
            assert after == before, f"{path}: {label} answered {response.status_code} but changed the database"
        before = after
    return counts


# Subtrees fuzzed through another endpoint (see `positions`).
_DEFINITION = ("text_config", "media_config", "common_config", "discount_config", "offer_config")
_RESTRICTIONS = ("location", "catalog", "purchase", "use", "issuance")
SHALLOW: dict[str, frozenset[str]] = {
    "/api/2.0/offers/management/update": frozenset(_DEFINITION + tuple(f"{r}_restrictions" for r in _RESTRICTIONS)),
    "/api/2.0/lookup": frozenset({"request_payload.transaction"}),
    "/api/2.0/lock": frozenset({"request_payload.transaction"}),
    "/api/2.0/redeem": frozenset({"request_payload.transaction"}),
    "/api/2.0/offers/send_transaction": frozenset(
        {"request_payload.items", "request_payload.payments", "request_payload.discounts"}
    ),
    "/api/2.0/offers/redemption/lock": frozenset({"request_payload"}),  # the same handler as /lock
}


def stride_for(db: Database) -> int:
    """Every fifth case on SQLite, every seventh on PostgreSQL (whose round trips cost more), so that
    the whole suite stays well within CI's time. Both are coprime with the 16 cases of a field, so
    the kept values rotate from field to field: each value meets every fifth (seventh) field."""
    return 5 if db.url.startswith("sqlite") else 7


OFFERS_PATHS = sorted(e.path for e in ENDPOINTS if e.family == "offers")
POS_PATHS = sorted(e.path for e in ENDPOINTS if e.family == "pos")
_request_ids = itertools.count(1)


async def test_every_endpoint_has_a_fuzz_body(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # A new endpoint without a body here would escape the fuzzing below.
    ids = await seed(client, tenant)
    assert sorted(offers_bodies(ids, tenant)) == OFFERS_PATHS
    assert sorted(pos_payloads(ids)) == POS_PATHS


@pytest.mark.parametrize("path", OFFERS_PATHS)
async def test_offers_endpoint_survives_bad_values(
    path: str, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    ids = await seed(client, tenant, db)
    body = offers_bodies(ids, tenant)[path]
    # The unmodified body is valid: the mutations start from a request that works.
    assert (await client.post(path, json=body, headers=tenant.auth)).status_code == 200
    cases = mutations(body, SHALLOW.get(path, frozenset()), stride_for(db))
    counts = await hammer(client, db, path, tenant.auth, cases)
    assert counts.get(400, 0) > 0, counts  # the bad values were noticed, not silently accepted everywhere


@pytest.mark.parametrize("path", POS_PATHS)
async def test_pos_endpoint_survives_bad_values(
    path: str, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    ids = await seed(client, tenant, db)
    payloads = pos_payloads(ids)
    # The closed check redeems the locked user offer, which must be locked to its transaction first.
    locked: dict[str, Any] = {
        "offer_lookup_code": ids.locked_user_offer_id,
        "transaction": payloads["/api/2.0/send_transaction"],
    }
    await client.post(
        "/api/2.0/lock",
        json=_envelope(tenant, {**locked, "transaction": {**locked["transaction"], "is_closed": False}}),
        headers=tenant.pos_auth,
    )
    body = _envelope(tenant, payloads[path])

    def fresh_ids() -> Iterator[tuple[str, Any]]:
        # A new request_id for each case, so each is new work and not a replay of the one before.
        for label, case in mutations(body, SHALLOW.get(path, frozenset()), stride_for(db)):
            if isinstance(case, dict) and "request_id" in case and not label.startswith("request_id "):
                case["request_id"] = f"fuzz-{next(_request_ids)}"
            yield label, case

    counts = await hammer(client, db, path, tenant.pos_auth, fresh_ids())
    assert counts.get(400, 0) > 0, counts


def _envelope(tenant: Tenant, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "store_id": str(tenant.store_id),
        "client_id": str(tenant.client_id),
        "request_id": f"fuzz-{next(_request_ids)}",
        "culture": "en-US",
        "request_payload": payload,
    }


async def test_bodies_that_are_not_json(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    before = await snapshot(db)
    for path in OFFERS_PATHS + POS_PATHS:
        headers = tenant.pos_auth if path in POS_PATHS else tenant.auth
        for raw in (b"", b"{", b'{"retailer_id": ', b"\xff\xfe", b"[" * 10000, b'{"a": 1e99999}', b"null"):
            response = await client.post(path, content=raw, headers=headers)
            assert_well_formed(f"{path}: {raw[:20]!r}", response)
            assert response.status_code == 400, (path, raw[:20], response.text)
    assert await snapshot(db) == before


# --- Hostile values: deep nesting, the ends of time, numbers no type holds, NUL -----------------
#
# Raw JSON text, spliced into a body where a placeholder string stands (Python's own `json.dumps`
# cannot even write a thousand levels of nesting). The datetimes are .NET's DateTime.MinValue and
# MaxValue as its clients send them, bare and with the widest offsets; the tenant's stores sit in the
# zones farthest from UTC on either side, where those bare times fall outside what UTC can hold.
HOSTILE: tuple[str, ...] = (
    "[" * 1000 + "]" * 1000,
    '{"a":' * 1000 + "0" + "}" * 1000,
    "[" * 40 + "]" * 40,  # just past the documented depth wherever it is put
    '"0001-01-01"',
    '"0001-01-01T00:00:00"',
    '"9999-12-31T23:59:59.9999999"',
    '"9999-12-31T23:59:59.9999999+14:00"',
    '"0001-01-01T00:00:00-12:00"',
    "1e400",
    "-1" + "0" * 400,
    "123456789012345678901234567890.123456789",
    '"\\u0000"',
    '{"\\u0000": "\\u0000"}',
)
FAR_ZONES = ("Pacific/Kiritimati", "Etc/GMT+12")  # UTC+14 and UTC-12
_PLACEHOLDER = "\u2603hostile\u2603"
EXTRA_FIELD = "zz_unknown"  # an extra field no Struct declares: msgspec skips it, but still reads it


def spliced(body: Any, raw: str) -> bytes:
    return json.dumps(body).replace(json.dumps(_PLACEHOLDER), raw).encode()


def hostile_cases(
    body: dict[str, Any], shallow: frozenset[str], stride: int = 1, offset: int = 0
) -> Iterator[tuple[str, bytes]]:
    """Each hostile value in an unknown extra field of every object the body has, and in place of every
    field; of these (place, value) pairs every `stride`-th from `offset` (the stride coprime with the
    number of values, so the kept values rotate over the places). Then each value as the whole body."""
    assert stride == 1 or math.gcd(stride, len(HOSTILE)) == 1
    objects = [()] + [p for p in positions(body, shallow) if isinstance(_at(body, p), dict)]
    places = [(*path, EXTRA_FIELD) for path in objects] + list(positions(body, shallow))
    cases = [(path, raw) for path in places for raw in HOSTILE]
    for path, raw in cases[offset::stride]:
        yield f"{'.'.join(map(str, path))} = {raw[:30]}", spliced(replaced(body, path, _PLACEHOLDER), raw)
    for raw in HOSTILE:
        yield f"body = {raw[:30]}", raw.encode()


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def with_request_id(path: str, case: bytes) -> bytes:
    """POS cases get a fresh request_id, so each is new work and not a replay of the one before."""
    if path not in POS_PATHS:
        return case
    return case.replace(b'"request_id": "fuzz-', f'"request_id": "h{next(_request_ids)}-'.encode(), 1)


async def far_tenant(db: Database, clock: Any, zone: str) -> Tenant:
    now = clock()
    retailer = await tenancy.create_retailer(db, name=f"Far {zone}", now=now, timezone=zone)
    key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, role="admin", now=now)
    store = await tenancy.create_store(db, retailer_id=retailer.id, name="Edge", tags=("downtown",), now=now)
    client, client_secret = await tenancy.create_pos_client(db, retailer_id=retailer.id, store_ids=(store.id,), now=now)
    return Tenant(retailer.id, key.key, secret, store.id, client.id, client_secret)


async def valid_body(client: httpx.AsyncClient, db: Database, tenant: Tenant, path: str) -> dict[str, Any]:
    """A seeded tenant's valid body for `path` (POS: in its envelope, the check's offer locked)."""
    ids = await seed(client, tenant, db)
    if path in OFFERS_PATHS:
        return offers_bodies(ids, tenant)[path]
    payloads = pos_payloads(ids)
    locked: dict[str, Any] = {
        "offer_lookup_code": ids.locked_user_offer_id,
        "transaction": payloads["/api/2.0/send_transaction"],
    }
    await client.post(
        "/api/2.0/lock",
        json=_envelope(tenant, {**locked, "transaction": {**locked["transaction"], "is_closed": False}}),
        headers=tenant.pos_auth,
    )
    return _envelope(tenant, payloads[path])


def hostile_stride(db: Database) -> int:
    """Like `stride_for`: coprime with the 13 hostile values, and fewer cases where round trips cost more.
    The two zones take alternate offsets, so between them they send every fourth (seventh) case."""
    return 8 if db.url.startswith("sqlite") else 14


@pytest.mark.parametrize("zone", FAR_ZONES)
@pytest.mark.parametrize("path", OFFERS_PATHS + POS_PATHS)
async def test_hostile_values_with_credentials(
    path: str, zone: str, client: httpx.AsyncClient, db: Database, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Never a 500, never a logged error, and a refusal changes nothing."""
    tenant = await far_tenant(db, clock, zone)
    body = await valid_body(client, db, tenant, path)
    headers = {**(tenant.pos_auth if path in POS_PATHS else tenant.auth), "content-type": "application/json"}
    counts: dict[int, int] = {}
    before = await snapshot(db)
    with caplog.at_level(logging.WARNING):
        cases = hostile_cases(body, SHALLOW.get(path, frozenset()), hostile_stride(db), FAR_ZONES.index(zone))
        for label, case in cases:
            response = await client.post(path, content=with_request_id(path, case), headers=headers)
            assert_well_formed(f"{path}: {label}", response)
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
            after = await snapshot(db)
            if response.status_code != 200:
                assert after == before, f"{path}: {label} answered {response.status_code} but changed the database"
            before = after
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert counts.get(400, 0) > 0, counts


def _stop_the_throttles_clock(app: Any) -> None:
    """The throttle's waits are real seconds: on a loaded machine a slow run of requests could wait one
    out. Its clock stands still here, so what is asserted is the count, not the machine's speed."""
    layer = app
    while not isinstance(layer, BasicAuthThrottle):
        layer = layer.app
    now = time.monotonic()
    layer.clock = lambda: now


@pytest.mark.parametrize("path", OFFERS_PATHS + POS_PATHS)
async def test_hostile_values_without_credentials(
    path: str,
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without credentials, or with a wrong secret, every hostile body is the same 401 and changes nothing:
    the body is not parsed before the credentials are checked. (Each value in each place, from the
    top-level object down: what is not parsed cannot fail differently deeper down. Nothing is seeded:
    what answers before the body is read cannot depend on the ids in it.)"""
    ids = Seeded()
    for name in Seeded.__annotations__:
        setattr(ids, name, str(uuid4()))
    body = offers_bodies(ids, tenant)[path] if path in OFFERS_PATHS else _envelope(tenant, pos_payloads(ids)[path])
    wrong = basic(str(tenant.client_id) if path in POS_PATHS else tenant.key, "not-the-secret")
    bodies = [body]
    if path == "/api/2.0/offers/get_user_offers":  # it answers as Lookup when given a POS envelope
        bodies.append(_envelope(tenant, {"external_customer_id": "ext-1"}))
    _stop_the_throttles_clock(app)
    before = await snapshot(db)
    with caplog.at_level(logging.WARNING):
        wrong_answers: list[str] = []
        for headers, sent in itertools.product(({}, wrong), bodies):
            for label, case in hostile_cases(sent, frozenset(sent)):
                response = await client.post(path, content=case, headers=headers)
                code = response.json()["errors"]["code"]
                assert (response.status_code, code) in {(401, "INVALID_API_KEY"), (429, "RATE_LIMITED")}, label
                if headers:
                    wrong_answers.append(code)
                else:
                    assert code == "INVALID_API_KEY", (path, label)  # no credentials: nothing to throttle
        # A wrong secret is throttled like any other (tenancy.throttle): five are checked, then the
        # pair waits, and these requests come too fast to wait anything out.
        assert wrong_answers == ["INVALID_API_KEY"] * 5 + ["RATE_LIMITED"] * (len(wrong_answers) - 5)
    assert await snapshot(db) == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
