"""PRICING.md's six worked examples, through the HTTP Lock endpoint: offers made with the Offers API,
checks sent by a POS, exact amounts, lines, stack orders and per-line shares (as the lock stores them)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.tables.pos import pos_locks
from tests.conftest import Tenant
from tests.pos.pos_support import check, customer_with_offer, line, lock


async def shares_of(db: Database, user_offer_id: str) -> list[tuple[str, int]]:
    async with db.read() as conn:
        row = (await conn.execute(select(pos_locks).where(pos_locks.c.user_offer_id == UUID(user_offer_id)))).one()
    return [(s["line_id"], s["amount"]) for s in row.line_shares]


EXAMPLES: list[tuple[str, dict[str, Any], dict[str, Any], Any, list[str], list[tuple[str, int]], int]] = [
    (
        "1. the guide's Lock: $20 off the check, a 10.00 line and its 1.00 modifier",
        {"discount_config": {"amount": 20}},
        check(items=[line("0", "10"), line("1", "1", item_id="2", modifies="0")]),
        11,
        ["0", "1"],
        [("0", 1000), ("1", 100)],
        0,
    ),
    (
        "2. 15% off the check",
        {"offer_type": "percent_check_discount", "discount_config": {"percent": 15}},
        check(items=[line("A", "10.00"), line("B", "5.55", item_id="2")]),
        2.33,
        ["A", "B"],
        [("A", 150), ("B", 83)],
        0,
    ),
    (
        "3. buy 2 get 1 free, twice",
        {
            "offer_type": "buy_x_get_y_percent",
            "discount_config": {"buy_count": 2, "get_count": 1, "percent": 100, "recurrence": 2},
        },
        check(
            items=[
                line("a", "5", item_id="a"),
                line("b", "4", item_id="b"),
                line("c", "3", item_id="c"),
                line("d", "2", item_id="d"),
                line("e", "1", item_id="e"),
                line("f", "1", item_id="f"),
            ]
        ),
        4,
        ["c", "f"],
        [("c", 300), ("f", 100)],
        0,
    ),
    (
        "4. set price 1.00 on one coffee",
        {"offer_type": "set_price_coupon", "discount_config": {"price": "1.00", "max_items": 1}},
        check(items=[line("latte", "3.50", item_id="latte"), line("drip", "2.75", item_id="drip")]),
        2.5,
        ["latte"],
        [("latte", 250)],
        0,
    ),
    (
        "5. 50% off up to two items",
        {"offer_type": "percent_item_discount", "discount_config": {"percent": 50, "max_items": 2}},
        check(items=[line("A", "4.99", item_id="x"), line("B", "4.99", item_id="y"), line("C", "2.00", item_id="z")]),
        4.99,
        ["A", "B"],
        [("A", 250), ("B", 249)],
        0,
    ),
    (
        "6. an earlier 5.00 on A, then $8 off the check",
        {"discount_config": {"amount": 8}},
        check(
            items=[line("A", "10.00"), line("B", "10.00", item_id="2")],
            discounts=[{"discount_source": "pos", "amount": "5.00", "discounted_line_ids": ["A"], "stack_order": 0}],
        ),
        8,
        ["A", "B"],
        [("A", 267), ("B", 533)],
        1,
    ),
]


@pytest.mark.parametrize(
    ("offer", "transaction", "amount", "lines", "shares", "stack_order"),
    [example[1:] for example in EXAMPLES],
    ids=[example[0].split(".")[0] for example in EXAMPLES],
)
async def test_pricing_example_through_lock(
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    offer: dict[str, Any],
    transaction: dict[str, Any],
    amount: Any,
    lines: list[str],
    shares: list[tuple[str, int]],
    stack_order: int,
) -> None:
    _, uo = await customer_with_offer(client, tenant, **offer)
    locked = await lock(client, tenant, uo, transaction)
    assert (locked["amount"], locked["discounted_line_ids"], locked["stack_order"]) == (amount, lines, stack_order)
    assert await shares_of(db, uo) == shares
