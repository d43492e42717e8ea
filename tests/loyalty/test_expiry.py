"""Point expiry on SQLite and PostgreSQL: lots used oldest first, what is left of a lot expires at the
end of the local day N calendar months after it was earned, once, through the ledger (which publishes
`points.expired`), and nothing expires while the setting is off. The retailer's time zone is
America/New_York (tests/conftest.py), so these dates cross its DST changes.

Source: the model decided in docs/DECISIONS.md ("Points expiry"), as issue 13's dashboard needs it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openoffers.kit.db import Database
from openoffers.kit.errors import ValidationFailed
from openoffers.loyalty import expiry
from openoffers.loyalty import service as loyalty
from openoffers.loyalty.points import lots
from openoffers.loyalty.points import repository as repo
from openoffers.loyalty.schemas import DepositRequest, PointsHistoryRequest, SpendRequest
from openoffers.tables.accounts import audit_log
from openoffers.tables.events import outbox_events
from openoffers.tables.points import point_balances, point_ledger
from openoffers.wallet.schemas import CreateUserRequest
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.pos.pos_support import create_user
from tests.pos.test_returns import assert_points, closed_check, earn_rule, items, resent, send, versions_of

NEW_YORK = ZoneInfo("America/New_York")
POINT_TABLES = ("point_balances", "point_ledger", "outbox_events")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A New York wall time, as the aware UTC instant the code passes around."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


# ----------------------------------------------------------------------------------- the pure rules


def test_months_are_calendar_months_and_a_short_month_keeps_its_last_day() -> None:
    assert lots.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert lots.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert lots.add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert lots.add_months(date(2025, 3, 15), 12) == date(2026, 3, 15)


def test_points_expire_at_the_local_midnight_ending_the_day_n_months_on() -> None:
    policy = lots.Policy(12, NEW_YORK, local(2024, 1, 1))
    # Earned at 23:30 on 15 March (EDT): usable through 15 March next year, gone at midnight (EDT again).
    assert policy.expires_at(local(2025, 3, 15, 23, 30)) == datetime(2026, 3, 16, 4, 0, tzinfo=UTC)
    # Earned 10 January (EST, 03:00 UTC on the 11th): the local day counts, not the UTC one.
    assert policy.expires_at(datetime(2025, 1, 11, 3, 0, tzinfo=UTC)) == datetime(2026, 1, 11, 5, 0, tzinfo=UTC)
    # Nothing earned before expiry was turned on expires before `since` + N months.
    late = lots.Policy(1, NEW_YORK, local(2025, 6, 1, 9))
    assert late.expires_at(local(2025, 1, 31)) == local(2025, 7, 2)
    assert late.expires_at(local(2025, 7, 31)) == local(2025, 9, 1)


ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC")
INSTANTS = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    months=st.integers(min_value=1, max_value=25),
    since=INSTANTS,
    credited=INSTANTS,
    now=INSTANTS,
)
def test_the_cutoff_the_run_asks_the_database_for_is_exactly_the_expiry(
    zone: str, months: int, since: datetime, credited: datetime, now: datetime
) -> None:
    policy = lots.Policy(months, ZoneInfo(zone), since)
    assert (policy.expires_at(credited) <= now) == (max(credited, since) < policy.cutoff(now))


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), months=st.integers(min_value=1, max_value=25), a=INSTANTS, b=INSTANTS)
def test_a_later_credit_never_expires_earlier(zone: str, months: int, a: datetime, b: datetime) -> None:
    policy = lots.Policy(months, ZoneInfo(zone), datetime(2020, 1, 1, tzinfo=UTC))
    first, second = sorted((a, b))
    assert policy.expires_at(first) <= policy.expires_at(second)


# ------------------------------------------------------------------------------------ with a database


async def customer(db: Database, tenant: Tenant, now: datetime, external_id: str = "C-1") -> UUID:
    user = await loyalty.create_user(
        db, CreateUserRequest(retailer_id=tenant.retailer_id, external_customer_id=external_id), now
    )
    return user.user_id


async def earn(db: Database, tenant: Tenant, user_id: UUID, amount: int, at: datetime, kind: str = "earn") -> int:
    request = DepositRequest(retailer_id=tenant.retailer_id, user_id=user_id, amount=amount, kind=kind)  # type: ignore[arg-type]
    return (await loyalty.deposit(db, request, at, "test")).entry_id


async def spend(db: Database, tenant: Tenant, user_id: UUID, amount: int, at: datetime) -> None:
    await loyalty.spend(db, SpendRequest(retailer_id=tenant.retailer_id, user_id=user_id, amount=amount), at, "test")


async def turn_on(db: Database, tenant: Tenant, months: int, at: datetime) -> None:
    await loyalty.set_loyalty_settings(db, tenant.retailer_id, at, expiry_months=months)


async def balance(db: Database, tenant: Tenant, user_id: UUID) -> tuple[int, int]:
    """(available, lifetime), after checking the balance is its ledger's sums."""
    account = repo.default_account_id(tenant.retailer_id)
    async with db.read() as conn:
        row = await repo.get_balance(conn, tenant.retailer_id, account, user_id)
        sums = await repo.ledger_sums(conn, tenant.retailer_id, account, user_id)
    assert row is not None
    assert (row.available, row.lifetime) == sums
    return sums


async def expirations(db: Database, user_id: UUID) -> list[tuple[int, datetime, str | None, dict[str, Any]]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(point_ledger).where(point_ledger.c.user_id == user_id, point_ledger.c.kind == "expire")
        )
        return [(int(r.amount), r.at, r.reference_id, dict(r.detail)) for r in rows]


async def test_lots_are_used_oldest_first_and_only_what_is_left_of_one_expires(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await turn_on(db, tenant, 12, local(2024, 12, 1))
    user_id = await customer(db, tenant, local(2024, 12, 1))
    january = await earn(db, tenant, user_id, 100, local(2025, 1, 10, 15))
    march = await earn(db, tenant, user_id, 50, local(2025, 3, 15, 12))
    await spend(db, tenant, user_id, 120, local(2025, 4, 2, 9))  # 100 of January's, 20 of March's
    async with db.read() as conn:
        policy = await expiry.policy_of(conn, tenant.retailer_id)
        assert policy is not None
        book = await expiry.book_of(
            conn, tenant.retailer_id, repo.default_account_id(tenant.retailer_id), user_id, policy
        )
    assert [(lot.entry_id, lot.left) for lot in book.lots] == [(january, 0), (march, 30)]
    assert book.upcoming(local(2025, 4, 2)) == [(local(2026, 3, 16), 30)]

    # January's lot is empty: its day passes and nothing is written.
    assert await loyalty.expire_points(db, local(2026, 1, 11, 0, 0)) == 0
    assert await loyalty.expire_points(db, local(2026, 3, 15, 23, 59)) == 0
    assert await balance(db, tenant, user_id) == (30, 150)
    assert await expirations(db, user_id) == []

    # Midnight ending 15 March (EDT by then): the 30 left of March's lot expire, lifetime stays.
    assert await loyalty.expire_points(db, local(2026, 3, 16, 0, 0)) == 1
    assert await balance(db, tenant, user_id) == (0, 150)
    assert await expirations(db, user_id) == [
        (
            30,
            datetime(2026, 3, 16, 4, 0, tzinfo=UTC),
            f"lot:{march}",
            {"lot": march, "credited": 50, "credited_at": "2025-03-15T16:00:00Z"},
        )
    ]
    async with db.read() as conn:
        events = (await conn.execute(select(outbox_events).where(outbox_events.c.type == "points.expired"))).all()
        bookmark = (await conn.execute(select(point_balances.c.oldest_lot_at))).scalar_one()
    assert len(events) == 1 and events[0].ordering_key == str(user_id)
    data = events[0].data
    assert (data["kind"], data["amount"], data["available_delta"], data["lifetime_delta"]) == ("expire", 30, -30, 0)
    assert (data["available_balance"], data["lifetime_value"], data["actor"]) == (0, 150, "system")
    assert bookmark is None  # no lot holds points: the run will not look at this balance again

    # Run again, later, as every server's housekeeping does: nothing more.
    before = await snapshot(db, *POINT_TABLES)
    assert await loyalty.expire_points(db, local(2026, 6, 1)) == 0
    assert await snapshot(db, *POINT_TABLES) == before

    # The history shows the row like any other.
    history = await loyalty.history(db, PointsHistoryRequest(retailer_id=tenant.retailer_id, user_id=user_id))
    newest = history.results[0]
    assert (newest.kind, newest.amount, newest.reason, newest.actor) == ("expire", 30, "points expired", "system")


async def test_nothing_expires_while_the_setting_is_off(db: Database, tenant: Tenant, clock: FrozenClock) -> None:
    user_id = await customer(db, tenant, local(2024, 12, 1))
    await earn(db, tenant, user_id, 100, local(2025, 1, 10))
    await earn(db, tenant, user_id, 5, local(2025, 1, 11), kind="adjust")
    before = await snapshot(db, *POINT_TABLES)
    assert await loyalty.expire_points(db, local(2030, 1, 1)) == 0
    assert await snapshot(db, *POINT_TABLES) == before
    # Turned on and off again: still nothing, and `since` is forgotten.
    await turn_on(db, tenant, 1, local(2025, 2, 1))
    await turn_on(db, tenant, 0, local(2025, 2, 2))
    assert await loyalty.expire_points(db, local(2030, 1, 1)) == 0
    assert await snapshot(db, *POINT_TABLES) == before
    assert (await loyalty.loyalty_settings(db, tenant.retailer_id)).points_expiry_months == 0


async def test_turning_expiry_on_gives_points_already_earned_the_full_period(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id = await customer(db, tenant, local(2024, 1, 1))
    await earn(db, tenant, user_id, 100, local(2024, 1, 10))
    await earn(db, tenant, user_id, 7, local(2025, 5, 20), kind="adjust")  # a goodwill credit is a lot too
    await turn_on(db, tenant, 12, local(2025, 6, 1, 9))
    assert await loyalty.expire_points(db, local(2026, 6, 1, 23, 59)) == 0
    assert await loyalty.expire_points(db, local(2026, 6, 2)) == 2
    assert sorted(e[0] for e in await expirations(db, user_id)) == [7, 100]
    assert await balance(db, tenant, user_id) == (0, 100)
    # Changing the months while on keeps `since`: a shorter period applies to every lot at once.
    await earn(db, tenant, user_id, 40, local(2026, 6, 10))
    await turn_on(db, tenant, 1, local(2026, 6, 12))
    assert await loyalty.expire_points(db, local(2026, 7, 11)) == 1
    assert await balance(db, tenant, user_id) == (0, 140)


async def test_a_spend_after_a_lot_expired_but_before_the_run_uses_live_lots_first(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await turn_on(db, tenant, 12, local(2024, 12, 1))
    user_id = await customer(db, tenant, local(2024, 12, 1))
    await earn(db, tenant, user_id, 100, local(2025, 1, 10))
    await earn(db, tenant, user_id, 50, local(2025, 12, 20))
    # January's 100 expired at midnight ending 10 January 2026, but the run has not recorded it yet: the
    # balance still lets the customer spend them, yet a spend takes December's live points first.
    await spend(db, tenant, user_id, 30, local(2026, 1, 12))
    assert await loyalty.expire_points(db, local(2026, 1, 12, 1)) == 1
    assert [e[0] for e in await expirations(db, user_id)] == [100]
    assert await balance(db, tenant, user_id) == (20, 150)
    # Spending more than the live lots hold takes the rest from the expired lot: it expires less.
    other = await customer(db, tenant, local(2024, 12, 1), "C-2")
    await earn(db, tenant, other, 100, local(2025, 1, 10))
    await earn(db, tenant, other, 50, local(2025, 12, 20))
    await spend(db, tenant, other, 140, local(2026, 1, 12))
    assert await loyalty.expire_points(db, local(2026, 1, 12, 2)) == 1
    assert [e[0] for e in await expirations(db, other)] == [10]
    assert await balance(db, tenant, other) == (0, 150)


async def test_a_batch_at_a_time_and_every_balance_once(db: Database, tenant: Tenant, clock: FrozenClock) -> None:
    await turn_on(db, tenant, 1, local(2025, 1, 1))
    users = [await customer(db, tenant, local(2025, 1, 1), f"C-{i}") for i in range(7)]
    for i, user_id in enumerate(users):
        await earn(db, tenant, user_id, 10 + i, local(2025, 1, 5))
        await earn(db, tenant, user_id, 1, local(2025, 3, 1))
    async with db.write() as conn:
        assert await expiry.expire_batch(conn, tenant.retailer_id, local(2025, 2, 6), 3) == (3, 3)
    assert await expiry.expire_due(db, local(2025, 2, 6), batch=3) == 4
    for i, user_id in enumerate(users):
        assert [e[0] for e in await expirations(db, user_id)] == [10 + i]
        assert await balance(db, tenant, user_id) == (1, 11 + i)


async def test_the_setting_is_validated_and_audited(db: Database, tenant: Tenant, clock: FrozenClock) -> None:
    for wrong in (-1, 121):
        with pytest.raises(ValidationFailed) as refused:
            await turn_on(db, tenant, wrong, clock())
        assert refused.value.fields == {
            "points_expiry_months": ["must be a whole number of months from 1 to 120, or 0 for never"]
        }
    assert (await loyalty.loyalty_settings(db, tenant.retailer_id)).points_expiry_months == 0
    await turn_on(db, tenant, 24, clock())
    await turn_on(db, tenant, 24, clock())  # no change, no audit row
    await loyalty.set_points_clawback(db, tenant.retailer_id, "floor", clock())
    settings_now = await loyalty.loyalty_settings(db, tenant.retailer_id)
    assert (settings_now.points_clawback, settings_now.points_expiry_months) == ("floor", 24)
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(audit_log).where(audit_log.c.object_type == "loyalty_settings").order_by(audit_log.c.id)
            )
        ).all()
    changes = [(r.object_type, r.object_id, r.action, r.before, r.after, r.actor) for r in rows]
    retailer = str(tenant.retailer_id)
    assert changes == [
        (
            "loyalty_settings",
            retailer,
            "updated",
            {"points_clawback": "negative", "points_expiry_months": 0},
            {"points_clawback": "negative", "points_expiry_months": 24},
            "system",
        ),
        (
            "loyalty_settings",
            retailer,
            "updated",
            {"points_clawback": "negative", "points_expiry_months": 24},
            {"points_clawback": "floor", "points_expiry_months": 24},
            "system",
        ),
    ]


async def test_replaying_the_ledger_matches_the_balance_after_everything(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    """Credits, spends, a negative balance paid back by the next credit, and expiries: the lots less
    what is owed are the balance at every step."""
    await turn_on(db, tenant, 2, local(2025, 1, 1))
    user_id = await customer(db, tenant, local(2025, 1, 1))
    account = repo.default_account_id(tenant.retailer_id)
    day = local(2025, 1, 2)
    for step in range(40):
        day += timedelta(days=5)
        if step % 3 == 0:
            await earn(db, tenant, user_id, 10 + step, day)
        elif step % 3 == 1 and (await balance(db, tenant, user_id))[0] >= 7:
            await spend(db, tenant, user_id, 7, day)
        else:
            await loyalty.expire_points(db, day)
        async with db.read() as conn:
            policy = await expiry.policy_of(conn, tenant.retailer_id)
            book = await expiry.book_of(conn, tenant.retailer_id, account, user_id, policy)
        assert sum(lot.left for lot in book.lots) - book.owed == (await balance(db, tenant, user_id))[0]
    assert len(await expirations(db, user_id)) > 3


# ---------------------------------------------------------------------- returns and voids (the POS)


async def test_a_return_and_a_void_after_the_earning_expired_take_back_only_what_was_spent_of_it(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    """39 points earned by a check (A 10, B 24, C 5), 10 of them spent, the other 29 expired: returning
    C and voiding the rest take back the 10 spent and never the 29 that already left with the expiry."""
    await turn_on(db, tenant, 1, clock())
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant)
    closed = await closed_check(client, tenant, user_id)
    await spend(db, tenant, UUID(user_id), 10, clock())
    clock.advance(days=31)  # 16 July 12:00 UTC: past midnight ending 15 July in New York
    assert await loyalty.expire_points(db, clock()) == 1
    assert [e[0] for e in await expirations(db, UUID(user_id))] == [29]
    await assert_points(db, user_id, 0, 39)

    await send(client, tenant, {**resent(closed, items(with_c=False)), "modified_time": "2026-07-16 09:00:00"})
    taken = (await versions_of(db))[-1][3][0]
    assert (taken["due"], taken["points"], taken["shortfall"], taken["expired"]) == (5, 0, 0, 5)
    await assert_points(db, user_id, 0, 39)  # nothing taken: C's points had expired

    await send(
        client,
        tenant,
        {**closed, "items": items(with_c=False), "is_voided": True, "modified_time": "2026-07-16 10:00:00"},
    )
    async with db.read() as conn:
        reverse = (await conn.execute(select(point_ledger).where(point_ledger.c.kind == "reverse"))).one()
        earned = (await conn.execute(select(point_ledger.c.id).where(point_ledger.c.kind == "earn"))).scalar_one()
    assert reverse.amount == 10
    assert (reverse.detail["due"], reverse.detail["expired"], reverse.detail["shortfall"]) == (34, 24, 0)
    assert reverse.detail["lot"] == earned
    await assert_points(db, user_id, -10, 29)


async def test_a_return_before_the_run_costs_the_customer_the_same_points_as_after_it(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    await turn_on(db, tenant, 1, clock())
    await earn_rule(client, tenant)
    user_id = await create_user(client, tenant)
    closed = await closed_check(client, tenant, user_id)
    await spend(db, tenant, UUID(user_id), 10, clock())
    clock.advance(days=31)  # the lot's time is up, but the run has not recorded it
    await send(client, tenant, {**resent(closed, []), "modified_time": "2026-07-16 09:00:00"})
    await assert_points(db, user_id, -10, 0)
    assert await loyalty.expire_points(db, clock()) == 0  # the return took what was left of the lot
    await assert_points(db, user_id, -10, 0)
    # The next credit pays back what is owed first: only the rest of it can expire.
    await earn(db, tenant, UUID(user_id), 25, clock())
    clock.advance(days=40)
    assert await loyalty.expire_points(db, clock()) == 1
    assert [e[0] for e in await expirations(db, UUID(user_id))] == [15]
    await assert_points(db, user_id, 0, 25)
