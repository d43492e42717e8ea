"""Wallet use cases: users, issuing, revoking, and recording expiries.

Each public function taking a `Database` owns exactly one transaction. `find_user` works inside a
caller's transaction (the POS Lookup resolves its customer with it). Reads live in `history.py`, the
reward store in `store.py`, the issuance core in `issuance.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from msgspec import UNSET
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import events
from openoffers.events import EventType
from openoffers.kit.clock import iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, NotFound, UserNotFound, ValidationFailed
from openoffers.kit.ids import new_id, parse_uuid
from openoffers.tenancy import repository as tenancy_repo
from openoffers.wallet import audited, lifecycle
from openoffers.wallet import repository as repo
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.history import default_culture_of, user_offer_out
from openoffers.wallet.issuance import Issued, fail_reason_number, issue_in
from openoffers.wallet.lifecycle import EXPIRED, REDEEMED, STATUS_NAMES
from openoffers.wallet.schemas import (
    CreateUserRequest,
    GetUserRequest,
    IssueRequest,
    IssueResult,
    IssueStatus,
    RevokeRequest,
    UpdateUserRequest,
    UserOfferOut,
    UserOut,
)
from openoffers.wallet.users_repository import UserRow

# --------------------------------------------------------------------------------------------- users


def user_out(user: UserRow) -> UserOut:
    return UserOut(
        user_id=user.id,
        retailer_id=user.retailer_id,
        external_customer_id=user.external_customer_id,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=user.phone,
        profile_fields=user.profile_fields,
        created_at=iso_z(user.created_at) or "",
        updated_at=iso_z(user.updated_at) or "",
    )


def _clean(value: str | None) -> str | None:
    """Trimmed; blank means absent."""
    if value is None:
        return None
    value = value.strip()
    return value or None


async def _check_external_free(conn: AsyncConnection, user: UserRow) -> None:
    if user.external_customer_id is None:
        return
    same = await users_repo.find_users(conn, user.retailer_id, external_customer_id=user.external_customer_id)
    if any(other.id != user.id for other in same):
        raise Conflict(
            "another user has this external_customer_id", fields={"external_customer_id": ["already exists"]}
        )


async def external_id_problems(
    db: Database, retailer_id: UUID, external_customer_id: str | None, user_id: UUID | None = None
) -> dict[str, list[str]]:
    """What `create_user_in`/`update_user` would refuse about the external id (another customer of the
    retailer has it), by API path; reads only. The admin forms show it with their decode problems in
    one answer; the write still checks, since another customer may take the id in between."""
    external = _clean(external_customer_id)
    if external is None:
        return {}
    async with db.read() as conn:
        same = await users_repo.find_users(conn, retailer_id, external_customer_id=external)
    return {"external_customer_id": ["already exists"]} if any(other.id != user_id for other in same) else {}


async def create_user_in(conn: AsyncConnection, request: CreateUserRequest, now: datetime) -> UserRow:
    """Insert the customer in the caller's transaction (`loyalty.service.create_user` runs the enrolment
    rules in the same one)."""
    user = UserRow(
        id=request.user_id or new_id(),
        retailer_id=request.retailer_id,
        external_customer_id=_clean(request.external_customer_id),
        first_name=request.first_name.strip(),
        last_name=request.last_name.strip(),
        email=_clean(request.email),
        phone=_clean(request.phone),
        profile_fields=request.profile_fields,
        created_at=now,
        updated_at=now,
    )
    if await tenancy_repo.get_retailer(conn, request.retailer_id) is None:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    if request.user_id is not None and await users_repo.get_user(conn, user.retailer_id, user.id) is not None:
        raise Conflict(f"user {user.id} already exists", fields={"user_id": ["already exists"]})
    await _check_external_free(conn, user)
    try:
        await users_repo.insert_user(conn, user)
    except IntegrityError:
        # A concurrent create won the unique key between our check and our insert (PostgreSQL).
        raise Conflict(
            "the user was created concurrently", fields={"external_customer_id": ["already exists"]}
        ) from None
    await events.record(conn, user.retailer_id, EventType.USER_CREATED, now, user.id, user_out(user))
    return user


async def update_user(db: Database, request: UpdateUserRequest, now: datetime) -> UserOut:
    """Changes the fields sent; UNSET ones keep their value. The audit log gets the fields that changed."""
    async with db.write() as conn:
        current = await users_repo.get_user(conn, request.retailer_id, request.user_id)
        if current is None:
            raise UserNotFound("user not found", fields={"user_id": ["not found"]})
        changes: dict[str, object] = {"updated_at": now}
        if request.external_customer_id is not UNSET:
            changes["external_customer_id"] = _clean(request.external_customer_id)
        if request.first_name is not UNSET:
            changes["first_name"] = request.first_name.strip()
        if request.last_name is not UNSET:
            changes["last_name"] = request.last_name.strip()
        if request.email is not UNSET:
            changes["email"] = _clean(request.email)
        if request.phone is not UNSET:
            changes["phone"] = _clean(request.phone)
        if request.profile_fields is not UNSET:
            changes["profile_fields"] = request.profile_fields
        user = replace(current, **changes)  # type: ignore[arg-type]
        await _check_external_free(conn, user)
        try:
            await users_repo.update_user(conn, user)
        except IntegrityError:
            raise Conflict(
                "the user was changed concurrently", fields={"external_customer_id": ["already exists"]}
            ) from None
        await audited.customer_updated(conn, current, user, now)
    return user_out(user)


async def find_user(
    conn: AsyncConnection,
    retailer_id: UUID,
    *,
    user_id: UUID | None = None,
    external_customer_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> UserRow:
    """The one user matching the first key given (user_id, external_customer_id, email, phone).
    No match: USER_NOT_FOUND; several (email and phone are not unique): CONFLICT."""
    found = await users_repo.find_users(
        conn,
        retailer_id,
        **lookup_key(user_id=user_id, external_customer_id=external_customer_id, email=email, phone=phone),
    )
    return the_one_user(found)


def lookup_key(
    *, user_id: UUID | None, external_customer_id: str | None, email: str | None, phone: str | None
) -> dict[str, Any]:
    """The first key given (user_id, external_customer_id, email, phone), as `find_users` keywords;
    none given is VALIDATION. The POS Lookup reads its customer and wallet with it in one query."""
    if user_id is not None:
        return {"user_id": user_id}
    if _clean(external_customer_id) is not None:
        return {"external_customer_id": external_customer_id}
    if _clean(email) is not None:
        return {"email": email}
    if phone is not None and users_repo.phone_key(phone):
        return {"phone": phone}
    raise ValidationFailed(
        "give one of user_id, external_customer_id, email or phone",
        fields={"user_id": ["give one of user_id, external_customer_id, email or phone"]},
    )


def the_one_user(found: Sequence[UserRow]) -> UserRow:
    """What `find_user` answers for the users a key matched (at most two are read)."""
    if not found:
        raise UserNotFound("user not found")
    if len(found) > 1:
        raise Conflict("more than one user matches; look up by user_id or external_customer_id")
    return found[0]


async def get_user(db: Database, request: GetUserRequest) -> UserOut:
    async with db.read() as conn:
        user = await find_user(
            conn,
            request.retailer_id,
            user_id=request.user_id,
            external_customer_id=request.external_customer_id,
            email=request.email,
            phone=request.phone,
        )
    return user_out(user)


async def search_users(db: Database, retailer_id: UUID, query: str, *, limit: int = 50) -> list[UserOut]:
    """Every user whose user id, external customer id, email or phone is `query` (the admin UI's
    customer search; unlike `get_user`, several matches are a list, not a CONFLICT). Newest first."""
    async with db.read() as conn:
        found = await users_repo.search_users(conn, retailer_id, query, parse_uuid(query), limit=limit)
    return [user_out(user) for user in found]


# ------------------------------------------------------------------------------------- user offers


async def issue(db: Database, request: IssueRequest, now: datetime, actor: str) -> IssueResult:
    """Issue `quantity` copies; each copy either gets a user offer or a `fail_reason` (200 either way).
    Each user offer made is one audit row (a refused copy made nothing)."""
    async with db.write() as conn:
        w = await lifecycle.begin_user_write(conn, request.retailer_id, request.user_id, now, actor)
        outcomes = await issue_in(
            w, offer_id=request.offer_id, quantity=request.quantity, exact=request.issue_exact_version, source="api"
        )
        for outcome in outcomes:
            if outcome.user_offer_id is not None:
                made = await repo.get_user_offer(conn, request.retailer_id, outcome.user_offer_id)
                assert made is not None  # inserted just now in this transaction
                await audited.user_offer_changed(conn, made, "issued", None, audited.user_offer_view(made), now)
    return IssueResult(status_list=[issue_status(o) for o in outcomes])


def issue_status(outcome: Issued) -> IssueStatus:
    """A copy's outcome on the wire. Issuance never waits for extended data, so `pending_extended_data`
    is always false (`acquisition/update` with `remain_pending_extended_data` is accepted and ignored)."""
    return IssueStatus(
        user_id=outcome.user_id,
        user_offer_id=outcome.user_offer_id,
        offer_id=outcome.offer_id,
        root_offer_id=outcome.root_offer_id,
        pending_extended_data=False,
        fail_reason=fail_reason_number(outcome.fail_reason),
        fail_reason_code=outcome.fail_reason,
    )


async def revoke(db: Database, request: RevokeRequest, now: datetime, actor: str) -> UserOfferOut:
    """Issued or Locked -> Revoked with a `revoked` event. Revoking a revoked offer changes nothing;
    a redeemed or expired one is CONFLICT (reason REDEEMED or EXPIRED) and nothing changes."""
    retailer_id = request.retailer_id
    async with db.write() as conn:
        current = await repo.get_user_offer(conn, retailer_id, request.user_offer_id)
        if current is None:
            raise NotFound("user offer not found", fields={"user_offer_id": ["not found"]})
        w = await lifecycle.begin_user_write(conn, retailer_id, current.user_id, now, actor)
        reason = request.reason.strip()
        if await lifecycle.revoke(w, current.id, reason):
            # Revoke starts from Issued or Locked only, so `current` (read in this transaction) was one.
            was = {"status": audited.status_name(current.status)}
            now_is = {"status": audited.status_name(lifecycle.REVOKED), "reason": reason}
            await audited.user_offer_changed(conn, current, "revoked", was, now_is, now)
        else:
            latest = await repo.get_user_offer(conn, retailer_id, current.id)
            status = latest.status_at(now) if latest else current.status
            if status in (REDEEMED, EXPIRED):
                name = STATUS_NAMES[status]
                raise Conflict(
                    f"a {name.lower()} user offer cannot be revoked",
                    reason=name.upper(),
                    fields={"user_offer_id": [f"is {name.lower()}"]},
                )
            # Already revoked (perhaps by a concurrent call): the request's outcome holds.
        row = await repo.get_wallet_row(conn, retailer_id, current.id)
        default_culture = await default_culture_of(conn, retailer_id)
    assert row is not None
    return user_offer_out(row, now, None, default_culture)


async def expire_due(db: Database, now: datetime, *, batch: int = 500) -> int:
    """Record the expiry of every Issued user offer whose window ended (for a scheduler or the admin UI);
    reads are right without it. One short transaction per batch; returns how many were expired."""
    async with db.read() as conn:
        retailers = await tenancy_repo.list_retailers(conn)
    expired = 0
    for retailer in retailers:
        while True:
            async with db.write() as conn:
                due, changed = await lifecycle.expire_due_batch(lifecycle.RowWrite(conn, retailer.id, now), batch)
            expired += changed
            if due < batch:
                break
    return expired
