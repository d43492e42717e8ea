"""The admin's customer list: every customer, newest first, paged, narrowed by a partial name, email,
phone or external id (any case), or found by an exact id. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select

from openoffers.kit.db import Database
from openoffers.kit.ids import parse_uuid
from openoffers.tables.wallet import users
from openoffers.wallet.schemas import UserOut
from openoffers.wallet.service import user_out
from openoffers.wallet.users_repository import email_key, phone_key, user_of

MAX_QUERY = 100
# What the list sorts by ("-" before a key for descending); a blank external id or email sorts as "".
SORTS: dict[str, ColumnElement[Any]] = {
    "name": func.lower(users.c.first_name + " " + users.c.last_name),
    "external_id": func.lower(func.coalesce(users.c.external_customer_id, "")),
    "email": func.coalesce(users.c.email_key, ""),
    "created": users.c.created_at,
}
DEFAULT_SORT = "-created"


@dataclass(frozen=True, slots=True)
class CustomerPage:
    total: int
    customers: list[UserOut]


def _like(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(text: str) -> ColumnElement[bool]:
    pattern = _like(text.lower())
    full_name = func.lower(users.c.first_name + " " + users.c.last_name)
    alternatives: list[ColumnElement[bool]] = [
        full_name.like(pattern, escape="\\"),
        func.lower(users.c.external_customer_id).like(pattern, escape="\\"),
        users.c.email_key.like(_like(email_key(text)), escape="\\"),
    ]
    digits = phone_key(text)
    if digits and len(digits) >= 3:  # a few digits of a number; fewer would match nearly everyone
        alternatives.append(users.c.phone_key.like(_like(digits), escape="\\"))
    user_id = parse_uuid(text)
    if user_id is not None:
        alternatives.append(users.c.id == user_id)
    return or_(*alternatives)


async def browse_customers(
    db: Database, retailer_id: UUID, text: str, *, skip: int, take: int, sort: str = DEFAULT_SORT
) -> CustomerPage:
    """One page of the retailer's customers matching `text` (all of them when it is empty), newest first
    unless `sort` names one of `SORTS`, with how many match in all. The id breaks ties, so pages never
    overlap or skip anyone."""
    key = sort.removeprefix("-")
    column = SORTS.get(key, users.c.created_at)
    ordered = column.desc() if sort.startswith("-") or key not in SORTS else column.asc()
    text = text.strip()[:MAX_QUERY]
    where: list[ColumnElement[bool]] = [users.c.retailer_id == retailer_id]
    if text:
        where.append(_matches(text))
    async with db.read() as conn:
        total = int((await conn.execute(select(func.count()).select_from(users).where(*where))).scalar_one())
        rows = await conn.execute(select(users).where(*where).order_by(ordered, users.c.id).offset(skip).limit(take))
        found = [user_out(user_of(row)) for row in rows]
    return CustomerPage(total, found)
