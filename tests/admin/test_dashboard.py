"""The dashboard and the exports pages over HTTP: the seeded programme's figures on the page, its
tables and records as CSV with exact content, and bad ranges refused in words."""

from __future__ import annotations

import csv
import io
import re

import httpx

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.reports.programme import seed_programme

RANGE = "from=2026-03-07&to=2026-03-09"


def figures_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-figure="([a-z]+)">([^<]*)</dd>', html))


def rows_of(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


async def test_the_dashboard_shows_the_programme(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await seed_programme(client, db, tenant, clock)
    page = await admin.get(f"/admin/dashboard?{RANGE}")
    assert page.status_code == 200
    assert figures_of(page.text) == {
        "issued": "4",
        "redeemed": "3",
        "rate": "75%",
        "discount": "$13.00",
        "checks": "2",
        "revenue": "$12.00",
        "earned": "23",
        "spent": "2",
        "expired": "55",
    }
    assert "7 Mar 2026 to 9 Mar 2026, whole days in America/New_York time" in page.text
    assert "<svg" in page.text and "4 issued, 3 redeemed" in page.text
    # The home page is the dashboard.
    assert (await admin.get("/admin")).headers["location"] == "/admin/dashboard"


async def test_dashboard_tables_as_csv(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    p = await seed_programme(client, db, tenant, clock)
    offers = await admin.get(f"/admin/dashboard/csv/offers?{RANGE}")
    assert offers.headers["content-disposition"] == 'attachment; filename="offers-2026-03-07-2026-03-09.csv"'
    assert rows_of(offers) == [
        ["offer_id", "title", "issued", "redeemed", "discount"],
        [p.offer_a, "$5 off", "2", "2", "10.00"],
        [p.offer_b, "$3 off", "2", "1", "3.00"],
    ]
    stores = rows_of(await admin.get(f"/admin/dashboard/csv/stores?{RANGE}"))
    assert [row[1:] for row in stores] == [
        ["name", "redeemed", "discount", "checks_with_offer", "revenue_of_checks_with_offer"],
        ["Uptown", "2", "8.00", "1", "6.00"],
        ["Main St", "1", "5.00", "1", "6.00"],
    ]
    assert rows_of(await admin.get(f"/admin/dashboard/csv/rules?{RANGE}")) == [
        ["rule_id", "name", "issued", "points_earned", "points_spent"],
        [p.rule_id, "base", "0", "23", "0"],
    ]
    assert rows_of(await admin.get(f"/admin/dashboard/csv/days?{RANGE}")) == [
        ["day", "issued", "redeemed"],
        ["2026-03-07", "1", "1"],
        ["2026-03-08", "1", "0"],
        ["2026-03-09", "2", "2"],
    ]
    assert (await admin.get(f"/admin/dashboard/csv/nothing?{RANGE}")).status_code == 404


async def test_exports_are_exact(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    p = await seed_programme(client, db, tenant, clock)
    before = await snapshot(db)
    uo, users = p.user_offers, p.users
    redemptions = await admin.get(f"/admin/exports/csv/redemptions?{RANGE}")
    assert redemptions.headers["content-disposition"] == (
        'attachment; filename="redemptions-2026-03-07-2026-03-09.csv"'
    )
    assert rows_of(redemptions) == [
        list(
            (
                "redeemed_at",
                "user_offer_id",
                "offer_id",
                "offer_title",
                "user_id",
                "external_customer_id",
                "store",
                "transaction_id",
                "discount",
            )
        ),
        ["2026-03-07T23:30:00-05:00", uo["a0"], p.offer_a, "$5 off", users[0], "", "Main St", "T-1", "5.00"],
        ["2026-03-09T00:30:00-04:00", uo["a1"], p.offer_a, "$5 off", users[1], "", "Uptown", "U-1", "5.00"],
        ["2026-03-09T23:30:00-04:00", uo["b1"], p.offer_b, "$3 off", users[1], "", "Uptown", "U-2", "3.00"],
    ]
    transactions = rows_of(await admin.get(f"/admin/exports/csv/transactions?{RANGE}"))
    assert transactions == [
        [
            "created_at",
            "store",
            "transaction_id",
            "user_id",
            "state",
            "subtotal",
            "discounts",
            "paid",
            "closed_at",
            "voided_at",
        ],
        [
            "2026-03-07T23:30:00-05:00",
            "Main St",
            "T-1",
            users[0],
            "closed",
            "11.00",
            "5.00",
            "6.00",
            "2026-03-07T23:30:00-05:00",
            "",
        ],
        [
            "2026-03-09T00:30:00-04:00",
            "Uptown",
            "U-1",
            users[1],
            "closed",
            "11.00",
            "5.00",
            "6.00",
            "2026-03-09T00:30:00-04:00",
            "",
        ],
        [
            "2026-03-09T23:30:00-04:00",
            "Main St",
            "T-2",
            users[3],
            "closed",
            "11.00",
            "0.00",
            "11.00",
            "2026-03-09T23:30:00-04:00",
            "",
        ],
    ]
    customers = rows_of(await admin.get("/admin/exports/csv/customers"))
    assert customers[0] == [
        "user_id", "external_customer_id", "first_name", "last_name", "email", "phone", "created_at",
        "points_available", "points_lifetime",
    ]  # fmt: skip
    balances = {"U0": ("4", "6"), "U1": ("6", "6"), "U2": ("0", "0"), "U3": ("11", "11"), "U4": ("8", "8")}
    january = "2026-01-15T07:00:00-05:00"
    assert sorted(customers[1:]) == sorted(
        [
            *([users[n], "", f"U{n}", "L", "", "", "2026-03-01T07:00:00-05:00", *balances[f"U{n}"]] for n in range(5)),
            [p.expiring[0], "", "E1", "L", "", "", january, "0", "40"],  # 40 earned, 15 spent, 25 expired
            [p.expiring[1], "", "E2", "L", "", "", january, "0", "42"],  # 30 and 12 earned, both expired
        ]
    )
    points = rows_of(await admin.get(f"/admin/exports/csv/points?{RANGE}"))
    assert points[0][4:9] == ["kind", "amount", "available_delta", "lifetime_delta", "reason"]
    assert [(r[1], r[2], *r[4:9]) for r in points[1:]] == [
        ("2026-03-07T23:30:00-05:00", users[0], "earn", "6", "6", "6", "rule: base"),
        ("2026-03-08T00:00:00-05:00", p.expiring[0], "expire", "25", "-25", "0", "points expired"),
        ("2026-03-08T11:00:00-04:00", users[0], "spend", "2", "-2", "0", "gift"),
        ("2026-03-09T00:00:00-04:00", p.expiring[1], "expire", "30", "-30", "0", "points expired"),
        ("2026-03-09T00:30:00-04:00", users[1], "earn", "6", "6", "6", "rule: base"),
        ("2026-03-09T23:30:00-04:00", users[3], "earn", "11", "11", "11", "rule: base"),
    ]
    actors = ["pos_client", "system", "api_key", "system", "pos_client", "pos_client"]
    assert [r[10].split(":")[0] for r in points[1:]] == actors
    assert await snapshot(db) == before  # exporting changes nothing


async def test_a_spreadsheet_formula_is_written_as_text(
    admin: Browser, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await client.post(
        "/api/2.0/users/create",
        json={"retailer_id": str(tenant.retailer_id), "first_name": "=HYPERLINK(1)", "last_name": "-2"},
        headers=tenant.auth,
    )
    [_, row] = rows_of(await admin.get("/admin/exports/csv/customers"))
    assert row[2:4] == ["'=HYPERLINK(1)", "'-2"]


async def test_bad_ranges_are_said_in_words(admin: Browser) -> None:
    page = await admin.get("/admin/dashboard?from=2026-03-09&to=2026-03-01")
    assert page.status_code == 200
    assert "Those dates could not be used (to: on or after the first day); showing last 30 days instead." in page.text
    assert "17 May 2026 to 15 Jun 2026" in page.text  # the last 30 days up to the clock's 15 June (local 08:00)
    refused = await admin.get("/admin/exports/csv/redemptions?from=2026-13-01&to=2026-03-01")
    assert refused.status_code == 400 and "from: a date as YYYY-MM-DD" in refused.text
    assert (await admin.get("/admin/exports/csv/everything")).status_code == 404
    # The customers export needs no range: a bad one does not stop it.
    assert (await admin.get("/admin/exports/csv/customers?from=x&to=y")).status_code == 200
