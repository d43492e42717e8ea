"""Every user query of the wallet: the user row, its look-up keys (`email_key`, `phone_key`: what
email and phone look-ups compare) and the queries on users. User offers, their events and per-offer
counts are in `repository.py`.

Every query is scoped to the retailer (ARCHITECTURE.md rule 8: its id is an argument, or on the row
written). User ids are unique per retailer, not globally: another retailer's user never changes an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.tables.wallet import users


@dataclass(frozen=True, slots=True)
class UserRow:
    id: UUID
    retailer_id: UUID
    external_customer_id: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    profile_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def email_key(email: str) -> str:
    """What email look-ups compare: trimmed and case-insensitive."""
    return email.strip().lower()


_NOT_DIGIT = re.compile(r"\D")


def phone_key(phone: str) -> str:
    """What phone look-ups compare: the digits only (`+1 (440) 273-702` -> `1440273702`)."""
    return _NOT_DIGIT.sub("", phone)


def _user(row: Any) -> UserRow:
    return UserRow(**{name: getattr(row, name) for name in UserRow.__slots__})


def user_values(user: UserRow) -> dict[str, Any]:
    values = {name: getattr(user, name) for name in UserRow.__slots__}
    values["email_key"] = email_key(user.email) if user.email else None
    values["phone_key"] = phone_key(user.phone) if user.phone else None
    return values


async def insert_user(conn: AsyncConnection, user: UserRow) -> None:
    await conn.execute(insert(users).values(**user_values(user)))


async def update_user(conn: AsyncConnection, user: UserRow) -> bool:
    values = user_values(user)
    del values["id"], values["retailer_id"], values["created_at"]
    result = await conn.execute(
        update(users).where(users.c.retailer_id == user.retailer_id, users.c.id == user.id).values(**values)
    )
    return bool(result.rowcount)


async def get_user(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> UserRow | None:
    row = (await conn.execute(select(users).where(users.c.retailer_id == retailer_id, users.c.id == user_id))).first()
    return _user(row) if row else None


async def find_users(
    conn: AsyncConnection,
    retailer_id: UUID,
    *,
    user_id: UUID | None = None,
    external_customer_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    limit: int = 2,
) -> list[UserRow]:
    """Users matching every given key (email and phone normalised). Two rows are enough to tell the
    caller the match is ambiguous, hence the default limit."""
    query = matching_users(
        retailer_id, user_id=user_id, external_customer_id=external_customer_id, email=email, phone=phone, limit=limit
    )
    if query is None:
        return []
    return [_user(r) for r in await conn.execute(query)]


# The POS Lookup's key kinds (`wallet.service.lookup_key`), each with the column it compares.
_KEY_COLUMNS = {
    "user_id": users.c.id,
    "external_customer_id": users.c.external_customer_id,
    "email": users.c.email_key,
    "phone": users.c.phone_key,
}
KEY_KINDS = tuple(_KEY_COLUMNS)


def matching_users_by(kind: str, *, limit: int = 2) -> Select[Any]:
    """`matching_users` for one key kind, with bind parameters `retailer_id` and `key` (the value
    `key_value` gives): for callers that build their statement once and run it on every call."""
    return (
        select(users)
        .where(users.c.retailer_id == bindparam("retailer_id"), _KEY_COLUMNS[kind] == bindparam("key"))
        .order_by(users.c.created_at, users.c.id)
        .limit(limit)
    )


def key_value(kind: str, value: Any) -> Any:
    """What `matching_users` compares for a key of this kind."""
    if kind == "external_customer_id":
        return str(value).strip()
    if kind == "email":
        return email_key(str(value))
    if kind == "phone":
        return phone_key(str(value))
    return value


def matching_users(
    retailer_id: UUID,
    *,
    user_id: UUID | None = None,
    external_customer_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    limit: int = 2,
) -> Select[Any] | None:
    """`find_users` as a query (None when no key is given), for callers that join more to it."""
    conditions: list[ColumnElement[bool]] = [users.c.retailer_id == retailer_id]
    given = {"user_id": user_id, "external_customer_id": external_customer_id, "email": email, "phone": phone}
    for kind, value in given.items():
        if value is not None:
            conditions.append(_KEY_COLUMNS[kind] == key_value(kind, value))
    if len(conditions) == 1:
        return None
    return select(users).where(*conditions).order_by(users.c.created_at, users.c.id).limit(limit)


def user_of(row: Any, prefix: str = "") -> UserRow:
    """A UserRow from a row holding the users columns, each named `prefix` + column."""
    return UserRow(**{name: getattr(row, prefix + name) for name in UserRow.__slots__})


async def existing_user_ids(conn: AsyncConnection, retailer_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
    rows = await conn.execute(select(users.c.id).where(users.c.retailer_id == retailer_id, users.c.id.in_(user_ids)))
    return {r.id for r in rows}


async def search_users(
    conn: AsyncConnection, retailer_id: UUID, text: str, user_id: UUID | None, *, limit: int
) -> list[UserRow]:
    """Users one of whose look-up keys is `text` (external id exactly, email trimmed and in any case,
    phone by its digits) or whose id is `user_id`, newest first. Every key is indexed."""
    text = text.strip()
    if not text:
        return []
    alternatives: list[ColumnElement[bool]] = [
        users.c.external_customer_id == text,
        users.c.email_key == email_key(text),
    ]
    if phone_key(text):
        alternatives.append(users.c.phone_key == phone_key(text))
    if user_id is not None:
        alternatives.append(users.c.id == user_id)
    rows = await conn.execute(
        select(users)
        .where(users.c.retailer_id == retailer_id, or_(*alternatives))
        .order_by(users.c.created_at.desc(), users.c.id)
        .limit(limit)
    )
    return [_user(r) for r in rows]
