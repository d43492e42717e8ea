"""Returns: a closed check sent again with fewer lines or smaller quantities takes back, line by line,
exactly the points the returned units earned (multipliers included), keeps its versions, and still
voids whole. On SQLite and PostgreSQL.

Source: SessionM POS "Send Transaction" (https://docs.sessionm.com/developer/APIs/POS/TransactionProcessing/
transaction_send.htm) and SessionM's returns task as issue 11 quotes it: the POS re-sends the original
closed check with a modified time and the remaining items; the service answers success and takes back
the points of the returned lines; the POS then reinstates the offer if it no longer applies ("Reinstate
Offer API", https://docs.sessionm.com/developer/APIs/POS/Discounting/discounting_reinstate_offer.htm).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from openoffers.kit.db import Database
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty import service as loyalty
from openoffers.tables.points import point_balances, point_ledger
from openoffers.tables.pos import pos_check_versions
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import (
    POS_TABLES,
    REINSTATE,
    SEND,
    api,
    as_discount,
    check,
    create_user,
    customer_with_offer,
    events_of,
    line,
    lock,
    pos,
    status_of,
)

OK = {"status": "OK", "payload": None, "errors": None}
TABLES = (*POS_TABLES, "pos_check_versions", "loyalty_events")


def items(quantity_b: str = "3", *, with_c: bool = True, with_a: bool = True) -> list[dict[str, Any]]:
    """A 10.00 (item A), B at 4.00 a unit, C 5.00."""
    lines = []
    if with_a:
        lines.append(line("1", "10", item_id="A"))
    b = line("2", "4", item_id="B", quantity=quantity_b)
    b["subtotal"] = str(4 * int(quantity_b))
    lines.append(b)
    if with_c:
        lines.append(line("3", "5", item_id="C"))
    return lines


async def earn_rule(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """1 point per $1, B counts double."""
    await api(
        client,
        tenant,
        "/api/2.0/rules/create",
        {"kind": "earn", "name": "base", "rate": "1", "multipliers": [{"factor": "2", "item_ids": ["B"]}]},
    )


async def send(
    client: httpx.AsyncClient, tenant: Tenant, payload: dict[str, Any], status: int = 200, request_id: str = "1"
) -> Any:
    """Every send under request_id "1", as public clients do (issue 11, item 2)."""
    return await pos(client, tenant, SEND, payload, status, request_id=request_id)


async def points_of(db: Database, user_id: str) -> tuple[int, int, int]:
    """(available, lifetime, sum of the ledger's available changes) of the user's points."""
    async with db.read() as conn:
        balance = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(point_balances.c.available), 0),
                    func.coalesce(func.sum(point_balances.c.lifetime), 0),
                ).where(point_balances.c.user_id == UUID(user_id))
            )
        ).one()
        ledger = (
            await conn.execute(
                select(func.coalesce(func.sum(point_ledger.c.available_delta), 0)).where(
                    point_ledger.c.user_id == UUID(user_id)
                )
            )
        ).scalar_one()
    return int(balance[0]), int(balance[1]), int(ledger)


async def assert_points(db: Database, user_id: str, available: int, lifetime: int | None = None) -> None:
    got = await points_of(db, user_id)
    assert got == (available, available if lifetime is None else lifetime, available), got


async def versions_of(db: Database) -> list[tuple[int, str, dict[str, str], list[dict[str, Any]]]]:
    async with db.read() as conn:
        rows = await conn.execute(select(pos_check_versions).order_by(pos_check_versions.c.version))
        return [(r.version, r.kind, dict(r.quantities), list(r.points)) for r in rows]


async def ledger_kinds(db: Database, user_id: str) -> list[tuple[str, int]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(point_ledger.c.kind, point_ledger.c.available_delta)
            .where(point_ledger.c.user_id == UUID(user_id))
            .order_by(point_ledger.c.id)
        )
        return [(r.kind, int(r.available_delta)) for r in rows]


async def closed_check(client: httpx.AsyncClient, tenant: Tenant, user_id: str, **extra: Any) -> dict[str, Any]:
    closed = check("R-1", items(), is_closed=True, user_id=user_id, modified_time="2026-06-15 08:00:00", **extra)
    assert await send(client, tenant, closed) is None
    return closed


def resent(closed: dict[str, Any], lines: list[dict[str, Any]], minute: int = 30) -> dict[str, Any]:
    return {**closed, "items": lines, "modified_time": f"2026-06-15 09:{minute:02d}:00"}


async def test_a_full_return_takes_back_every_point_and_the_pos_reinstates_the_offer(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await earn_rule(client, tenant)
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo, check("R-1", items()))
    closed = await closed_check(client, tenant, user_id, discounts=[as_discount(locked)])
    # The $5 is spread over the lines (A 1.85, B 2.22, C 0.93): they earn 8.15 + 2 x 9.78 + 4.07 = 31.78.
    await assert_points(db, user_id, 31)
    response = await client.post(
        SEND,
        json={
            "store_id": str(tenant.store_id),
            "client_id": str(tenant.client_id),
            "request_id": "1",
            "request_payload": resent(closed, []),
        },
        headers=tenant.pos_auth,
    )
    assert (response.status_code, response.json()) == (200, OK)
    await assert_points(db, user_id, 0)
    assert await ledger_kinds(db, user_id) == [("earn", 31), ("return", -31)]
    [first, returned] = await versions_of(db)
    assert first[:3] == (1, "closed", {"1": "1", "2": "3", "3": "1"})
    assert returned[:3] == (2, "returned", {"1": "0", "2": "0", "3": "0"})
    [taken] = returned[3]
    assert (taken["due"], taken["points"], taken["shortfall"]) == (31, 31, 0)
    # Each line's exact points after the discount, multiplier included.
    assert taken["lines"] == {"1": "163/20", "2": "489/25", "3": "407/100"}
    # The offer stays redeemed until the POS reinstates it, as the public flow says.
    assert await status_of(db, uo) == 3
    await pos(client, tenant, REINSTATE, {"user_offer_id": uo, "employee_id": "7"})
    assert await events_of(db, uo) == ["issued", "locked", "redeemed", "reinstated"]


async def test_a_partial_return_takes_back_what_the_returned_line_earned(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    await assert_points(db, user_id, 39)  # 10 + 2 x 12 + 5
    assert await send(client, tenant, resent(closed, items(with_c=False))) is None
    await assert_points(db, user_id, 34, 34)
    # The item with the multiplier: its whole double earning goes back.
    assert await send(client, tenant, resent(closed, [line("1", "10", item_id="A")], 40)) is None
    await assert_points(db, user_id, 10)
    assert [v[:2] for v in await versions_of(db)] == [(1, "closed"), (2, "returned"), (3, "returned")]
    assert await ledger_kinds(db, user_id) == [("earn", 39), ("return", -5), ("return", -24)]


async def test_a_quantity_return_takes_back_the_returned_units_and_a_resend_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    # 2 of the 3 B units come back: 2 x 4.00 x 2 = 16 points.
    assert await send(client, tenant, resent(closed, items("1"))) is None
    await assert_points(db, user_id, 23)
    before = await snapshot(db, *TABLES)
    # The same lines again (a retry under another time), and a late copy of the original close: OK, no change.
    for again in (resent(closed, items("1"), 45), closed):
        assert await send(client, tenant, again) is None
    after = await snapshot(db, *TABLES)
    assert {k: v for k, v in after.items() if k != "pos_requests"} == {
        k: v for k, v in before.items() if k != "pos_requests"
    }
    # The last unit too.
    assert await send(client, tenant, resent(closed, items("0"), 50)) is None
    await assert_points(db, user_id, 15)
    assert [v[2]["2"] for v in await versions_of(db)] == ["3", "1", "0"]


async def test_points_are_floored_once_so_per_line_returns_are_exact(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    """Three 0.50 lines earn floor(1.5) = 1 point. Returning one leaves 1.0 (still 1 point: nothing is
    taken); returning a second leaves 0.5 (0 points: 1 is taken). Whatever the steps, the check keeps
    what its remaining lines earn."""
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    user_id = await create_user(client, tenant, first_name="Ada")
    halves = [line(str(i), "0.50", item_id=f"I{i}") for i in range(3)]
    closed = check("R-1", halves, is_closed=True, user_id=user_id)
    await send(client, tenant, closed)
    await assert_points(db, user_id, 1)
    await send(client, tenant, resent(closed, halves[:2]))
    await assert_points(db, user_id, 1)
    await send(client, tenant, resent(closed, halves[:1], 40))
    await assert_points(db, user_id, 0)


async def test_changes_that_are_not_returns_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    before = await snapshot(db, *TABLES)
    repriced = items()
    repriced[0]["unit_price"] = "9"
    other_item = items()
    other_item[2]["item_id"] = "D"
    for lines, index in (
        ([*items(), line("4", "1", item_id="E")], 3),  # a line the check never had
        (repriced, 0),  # another price
        (other_item, 2),  # another item
    ):
        body = await send(client, tenant, resent(closed, lines), 409)
        assert body["errors"]["code"] == "TRANSACTION_CLOSED"
        assert body["errors"]["fields"] == {f"request_payload.items[{index}]": ["not a line of the closed check"]}
    reopened = await send(client, tenant, {**resent(closed, items(with_c=False)), "is_closed": False}, 409)
    assert reopened["errors"]["code"] == "TRANSACTION_CLOSED"
    assert await snapshot(db, *TABLES) == before
    await assert_points(db, user_id, 39)


async def test_a_return_after_a_void_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    await send(client, tenant, {**closed, "is_voided": True})
    await assert_points(db, user_id, 0)
    before = await snapshot(db, *TABLES)
    body = await send(client, tenant, resent(closed, items(with_c=False)), 409)
    assert body["errors"]["code"] == "TRANSACTION_CLOSED"
    assert await snapshot(db, *TABLES) == before
    await assert_points(db, user_id, 0)
    assert [v[:2] for v in await versions_of(db)] == [(1, "closed"), (2, "voided")]


async def test_a_void_after_a_return_reverses_what_the_check_still_holds(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await earn_rule(client, tenant)
    user_id, uo = await customer_with_offer(client, tenant)
    locked = await lock(client, tenant, uo, check("R-1", items()))
    closed = await closed_check(client, tenant, user_id, discounts=[as_discount(locked)])
    await assert_points(db, user_id, 31)
    # 2 of the 3 B units come back: the check keeps floor(8.15 + 19.56 / 3 + 4.07) = floor(18.74) = 18.
    await send(client, tenant, resent(closed, items("1")))
    await assert_points(db, user_id, 18)
    clock.advance(minutes=5)
    await send(client, tenant, {**resent(closed, items("1")), "is_voided": True})
    await assert_points(db, user_id, 0)
    assert await ledger_kinds(db, user_id) == [("earn", 31), ("return", -13), ("reverse", -18)]
    assert await events_of(db, uo) == ["issued", "locked", "redeemed", "voided"]
    assert [v[:2] for v in await versions_of(db)] == [(1, "closed"), (2, "returned"), (3, "voided")]
    # Voided twice: nothing more.
    before = await snapshot(db, *TABLES)
    await send(client, tenant, {**resent(closed, items("1")), "is_voided": True})
    assert {k: v for k, v in (await snapshot(db, *TABLES)).items() if k != "pos_requests"} == {
        k: v for k, v in before.items() if k != "pos_requests"
    }


async def test_spent_points_go_negative_by_default(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 30, "reason": "gift"})
    await send(client, tenant, resent(closed, items(with_a=False)))  # A earned 10
    await assert_points(db, user_id, -1, 29)
    await send(client, tenant, {**resent(closed, items(with_a=False)), "is_voided": True})
    await assert_points(db, user_id, -30, 0)


async def test_spent_points_stop_at_zero_with_the_shortfall_recorded_when_the_retailer_chose_so(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await loyalty.set_points_clawback(db, tenant.retailer_id, "floor", clock())
    assert await loyalty.points_clawback(db, tenant.retailer_id) == "floor"
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant, first_name="Ada")
    closed = await closed_check(client, tenant, user_id)
    await api(client, tenant, "/api/2.0/user_points/spend", {"user_id": user_id, "amount": 30, "reason": "gift"})
    await send(client, tenant, resent(closed, items(with_a=False)))  # A earned 10; 9 are left
    await assert_points(db, user_id, 0, 30)
    [_, returned] = await versions_of(db)
    [taken] = returned[3]
    assert (taken["due"], taken["points"], taken["shortfall"]) == (10, 9, 1)
    async with db.read() as conn:
        detail = (await conn.execute(select(point_ledger.c.detail).where(point_ledger.c.kind == "return"))).scalar_one()
    assert (detail["due"], detail["shortfall"], detail["lines"]) == (10, 1, {"1": "10/1"})
    # Nothing left to take: the void records its whole due as shortfall, and writes no entry.
    await send(client, tenant, {**resent(closed, items(with_a=False)), "is_voided": True})
    await assert_points(db, user_id, 0, 30)
    assert [kind for kind, _ in await ledger_kinds(db, user_id)] == ["earn", "spend", "return"]


async def test_an_unknown_clawback_choice_is_refused(db: Database, tenant: Tenant, clock: FrozenClock) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await loyalty.set_points_clawback(db, tenant.retailer_id, "sometimes", clock())
    assert refused.value.fields == {"points_clawback": ["must be one of negative, floor"]}
    assert await loyalty.points_clawback(db, tenant.retailer_id) == "negative"


async def test_a_check_without_a_customer_is_returned_with_its_versions(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    closed = check("R-1", items(), is_closed=True)
    assert await send(client, tenant, closed) is None
    assert await send(client, tenant, resent(closed, items("2", with_c=False))) is None
    assert [(v[:3], v[3]) for v in await versions_of(db)] == [
        ((1, "closed", {"1": "1", "2": "3", "3": "1"}), []),
        ((2, "returned", {"1": "1", "2": "2", "3": "0"}), []),
    ]
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(point_ledger))).scalar_one() == 0
