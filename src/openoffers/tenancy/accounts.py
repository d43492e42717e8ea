"""People's accounts for the admin UI: invitation, password, role, deactivation, and checking a sign-in.

Roles (what the admin UI lets each do; `admin.access` enforces it on every request):
  admin     everything, including stores, POS clients, API keys, people and the audit log;
  marketer  offers, rules, customers and reports, read and change;
  viewer    reads what a marketer reads and changes nothing.

Passwords are hashed with argon2id (argon2-cffi's defaults). An invitation is a random token shown once
as a link (there is no mail); the database keeps its SHA-256 only, and it expires after
`INVITATION_DAYS`. A role change or a deactivation ends that person's admin sessions in the same
transaction, so they take effect on that person's very next request. Every change is audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.tables.accounts import accounts
from openoffers.tables.admin import admin_sessions
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo

INVITATION_DAYS = 7
MIN_PASSWORD = 10
MAX_PASSWORD = 200
_HASHER = PasswordHasher()
# A password nobody has, so that a sign-in for an unknown e-mail costs what a real check costs.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
# Plain enough to catch typing mistakes; the invitation link is what proves the address works.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccountRole(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    VIEWER = "viewer"


ROLE_LABELS = {
    AccountRole.ADMIN: "Admin: everything, including people, stores, POS clients and API keys",
    AccountRole.MARKETER: "Marketer: offers, rules, customers and reports",
    AccountRole.VIEWER: "Viewer: can look at everything a marketer can, and change nothing",
}


@dataclass(frozen=True, slots=True)
class Account:
    id: UUID
    retailer_id: UUID
    email: str
    name: str
    role: str
    has_password: bool
    invite_expires_at: datetime | None
    created_at: datetime
    deactivated_at: datetime | None

    @property
    def status(self) -> str:
        if self.deactivated_at is not None:
            return "deactivated"
        return "active" if self.has_password else "invited"

    @property
    def actor(self) -> str:
        return f"account:{self.id}"

    def audit_view(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "role": self.role, "status": self.status}


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        retailer_id=row.retailer_id,
        email=row.email,
        name=row.name,
        role=row.role,
        has_password=row.password_hash is not None,
        invite_expires_at=row.invite_expires_at,
        created_at=row.created_at,
        deactivated_at=row.deactivated_at,
    )


def invitation_hash(token: str) -> str:
    return hashlib.sha256(b"openoffers invitation\x00" + token.encode()).hexdigest()


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not email:
        raise ValidationFailed.field("email", "Enter the person's e-mail address.")
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed.field(
            "email", "This does not look like an e-mail address (it should be like name@example.com)."
        )
    return email


def check_role(role: str) -> AccountRole:
    try:
        return AccountRole(role)
    except ValueError:
        raise ValidationFailed.field("role", "Choose admin, marketer or viewer.") from None


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed.field(field, f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed.field(field, f"Use at most {MAX_PASSWORD} characters.")
    return password


def _check_name(name: str) -> str:
    name = name.strip()
    if len(name) > 200:
        raise ValidationFailed.field("name", "Use at most 200 characters.")
    return name


def _with_expiry(account: Account) -> dict[str, Any]:
    """A new invitation changes only the link's expiry (the token itself is never kept): it tells the
    old link from the new in the audit log."""
    return account.audit_view() | {"invite_expires_at": _iso(account.invite_expires_at)}


async def _audit(
    conn: AsyncConnection,
    action: str,
    before: Account | None,
    after: Account,
    now: datetime,
    view: Callable[[Account], dict[str, Any]] = Account.audit_view,
) -> None:
    """The audit row of a change to an account, in the transaction that made it."""
    await audit.record(
        conn,
        retailer_id=after.retailer_id,
        object_type="account",
        object_id=after.id,
        action=action,
        before=None if before is None else view(before),
        after=view(after),
        now=now,
    )


async def _get(conn: AsyncConnection, retailer_id: UUID, account_id: UUID) -> Account:
    row = (
        await conn.execute(select(accounts).where(accounts.c.retailer_id == retailer_id, accounts.c.id == account_id))
    ).first()
    if row is None:
        raise NotFound("There is no such person.", fields={"account_id": ["not found"]})
    return _account(row)


async def _insert(
    conn: AsyncConnection, *, retailer_id: UUID, email: str, name: str, role: AccountRole, now: datetime, **values: Any
) -> Account:
    if await tenancy_repo.get_retailer(conn, retailer_id) is None:
        raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
    taken = (await conn.execute(select(accounts.c.id).where(accounts.c.email == email))).first()
    if taken is not None:
        raise Conflict("Someone already signs in with this e-mail address.", fields={"email": ["already exists"]})
    account_id = new_id()
    await conn.execute(
        accounts.insert().values(
            id=account_id,
            retailer_id=retailer_id,
            email=email,
            name=name,
            role=role.value,
            created_at=now,
            updated_at=now,
            deactivated_at=None,
            **values,
        )
    )
    return await _get(conn, retailer_id, account_id)


async def create_account(
    db: Database, *, retailer_id: UUID, email: str, role: str, password: str, now: datetime, name: str = ""
) -> Account:
    """An account that can sign in at once (the CLI's first owner, the demo)."""
    checked = (check_email(email), check_role(role), check_password(password), _check_name(name))
    password_hash = _HASHER.hash(password)
    async with db.write() as conn:
        account = await _insert(
            conn,
            retailer_id=retailer_id,
            email=checked[0],
            name=checked[3],
            role=checked[1],
            now=now,
            password_hash=password_hash,
        )
        await _audit(conn, "created", None, account, now)
    return account


async def invite(
    db: Database, *, retailer_id: UUID, email: str, role: str, now: datetime, name: str = ""
) -> tuple[Account, str]:
    """A new account without a password, and the token of its invitation link (shown once)."""
    problems: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for field, check, value in (("email", check_email, email), ("role", check_role, role), ("name", _check_name, name)):
        try:
            checked[field] = check(value)
        except ValidationFailed as exc:
            problems.update(exc.fields or {field: [exc.message]})
    if problems:
        raise ValidationFailed("The invitation has problems.", fields=problems)
    token = secrets.token_urlsafe(32)
    async with db.write() as conn:
        account = await _insert(
            conn,
            retailer_id=retailer_id,
            email=checked["email"],
            name=checked["name"],
            role=checked["role"],
            now=now,
            password_hash=None,
            invite_hash=invitation_hash(token),
            invite_expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        await _audit(conn, "invited", None, account, now)
    return account, token


async def reinvite(db: Database, *, retailer_id: UUID, account_id: UUID, now: datetime) -> tuple[Account, str]:
    """A new invitation link for someone who has not set a password yet (theirs expired or was lost):
    the old link stops working in the same change, and the new token is returned to be shown once."""
    token = secrets.token_urlsafe(32)
    async with db.write() as conn:
        before = await _get(conn, retailer_id, account_id)
        if before.deactivated_at is not None:
            raise Conflict("This person is deactivated; they cannot be invited again.")
        if before.has_password:
            raise Conflict("This person has already set a password; they sign in with it.")
        changed = await conn.execute(
            update(accounts)
            .where(
                accounts.c.retailer_id == retailer_id,
                accounts.c.id == account_id,
                accounts.c.password_hash.is_(None),
                accounts.c.deactivated_at.is_(None),
            )
            .values(
                invite_hash=invitation_hash(token),
                invite_expires_at=now + timedelta(days=INVITATION_DAYS),
                updated_at=now,
            )
        )
        if changed.rowcount != 1:
            raise Conflict("This person was changed at the same time by someone else. Reload and try again.")
        after = await _get(conn, retailer_id, account_id)
        await _audit(conn, "reinvited", before, after, now, view=_with_expiry)
    return after, token


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def invitation(db: Database, token: str, now: datetime) -> Account | None:
    """The account an open, unexpired invitation link is for, else None."""
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(accounts).where(
                    accounts.c.invite_hash == invitation_hash(token),
                    accounts.c.invite_expires_at > now,
                    accounts.c.deactivated_at.is_(None),
                )
            )
        ).first()
    return None if row is None else _account(row)


async def accept_invitation(db: Database, token: str, password: str, now: datetime) -> Account:
    """Set the password of an invited account; the link works once."""
    check_password(password)
    password_hash = _HASHER.hash(password)
    async with db.write() as conn:
        row = (
            await conn.execute(
                select(accounts).where(
                    accounts.c.invite_hash == invitation_hash(token),
                    accounts.c.invite_expires_at > now,
                    accounts.c.deactivated_at.is_(None),
                )
            )
        ).first()
        if row is None:
            raise NotFound("This invitation link has expired or was already used. Ask an admin for a new one.")
        before = _account(row)
        changed = await conn.execute(
            update(accounts)
            .where(accounts.c.id == row.id, accounts.c.invite_hash == row.invite_hash)
            .values(password_hash=password_hash, invite_hash=None, invite_expires_at=None, updated_at=now)
        )
        if changed.rowcount != 1:
            raise NotFound("This invitation link has expired or was already used. Ask an admin for a new one.")
        after = await _get(conn, row.retailer_id, row.id)
        await _audit(conn, "password_set", before, after, now)
    return after


async def _end_sessions(conn: AsyncConnection, account_id: UUID, now: datetime) -> None:
    await conn.execute(
        update(admin_sessions)
        .where(admin_sessions.c.account_id == account_id, admin_sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )


async def change_role(
    db: Database, *, retailer_id: UUID, account_id: UUID, role: str, now: datetime, acting: UUID | None
) -> Account:
    """Give an active account another role and end its sessions. Nobody changes their own role (an admin
    cannot lock themself out); giving the role it has changes nothing."""
    new_role = check_role(role)
    if acting == account_id:
        raise Conflict("You cannot change your own role. Ask another admin.")
    async with db.write() as conn:
        before = await _get(conn, retailer_id, account_id)
        if before.deactivated_at is not None:
            raise Conflict("This person is deactivated; their role cannot change.")
        if before.role == new_role.value:
            return before
        changed = await conn.execute(
            update(accounts)
            .where(
                accounts.c.retailer_id == retailer_id,
                accounts.c.id == account_id,
                accounts.c.role == before.role,
                accounts.c.deactivated_at.is_(None),
            )
            .values(role=new_role.value, updated_at=now)
        )
        if changed.rowcount != 1:
            raise Conflict("This person was changed at the same time by someone else. Reload and try again.")
        await _end_sessions(conn, account_id, now)
        after = await _get(conn, retailer_id, account_id)
        await _audit(conn, "role_changed", before, after, now)
    return after


async def deactivate(
    db: Database, *, retailer_id: UUID, account_id: UUID, now: datetime, acting: UUID | None
) -> Account:
    """The account can no longer sign in, its open invitation stops working and its sessions end now.
    Deactivating a deactivated account changes nothing."""
    if acting == account_id:
        raise Conflict("You cannot deactivate yourself. Ask another admin.")
    async with db.write() as conn:
        before = await _get(conn, retailer_id, account_id)
        if before.deactivated_at is not None:
            return before
        changed = await conn.execute(
            update(accounts)
            .where(
                accounts.c.retailer_id == retailer_id, accounts.c.id == account_id, accounts.c.deactivated_at.is_(None)
            )
            .values(deactivated_at=now, invite_hash=None, invite_expires_at=None, updated_at=now)
        )
        if changed.rowcount != 1:
            return await _get(conn, retailer_id, account_id)
        await _end_sessions(conn, account_id, now)
        after = await _get(conn, retailer_id, account_id)
        await _audit(conn, "deactivated", before, after, now)
    return after


async def list_accounts(db: Database, retailer_id: UUID) -> list[Account]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(accounts).where(accounts.c.retailer_id == retailer_id).order_by(accounts.c.email)
        )
        return [_account(r) for r in rows]


async def get_account(conn: AsyncConnection, account_id: UUID) -> Account | None:
    """An account by id with no retailer given: only for the server-side session, which holds both."""
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
    return None if row is None else _account(row)


async def verify_in(conn: AsyncConnection, email: str, password: str) -> Account | None:
    """The active account this e-mail and password sign in, else None (in the sign-in's transaction).
    An unknown address costs the same argon2 check as a wrong password, so timing tells nothing."""
    row = (await conn.execute(select(accounts).where(accounts.c.email == email.strip().lower()))).first()
    stored = row.password_hash if row is not None and row.password_hash is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.password_hash is None or row.deactivated_at is not None:
        return None
    return _account(row)
