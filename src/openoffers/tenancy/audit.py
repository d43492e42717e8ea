"""The audit log: the one place that writes it, and its reads.

Every change made through the admin UI or the management API calls `record` inside the transaction
that makes the change, so the row commits or rolls back with it: the log never shows a change that did
not happen, nor misses one that did. Who acted comes from `kit.actor` (set where the request was
authenticated). `before` and `after` are JSON-ready dictionaries of the object as its owner describes
it (None before a creation); secrets and password hashes never go in.

Webhooks (another part of the system) record their changes by calling `record` with object_type
"webhook" in their own transaction, like every other domain.

What is not recorded here, and why (docs/DECISIONS.md, "The audit log's boundary"): the POS API's calls
and what a customer does through the retailer's own systems (custom events, reward store purchases,
claim codes) are the customers' activity, kept in the check, the ledger and each user offer's history;
what rules do in response is the rule's work, audited when the rule was changed. An import is one
summary row (its counts and file), not a row per customer or item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.actor import current_actor
from openoffers.kit.db import Database
from openoffers.tables.accounts import audit_log

# What the audit page offers as objects to filter on, and how it names them.
OBJECT_TYPES = {
    "offer": "Offer",
    "rule": "Loyalty rule",
    "store": "Store",
    "pos_client": "POS client",
    "api_key": "API key",
    "account": "Person",
    "points": "Points",
    "webhook": "Webhook",
    "loyalty_settings": "Loyalty settings",
    "customer": "Customer",
    "user_offer": "User offer",
    "point_account": "Point account",
    "catalog": "Catalog",
    "retailer": "Retailer",
}

# How the pages word each action.
ACTION_LABELS = {
    "created": "created",
    "updated": "changed",
    "revisioned": "changed (new revision)",
    "published": "published",
    "deactivated": "deactivated",
    "reactivated": "reactivated",
    "deleted": "deleted",
    "activated": "activated",
    "revoked": "revoked",
    "invited": "invited",
    "reinvited": "sent a new invitation link",
    "password_set": "chose a password",
    "role_changed": "role changed",
    "secret_rotated": "secret rotated",
    "paused": "paused",
    "resumed": "resumed",
    "resent": "delivery sent again",
    "issued": "issued",
    "redeemed": "redeemed by hand",
    "imported": "imported",
    "adjust": "adjusted",
    "earn": "earned",
    "spend": "spent",
}


def plain(value: Any) -> Any:
    """`value` as JSON would give it back (UUIDs and datetimes as strings, tuples as lists), so that what
    is stored and what a reader compares are the same thing on both engines."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


async def record(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    object_type: str,
    object_id: UUID | str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """One audit row, in the caller's transaction."""
    actor = current_actor()
    await conn.execute(
        insert(audit_log).values(
            retailer_id=retailer_id,
            at=now,
            actor=actor.id[:200],
            actor_label=actor.label[:254],
            object_type=object_type,
            object_id=str(object_id),
            action=action,
            before=None if before is None else plain(before),
            after=None if after is None else plain(after),
        )
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two views narrowed to the keys whose values differ (as stored), for an edit whose reader
    wants what changed rather than the whole object; two empty dictionaries when nothing did."""
    old, new = plain(before), plain(after)
    keys = [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return {key: old.get(key) for key in keys}, {key: new.get(key) for key in keys}


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: datetime
    actor: str
    actor_label: str
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        return changes(self.before, self.after)


@dataclass(frozen=True, slots=True)
class Filter:
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


async def entries(
    db: Database, retailer_id: UUID, wanted: Filter, *, skip: int = 0, take: int = 50
) -> tuple[int, list[Entry]]:
    """The retailer's audit rows matching `wanted`, newest first, and how many match in all."""
    conditions = [audit_log.c.retailer_id == retailer_id]
    if wanted.actor:
        conditions.append(audit_log.c.actor == wanted.actor)
    if wanted.object_type:
        conditions.append(audit_log.c.object_type == wanted.object_type)
    if wanted.object_id:
        conditions.append(audit_log.c.object_id == wanted.object_id)
    if wanted.since is not None:
        conditions.append(audit_log.c.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(audit_log.c.at < wanted.until)
    async with db.read() as conn:
        total = (await conn.execute(select(func.count()).select_from(audit_log).where(*conditions))).scalar_one()
        rows = await conn.execute(
            select(audit_log).where(*conditions).order_by(audit_log.c.id.desc()).offset(skip).limit(take)
        )
        found = [
            Entry(
                id=r.id,
                at=r.at,
                actor=r.actor,
                actor_label=r.actor_label,
                object_type=r.object_type,
                object_id=r.object_id,
                action=r.action,
                before=r.before,
                after=r.after,
            )
            for r in rows
        ]
    return int(total), found


async def actors(db: Database, retailer_id: UUID) -> list[tuple[str, str]]:
    """Everyone who has changed something at this retailer: (actor, latest label), for the filter."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(audit_log.c.actor, func.max(audit_log.c.actor_label))
            .where(audit_log.c.retailer_id == retailer_id)
            .group_by(audit_log.c.actor)
            .order_by(func.max(audit_log.c.actor_label))
        )
        return [(r[0], r[1]) for r in rows]


def changes(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """What differs between two JSON values, as (dotted path, before, after), leaves only, in order.
    A key present on one side only counts as changed from or to None; lists of the same length are
    compared item by item (`text_config.0.title`), lists that grew or shrank as a whole."""
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found_items: list[tuple[str, Any, Any]] = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found_items.extend(changes(old, new, f"{path}.{index}" if path else str(index)))
        return found_items
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[tuple[str, Any, Any]] = []
        for key in sorted(set(before) | set(after)):
            found.extend(changes(before.get(key), after.get(key), f"{path}.{key}" if path else str(key)))
        return found
    if before is None and isinstance(after, dict):
        return changes({}, after, path)
    if after is None and isinstance(before, dict):
        return changes(before, {}, path)
    return [] if before == after else [(path, before, after)]
