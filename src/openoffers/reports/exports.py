"""The programme's records as CSV, streamed: redemptions, transactions and the points ledger in a
period, and every customer with their point balances. Times are local to the retailer; money is in
the currency's major units ("12.50"); ids are as the API gives them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.sql import Select

from openoffers.kit.db import Database
from openoffers.reports.csv_stream import Cell, money_text, stream_query
from openoffers.reports.figures import standing_redemptions
from openoffers.reports.period import Period
from openoffers.tables.offers import offers
from openoffers.tables.points import point_balances, point_ledger
from openoffers.tables.pos import pos_transactions
from openoffers.tables.tenancy import stores
from openoffers.tables.wallet import users


@dataclass(frozen=True, slots=True)
class Reader:
    """How cells are written for one retailer: its time zone, its currency's exponent, its stores."""

    timezone: str
    exponent: int
    store_names: dict[str, str]

    def time(self, value: datetime | None) -> str:
        return value.astimezone(ZoneInfo(self.timezone)).isoformat(timespec="seconds") if value else ""

    def money(self, minor: int | None) -> str:
        return money_text(int(minor or 0), self.exponent)

    def store(self, store_id: Any) -> str:
        return self.store_names.get(str(store_id), "") if store_id else ""


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    label: str
    header: tuple[str, ...]
    needs_period: bool
    query: Callable[[UUID, Period], Select[Any]]
    cells: Callable[[Reader, Any], Sequence[Cell]]


def _redemptions(retailer_id: UUID, period: Period) -> Select[Any]:
    r = standing_redemptions(retailer_id, period.start, period.end).subquery()
    return (
        select(r, offers.c.title, users.c.external_customer_id)
        .select_from(
            r.join(offers, offers.c.id == r.c.offer_id).join(
                users, and_(users.c.id == r.c.user_id, users.c.retailer_id == retailer_id)
            )
        )
        .order_by(r.c.at, r.c.user_offer_id)
    )


def _redemption_cells(reader: Reader, row: Any) -> Sequence[Cell]:
    return (
        reader.time(row.at),
        str(row.user_offer_id),
        str(row.root_offer_id),
        row.title,
        str(row.user_id),
        row.external_customer_id or "",
        reader.store(row.store_id),
        row.transaction_id or "",
        reader.money(row.amount),
    )


def _transactions(retailer_id: UUID, period: Period) -> Select[Any]:
    t = pos_transactions
    return (
        select(t.c.id, t.c.store_id, t.c.transaction_id, t.c.user_id, t.c.is_closed, t.c.is_voided)
        .add_columns(t.c.subtotal, t.c.discount_total, t.c.created_at, t.c.closed_at, t.c.voided_at)
        .where(t.c.retailer_id == retailer_id, t.c.created_at >= period.start, t.c.created_at < period.end)
        .order_by(t.c.created_at, t.c.id)
    )


def _transaction_cells(reader: Reader, row: Any) -> Sequence[Cell]:
    state = "voided" if row.is_voided else "closed" if row.is_closed else "open"
    return (
        reader.time(row.created_at),
        reader.store(row.store_id),
        row.transaction_id,
        str(row.user_id) if row.user_id else "",
        state,
        reader.money(row.subtotal),
        reader.money(row.discount_total),
        reader.money(row.subtotal - row.discount_total),
        reader.time(row.closed_at),
        reader.time(row.voided_at),
    )


def _customers(retailer_id: UUID, _period: Period) -> Select[Any]:
    b = point_balances
    balances = (
        select(b.c.user_id, func.sum(b.c.available).label("available"), func.sum(b.c.lifetime).label("lifetime"))
        .where(b.c.retailer_id == retailer_id)
        .group_by(b.c.user_id)
        .subquery()
    )
    return (
        select(users.c.id, users.c.external_customer_id, users.c.first_name, users.c.last_name, users.c.email)
        .add_columns(users.c.phone, users.c.created_at, balances.c.available, balances.c.lifetime)
        .select_from(users.outerjoin(balances, balances.c.user_id == users.c.id))
        .where(users.c.retailer_id == retailer_id)
        .order_by(users.c.created_at, users.c.id)
    )


def _customer_cells(reader: Reader, row: Any) -> Sequence[Cell]:
    return (
        str(row.id),
        row.external_customer_id or "",
        row.first_name,
        row.last_name,
        row.email or "",
        row.phone or "",
        reader.time(row.created_at),
        int(row.available or 0),
        int(row.lifetime or 0),
    )


def _ledger(retailer_id: UUID, period: Period) -> Select[Any]:
    p = point_ledger
    return (
        select(p.c.id, p.c.at, p.c.user_id, p.c.account_id, p.c.kind, p.c.amount, p.c.available_delta)
        .add_columns(p.c.lifetime_delta, p.c.reason, p.c.reference_id, p.c.actor)
        .where(p.c.retailer_id == retailer_id, p.c.at >= period.start, p.c.at < period.end)
        .order_by(p.c.id)
    )


def _ledger_cells(reader: Reader, row: Any) -> Sequence[Cell]:
    return (
        row.id,
        reader.time(row.at),
        str(row.user_id),
        str(row.account_id),
        row.kind,
        int(row.amount),
        int(row.available_delta),
        int(row.lifetime_delta),
        row.reason,
        row.reference_id or "",
        row.actor,
    )


EXPORTS: dict[str, Export] = {
    e.name: e
    for e in (
        Export(
            "redemptions",
            "Redemptions",
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
            ),
            True,
            _redemptions,
            _redemption_cells,
        ),
        Export(
            "transactions",
            "Transactions",
            (
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
            ),
            True,
            _transactions,
            _transaction_cells,
        ),
        Export(
            "customers",
            "Customers with balances",
            (
                "user_id",
                "external_customer_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "created_at",
                "points_available",
                "points_lifetime",
            ),
            False,
            _customers,
            _customer_cells,
        ),
        Export(
            "points",
            "Points ledger",
            (
                "entry_id",
                "at",
                "user_id",
                "point_account_id",
                "kind",
                "amount",
                "available_delta",
                "lifetime_delta",
                "reason",
                "reference_id",
                "actor",
            ),
            True,
            _ledger,
            _ledger_cells,
        ),
    )
}


async def reader_for(db: Database, retailer_id: UUID, timezone: str, exponent: int) -> Reader:
    async with db.read() as conn:
        rows = await conn.execute(select(stores.c.id, stores.c.name).where(stores.c.retailer_id == retailer_id))
        names = {str(row.id): row.name for row in rows}
    return Reader(timezone=timezone, exponent=exponent, store_names=names)


def stream(db: Database, export: Export, reader: Reader, retailer_id: UUID, period: Period) -> AsyncIterator[bytes]:
    """The export's CSV, chunk by chunk."""
    return stream_query(db, export.header, export.query(retailer_id, period), lambda row: export.cells(reader, row))
