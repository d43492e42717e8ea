"""Every loyalty-rule query: rules, the rules an event listens to, per-user rows, events, issuances.

Each takes the retailer id. Events load only the rules whose trigger can fire on them, by the indexed
(retailer_id, listens_to, match_key, active) key, so their cost grows with those rules and not with
all the retailer's rules. Counters change by conditional updates, never read-modify-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import Command, Query, insert_ignore
from openoffers.tables.points import point_balances
from openoffers.tables.rules import (
    loyalty_events,
    loyalty_rule_counters,
    loyalty_rule_issuances,
    loyalty_rules,
    loyalty_users,
)

EARN = "earn"
THRESHOLD = "points_threshold"
CLOSED = "transaction_closed"
VISITS = "visit_count"
ENROLLED = "user_enrolled"
CUSTOM = "custom_event"


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: UUID
    retailer_id: UUID
    name: str
    kind: str
    listens_to: str
    match_key: str
    point_account_id: UUID | None
    offer_id: UUID | None
    priority: int
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool
    definition: dict[str, Any]
    revision: int
    created_at: datetime
    updated_at: datetime


def _rule(row: Any) -> RuleRow:
    return RuleRow(**{name: getattr(row, name) for name in RuleRow.__slots__})


def _values(rule: RuleRow) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RuleRow.__slots__}


# ------------------------------------------------------------------------------------------- rules


async def insert_rule(conn: AsyncConnection, rule: RuleRow) -> None:
    await conn.execute(insert(loyalty_rules).values(**_values(rule)))


async def replace_rule(conn: AsyncConnection, rule: RuleRow) -> bool:
    """Replace the definition and bump the revision (in SQL, so two updates never share one)."""
    values = _values(rule)
    for name in ("id", "retailer_id", "created_at", "revision", "active"):
        del values[name]
    result = await conn.execute(
        update(loyalty_rules)
        .where(loyalty_rules.c.retailer_id == rule.retailer_id, loyalty_rules.c.id == rule.id)
        .values(**values, revision=loyalty_rules.c.revision + 1)
    )
    return bool(result.rowcount)


async def set_active(conn: AsyncConnection, retailer_id: UUID, rule_id: UUID, active: bool, now: datetime) -> bool:
    """True when this call changed it."""
    result = await conn.execute(
        update(loyalty_rules)
        .where(
            loyalty_rules.c.retailer_id == retailer_id,
            loyalty_rules.c.id == rule_id,
            loyalty_rules.c.active.is_(not active),
        )
        .values(active=active, updated_at=now)
    )
    return bool(result.rowcount)


async def get_rule(conn: AsyncConnection, retailer_id: UUID, rule_id: UUID) -> RuleRow | None:
    row = (
        await conn.execute(
            select(loyalty_rules).where(loyalty_rules.c.retailer_id == retailer_id, loyalty_rules.c.id == rule_id)
        )
    ).first()
    return _rule(row) if row else None


# What `list_rules` sorts by ("-" before a key for descending).
SORTS: dict[str, Any] = {
    "name": func.lower(loyalty_rules.c.name),
    "kind": loyalty_rules.c.kind,
    "priority": loyalty_rules.c.priority,
    "active": loyalty_rules.c.active,
    "created": loyalty_rules.c.created_at,
}


async def list_rules(
    conn: AsyncConnection,
    retailer_id: UUID,
    *,
    kind: str | None,
    active: bool | None,
    skip: int,
    take: int,
    sort: str = "created",
) -> tuple[int, list[RuleRow]]:
    """Oldest first (creation order) unless `sort` names one of `SORTS`; the id breaks ties."""
    conditions: list[ColumnElement[bool]] = [loyalty_rules.c.retailer_id == retailer_id]
    if kind is not None:
        conditions.append(loyalty_rules.c.kind == kind)
    if active is not None:
        conditions.append(loyalty_rules.c.active.is_(active))
    where = and_(*conditions)
    total = (await conn.execute(select(func.count()).select_from(loyalty_rules).where(where))).scalar_one()
    rows = await conn.execute(
        select(loyalty_rules).where(where).order_by(_ordered(sort), loyalty_rules.c.id).offset(skip).limit(take)
    )
    return int(total), [_rule(r) for r in rows]


def _ordered(sort: str) -> Any:
    key = sort.removeprefix("-")
    if key not in SORTS:
        return loyalty_rules.c.created_at.asc()
    return SORTS[key].desc() if sort.startswith("-") else SORTS[key].asc()


def _active_at(
    at: datetime | ColumnElement[datetime] | None, table: FromClause = loyalty_rules
) -> list[ColumnElement[bool]]:
    """Rules inside their window at `at` (None: every window, for the simulator's reasons; a bind
    parameter for a statement built once)."""
    if at is None:
        return []
    return [
        or_(table.c.starts_at.is_(None), table.c.starts_at <= at),
        or_(table.c.ends_at.is_(None), table.c.ends_at > at),
    ]


async def listening(
    conn: AsyncConnection,
    retailer_id: UUID,
    keys: Iterable[tuple[str, str | None]],
    at: datetime | None,
) -> list[RuleRow]:
    """Active rules listening to any of `keys`: (listens_to, match_key), None matching any key."""
    alternatives: list[ColumnElement[bool]] = []
    for listens_to, match_key in keys:
        if match_key is None:
            alternatives.append(loyalty_rules.c.listens_to == listens_to)
        else:
            alternatives.append(and_(loyalty_rules.c.listens_to == listens_to, loyalty_rules.c.match_key == match_key))
    if not alternatives:
        return []
    rows = await conn.execute(
        select(loyalty_rules).where(
            loyalty_rules.c.retailer_id == retailer_id,
            loyalty_rules.c.active.is_(True),
            or_(*alternatives),
            *_active_at(at),
        )
    )
    return [_rule(r) for r in rows]


def _listening_to_check_statement(windowed: bool) -> CompoundSelect[Any]:
    retailer_id = bindparam("retailer_id", type_=loyalty_rules.c.retailer_id.type)
    at = bindparam("at", type_=loyalty_rules.c.starts_at.type) if windowed else None
    earn = loyalty_rules.alias("earn")
    accounts = select(earn.c.match_key).where(
        earn.c.retailer_id == retailer_id,
        earn.c.active.is_(True),
        earn.c.listens_to == EARN,
        *_active_at(at, earn),
    )
    rules = loyalty_rules.c

    def branch(*conditions: ColumnElement[bool]) -> Select[Any]:
        return select(loyalty_rules).where(
            rules.retailer_id == retailer_id, *conditions, rules.active.is_(True), *_active_at(at)
        )

    # Two index searches (ix_loyalty_rules_listening) joined by UNION ALL: as one OR of the kinds, SQLite
    # walked every rule of the retailer, so a check closed under 1,000 rules cost more than under 10. The
    # kinds are written into the SQL (not an expanding IN list, which a driver statement cannot take).
    return union_all(
        branch(rules.listens_to.in_([literal_column(f"'{kind}'") for kind in (EARN, CLOSED, VISITS)])),
        branch(rules.listens_to == THRESHOLD, rules.match_key.in_(accounts)),
    )


# Built once (every closed check runs it), with bind parameters, run on the driver: inside the rules'
# windows at `at`, and without a window for the simulator's reasons.
_LISTENING_TO_CHECK = {windowed: Query(_listening_to_check_statement(windowed)) for windowed in (True, False)}


async def listening_to_check(conn: AsyncConnection, retailer_id: UUID, at: datetime | None) -> list[RuleRow]:
    """What a closed check can fire, in one query: earn, transaction-closed and visit-count rules, and
    the threshold rules of the accounts the active earn rules pay into (their `match_key`), found by a
    subquery instead of a second round trip. The same rows as `listening` with those keys."""
    statement = _LISTENING_TO_CHECK[at is not None]
    parameters: dict[str, Any] = {"retailer_id": retailer_id}
    if at is not None:
        parameters["at"] = at
    rows = await statement.all(conn, parameters)
    return [_rule(r) for r in rows]


# ---------------------------------------------------------------------------------------- per user


def _lock_user_statement(dialect: str) -> Any:
    floor = func.max if dialect == "sqlite" else func.greatest
    visits = bindparam("visits", type_=loyalty_users.c.closed_checks.type)
    insert_stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(loyalty_users)
    return insert_stmt.on_conflict_do_update(
        index_elements=["retailer_id", "user_id"],
        set_={
            "closed_checks": floor(loyalty_users.c.closed_checks + visits, 0),
            "events": loyalty_users.c.events + 1,
            "updated_at": insert_stmt.excluded.updated_at,
        },
        where=loyalty_users.c.retailer_id == bindparam("held_retailer_id"),
    ).returning(loyalty_users.c.closed_checks)


# Built once per dialect (every rule event runs it), with bind parameters.
_LOCK_USER = {dialect: Command(_lock_user_statement(dialect)) for dialect in ("sqlite", "postgresql")}


async def lock_user(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime, *, visits: int = 0) -> int:
    """Take the user's loyalty row (created on first use) and add `visits` closed checks; the closed
    checks counted BEFORE this change. Every rule event of the user calls it before reading state.

    One upsert that returns the new count (where an insert-ignore, an update and a read were three):
    a new row starts from zero, so it holds max(visits, 0) closed checks and one event; an existing
    one is changed in SQL under its row lock, as the update did."""
    parameters = {
        "user_id": user_id,
        "retailer_id": retailer_id,
        "closed_checks": max(visits, 0),
        "events": 1,
        "updated_at": now,
        "visits": visits,
        "held_retailer_id": retailer_id,
    }
    [(after,)] = await _LOCK_USER[conn.dialect.name].all(conn, parameters)
    return max(int(after) - visits, 0)


async def closed_checks(conn: AsyncConnection, retailer_id: UUID, user_id: UUID) -> int:
    found = (
        await conn.execute(
            select(loyalty_users.c.closed_checks).where(
                loyalty_users.c.retailer_id == retailer_id, loyalty_users.c.user_id == user_id
            )
        )
    ).scalar_one_or_none()
    return int(found or 0)


async def balances(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, *, for_update: bool = False
) -> dict[UUID, tuple[int, int]]:
    """The user's (available, lifetime) per account. `for_update` holds the rows (PostgreSQL) so points a
    rule spends cannot be spent meanwhile by a request that does not take the loyalty row."""
    query = _BALANCES_FOR_UPDATE if for_update and conn.dialect.name == "postgresql" else _BALANCES
    rows = await query.all(conn, {"retailer_id": retailer_id, "user_id": user_id})
    return {r.account_id: (int(r.available), int(r.lifetime)) for r in rows}


# Built once (every closed check reads the balances), with bind parameters; run on the driver.
_BALANCES_STATEMENT = select(point_balances.c.account_id, point_balances.c.available, point_balances.c.lifetime).where(
    point_balances.c.retailer_id == bindparam("retailer_id"), point_balances.c.user_id == bindparam("user_id")
)
_BALANCES = Query(_BALANCES_STATEMENT)
_BALANCES_FOR_UPDATE = Query(_BALANCES_STATEMENT.order_by(point_balances.c.account_id).with_for_update())


# Built once (every closed check with issuance rules reads them), run on the driver. Every counter of
# the user, filtered in Python: a user has one per issuance rule that ever issued to them, and without
# an IN list of rule ids the statement has one compiled form (`kit.driver.Query`).
_ISSUED_COUNTS = Query(
    select(loyalty_rule_counters.c.rule_id, loyalty_rule_counters.c.issued).where(
        loyalty_rule_counters.c.retailer_id == bindparam("retailer_id"),
        loyalty_rule_counters.c.user_id == bindparam("user_id"),
    )
)


async def issued_counts(
    conn: AsyncConnection, retailer_id: UUID, user_id: UUID, rule_ids: Sequence[UUID]
) -> dict[UUID, int]:
    if not rule_ids:
        return {}
    wanted = set(rule_ids)
    rows = await _ISSUED_COUNTS.all(conn, {"retailer_id": retailer_id, "user_id": user_id})
    return {r.rule_id: int(r.issued) for r in rows if r.rule_id in wanted}


async def claim_issues(
    conn: AsyncConnection, retailer_id: UUID, rule_id: UUID, user_id: UUID, quantity: int, limit: int | None
) -> int:
    """Count up to `quantity` more offers of the rule for the user, never past `limit`; how many were
    counted. Conditional in SQL, so a cap holds whoever else is issuing."""
    await insert_ignore(
        conn,
        loyalty_rule_counters,
        {"rule_id": rule_id, "user_id": user_id, "retailer_id": retailer_id, "issued": 0},
        ["rule_id", "user_id"],
    )
    key = [
        loyalty_rule_counters.c.retailer_id == retailer_id,
        loyalty_rule_counters.c.rule_id == rule_id,
        loyalty_rule_counters.c.user_id == user_id,
    ]
    while quantity > 0:
        conditions = list(key)
        if limit is not None:
            conditions.append(loyalty_rule_counters.c.issued + quantity <= limit)
        result = await conn.execute(
            update(loyalty_rule_counters).where(*conditions).values(issued=loyalty_rule_counters.c.issued + quantity)
        )
        if result.rowcount:
            return quantity
        current = (await conn.execute(select(loyalty_rule_counters.c.issued).where(*key))).scalar_one()
        assert limit is not None
        quantity = min(quantity - 1, limit - int(current))
    return 0


async def release_issues(conn: AsyncConnection, retailer_id: UUID, rule_id: UUID, user_id: UUID, quantity: int) -> None:
    if quantity <= 0:
        return
    await conn.execute(
        update(loyalty_rule_counters)
        .where(
            loyalty_rule_counters.c.retailer_id == retailer_id,
            loyalty_rule_counters.c.rule_id == rule_id,
            loyalty_rule_counters.c.user_id == user_id,
            loyalty_rule_counters.c.issued >= quantity,
        )
        .values(issued=loyalty_rule_counters.c.issued - quantity)
    )


# ------------------------------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    event_key: str
    kind: str
    user_id: UUID
    effects: list[dict[str, Any]]
    voided_at: datetime | None


async def claim_event(
    conn: AsyncConnection,
    retailer_id: UUID,
    event_key: str,
    kind: str,
    user_id: UUID,
    occurred_at: datetime,
    actor: str,
    now: datetime,
) -> bool:
    """Claim the event key (insert-ignore on the unique key): True for the one caller that applies it.
    A concurrent duplicate waits on the key, then finds it taken; a rolled-back claim frees it."""
    return await insert_ignore(
        conn,
        loyalty_events,
        {
            "retailer_id": retailer_id,
            "event_key": event_key,
            "kind": kind,
            "user_id": user_id,
            "occurred_at": occurred_at,
            "effects": [],
            "actor": actor[:200],
            "created_at": now,
            "voided_at": None,
        },
        ["retailer_id", "event_key"],
    )


# Built once (every rule event saves its effects), run on the driver; the SET column comes from the
# execute parameters.
_SAVE_EFFECTS = Command(
    update(loyalty_events).where(
        loyalty_events.c.retailer_id == bindparam("held_retailer_id"),
        loyalty_events.c.event_key == bindparam("held_event_key"),
    )
)


async def save_effects(conn: AsyncConnection, retailer_id: UUID, event_key: str, effects: list[dict[str, Any]]) -> None:
    parameters = {"held_retailer_id": retailer_id, "held_event_key": event_key, "effects": effects}
    await _SAVE_EFFECTS.run(conn, parameters)


async def get_event(conn: AsyncConnection, retailer_id: UUID, event_key: str) -> EventRow | None:
    row = (
        await conn.execute(
            select(loyalty_events).where(
                loyalty_events.c.retailer_id == retailer_id, loyalty_events.c.event_key == event_key
            )
        )
    ).first()
    if row is None:
        return None
    return EventRow(row.id, row.event_key, row.kind, row.user_id, list(row.effects), row.voided_at)


async def mark_voided(conn: AsyncConnection, retailer_id: UUID, event_key: str, now: datetime) -> bool:
    """True for the one caller that voids the event; a repeat (or a concurrent duplicate) gets False."""
    result = await conn.execute(
        update(loyalty_events)
        .where(
            loyalty_events.c.retailer_id == retailer_id,
            loyalty_events.c.event_key == event_key,
            loyalty_events.c.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    return bool(result.rowcount)


# --------------------------------------------------------------------------------------- issuances


@dataclass(frozen=True, slots=True)
class IssuanceRow:
    user_offer_id: UUID
    rule_id: UUID
    user_id: UUID
    event_key: str
    points_spent: int
    point_account_id: UUID | None


async def record_issuance(
    conn: AsyncConnection,
    retailer_id: UUID,
    issuance: IssuanceRow,
    now: datetime,
) -> None:
    await conn.execute(
        insert(loyalty_rule_issuances).values(
            user_offer_id=issuance.user_offer_id,
            retailer_id=retailer_id,
            rule_id=issuance.rule_id,
            user_id=issuance.user_id,
            event_key=issuance.event_key,
            points_spent=issuance.points_spent,
            point_account_id=issuance.point_account_id,
            created_at=now,
        )
    )


async def issuances_of(conn: AsyncConnection, retailer_id: UUID, event_key: str) -> list[IssuanceRow]:
    rows = await conn.execute(
        select(loyalty_rule_issuances)
        .where(loyalty_rule_issuances.c.retailer_id == retailer_id, loyalty_rule_issuances.c.event_key == event_key)
        .order_by(loyalty_rule_issuances.c.user_offer_id)
    )
    return [
        IssuanceRow(r.user_offer_id, r.rule_id, r.user_id, r.event_key, int(r.points_spent), r.point_account_id)
        for r in rows
    ]


async def save_returned(
    conn: AsyncConnection, retailer_id: UUID, event_key: str, effects: list[dict[str, Any]]
) -> bool:
    """Store a check's effects with what its returns took back, unless it was voided meanwhile."""
    result = await conn.execute(
        update(loyalty_events)
        .where(
            loyalty_events.c.retailer_id == retailer_id,
            loyalty_events.c.event_key == event_key,
            loyalty_events.c.voided_at.is_(None),
        )
        .values(effects=effects)
    )
    return bool(result.rowcount)
