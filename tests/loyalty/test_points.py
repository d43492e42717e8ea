"""Point accounts, deposit, spend, balances and history: the balance always equals its ledger."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from uuid import UUID

import httpx

from openoffers.kit.db import Database
from openoffers.loyalty.points import repository as repo
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.wallet.wallet_support import create_user, deposit, post

POINT_TABLES = ("point_accounts", "point_balances", "point_ledger")


async def _assert_balance_is_its_ledger(db: Database, tenant: Tenant, account: UUID, user_id: str) -> tuple[int, int]:
    async with db.read() as conn:
        balance = await repo.get_balance(conn, tenant.retailer_id, account, UUID(user_id))
        sums = await repo.ledger_sums(conn, tenant.retailer_id, account, UUID(user_id))
    assert balance is not None
    assert (balance.available, balance.lifetime) == sums
    return sums


async def test_accounts_default_first_and_created_lazily(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    default_id = str(repo.default_account_id(tenant.retailer_id))
    before = await snapshot(db, *POINT_TABLES)
    listing = await post(client, tenant, "/api/2.0/point_accounts/list", {})
    assert [(a["point_account_id"], a["name"], a["is_default"]) for a in listing["results"]] == [
        (default_id, "Points", True)
    ]
    assert await snapshot(db, *POINT_TABLES) == before  # listing does not create it
    stars = await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Stars", "grouping_label": "coffee"})
    assert (stars["name"], stars["grouping_label"], stars["is_default"]) == ("Stars", "coffee", False)
    listing = await post(client, tenant, "/api/2.0/point_accounts/list", {})
    assert listing["total_records"] == 2
    assert [a["point_account_id"] for a in listing["results"]] == [default_id, stars["point_account_id"]]
    for name in ("stars", "POINTS"):
        error = await post(client, tenant, "/api/2.0/point_accounts/create", {"name": name}, status=409)
        assert error["errors"]["fields"] == {"name": ["already exists"]}
    error = await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "  "}, status=400)
    assert "name" in error["errors"]["fields"]


async def test_deposit_spend_balances_history(
    client: httpx.AsyncClient, tenant: Tenant, db: Database, clock: FrozenClock
) -> None:
    user_id = await create_user(client, tenant)
    stars = (await post(client, tenant, "/api/2.0/point_accounts/create", {"name": "Stars"}))["point_account_id"]
    default_id = repo.default_account_id(tenant.retailer_id)
    earned = await deposit(client, tenant, user_id, "100", reason="welcome")
    assert earned == {
        "user_id": user_id,
        "point_account_id": str(default_id),
        "entry_id": earned["entry_id"],
        "applied": True,
        "available_balance": 100,
        "lifetime_value": 100,
    }
    clock.advance(minutes=1)
    adjusted = await deposit(client, tenant, user_id, 5, kind="adjust", reason="goodwill")
    assert (adjusted["available_balance"], adjusted["lifetime_value"]) == (105, 100)
    clock.advance(minutes=1)
    spent = await post(
        client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 40, "reason": "mug"}
    )
    assert (spent["available_balance"], spent["lifetime_value"]) == (65, 100)
    await deposit(client, tenant, user_id, 7, point_account_id=stars)
    assert await _assert_balance_is_its_ledger(db, tenant, default_id, user_id) == (65, 100)
    assert await _assert_balance_is_its_ledger(db, tenant, UUID(stars), user_id) == (7, 7)

    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert (balances["available_points"], balances["lifetime_points"]) == (72, 107)
    assert [(a["name"], a["available_balance"], a["lifetime_value"]) for a in balances["accounts"]] == [
        ("Points", 65, 100),
        ("Stars", 7, 7),
    ]
    assert all(a["user_point_account_id"] for a in balances["accounts"])

    history = await post(
        client, tenant, "/api/2.0/user_points/history", {"user_id": user_id, "point_account_id": str(default_id)}
    )
    assert history["total_records"] == 3
    assert [
        (e["kind"], e["amount"], e["available_delta"], e["lifetime_delta"], e["reason"]) for e in history["results"]
    ] == [
        ("spend", 40, -40, 0, "mug"),
        ("adjust", 5, 5, 0, "goodwill"),
        ("earn", 100, 100, 100, "welcome"),
    ]
    assert history["results"][0]["at"] == "2026-06-15T12:02:00Z"
    assert history["results"][0]["actor"] == f"api_key:{tenant.key}"
    page = await post(client, tenant, "/api/2.0/user_points/history", {"user_id": user_id, "skip": 1, "take": 1})
    assert (page["total_records"], [e["kind"] for e in page["results"]]) == (4, ["spend"])


async def test_balances_of_a_new_user_show_the_default_account(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id = await create_user(client, tenant)
    balances = await post(client, tenant, "/api/2.0/user_points/balances", {"user_id": user_id})
    assert balances["available_points"] == 0
    [account] = balances["accounts"]
    assert (account["name"], account["user_point_account_id"], account["available_balance"]) == ("Points", None, 0)


async def test_spend_never_below_zero_and_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    user_id = await create_user(client, tenant)
    await deposit(client, tenant, user_id, 30)
    before = await snapshot(db, *POINT_TABLES)
    error = await post(
        client,
        tenant,
        "/api/2.0/user_points/spend",
        {"user_id": user_id, "amount": 31, "reference_id": "r1"},
        status=409,
    )
    assert (error["errors"]["code"], error["errors"]["reason"]) == ("CONFLICT", "INSUFFICIENT_POINTS")
    assert await snapshot(db, *POINT_TABLES) == before
    # The refused reference was not consumed: it can be used once there are points.
    await deposit(client, tenant, user_id, 1)
    assert (
        await post(
            client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 31, "reference_id": "r1"}
        )
    )["available_balance"] == 0


async def test_a_repeated_reference_is_applied_once(client: httpx.AsyncClient, tenant: Tenant, db: Database) -> None:
    user_id = await create_user(client, tenant)
    first = await deposit(client, tenant, user_id, 50, reference_id="check-17")
    again = await deposit(client, tenant, user_id, 50, reference_id="check-17")
    assert first["applied"] is True and again["applied"] is False
    assert again["entry_id"] == first["entry_id"]
    assert again["available_balance"] == 50
    # The same reference for another kind is another operation.
    spent = await post(
        client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 10, "reference_id": "check-17"}
    )
    assert spent["applied"] is True and spent["available_balance"] == 40
    before = await snapshot(db, *POINT_TABLES)
    error = await deposit_error(client, tenant, user_id, 60, "check-17")
    assert error["errors"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await snapshot(db, *POINT_TABLES) == before
    account = repo.default_account_id(tenant.retailer_id)
    assert await _assert_balance_is_its_ledger(db, tenant, account, user_id) == (40, 50)


async def deposit_error(
    client: httpx.AsyncClient, tenant: Tenant, user_id: str, amount: int, reference: str
) -> dict[str, Any]:
    result: dict[str, Any] = await post(
        client,
        tenant,
        "/api/2.0/user_points/deposit",
        {"user_id": user_id, "amount": amount, "reference_id": reference},
        status=409,
    )
    return result


async def test_concurrent_deposits_with_one_reference_apply_once_and_spends_stay_above_zero(
    client: httpx.AsyncClient, tenant: Tenant, db: Database
) -> None:
    user_id = await create_user(client, tenant)
    base = {"retailer_id": str(tenant.retailer_id), "user_id": user_id}
    deposits = await asyncio.gather(
        *(
            client.post(
                "/api/2.0/user_points/deposit", json=base | {"amount": 25, "reference_id": "once"}, headers=tenant.auth
            )
            for _ in range(30)
        )
    )
    assert [r.status_code for r in deposits] == [200] * 30
    assert Counter(r.json()["payload"]["applied"] for r in deposits) == {True: 1, False: 29}
    spends = await asyncio.gather(
        *(client.post("/api/2.0/user_points/spend", json=base | {"amount": 10}, headers=tenant.auth) for _ in range(30))
    )
    assert Counter(r.status_code for r in spends) == {200: 2, 409: 28}
    account = repo.default_account_id(tenant.retailer_id)
    assert await _assert_balance_is_its_ledger(db, tenant, account, user_id) == (5, 25)


async def test_point_errors(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database) -> None:
    mine = await create_user(client, tenant)
    theirs = await create_user(client, other_tenant)
    their_account = (await post(client, other_tenant, "/api/2.0/point_accounts/create", {"name": "Theirs"}))[
        "point_account_id"
    ]
    before = await snapshot(db, *POINT_TABLES)
    for path, body, status, code, field in (
        ("/api/2.0/user_points/deposit", {"user_id": theirs, "amount": 5}, 404, "USER_NOT_FOUND", "user_id"),
        (
            "/api/2.0/user_points/deposit",
            {"user_id": mine, "amount": 5, "point_account_id": their_account},
            404,
            "NOT_FOUND",
            "point_account_id",
        ),
        ("/api/2.0/user_points/deposit", {"user_id": mine, "amount": 0}, 400, "VALIDATION", "amount"),
        ("/api/2.0/user_points/deposit", {"user_id": mine, "amount": "2.5"}, 400, "VALIDATION", "amount"),
        ("/api/2.0/user_points/deposit", {"user_id": mine, "amount": 5, "kind": "spend"}, 400, "VALIDATION", "kind"),
        ("/api/2.0/user_points/spend", {"user_id": mine, "amount": -1}, 400, "VALIDATION", "amount"),
        ("/api/2.0/user_points/balances", {"user_id": theirs}, 404, "USER_NOT_FOUND", "user_id"),
        ("/api/2.0/user_points/history", {"user_id": theirs}, 404, "USER_NOT_FOUND", "user_id"),
        (
            "/api/2.0/user_points/history",
            {"user_id": mine, "point_account_id": their_account},
            404,
            "NOT_FOUND",
            "point_account_id",
        ),
    ):
        error = await post(client, tenant, path, body, status=status)
        assert error["errors"]["code"] == code, (path, body, error)
        assert field in error["errors"]["fields"], (path, body, error)
    assert await snapshot(db, *POINT_TABLES) == before
