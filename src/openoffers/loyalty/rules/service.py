"""Loyalty rule use cases: create, update, get, list, (de)activate, simulate, and custom events.

Each public function owns exactly one transaction. Rules are validated into the pure core's rules at
write time, so what is stored always runs. `simulate` evaluates in a read-only transaction and applies
nothing; `trigger_event` runs the engine in its write transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import rules
from openoffers.catalog import service as catalog
from openoffers.checks.basket import build_basket, closed_event
from openoffers.checks.schemas import Transaction, loose_id
from openoffers.kit import wire
from openoffers.kit.clock import as_utc, iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import NotFound, OfferNotFound, UserNotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.loyalty.points import repository as points_repo
from openoffers.loyalty.rules import definitions, effects, engine
from openoffers.loyalty.rules import repository as repo
from openoffers.loyalty.rules.repository import RuleRow
from openoffers.loyalty.rules.schemas import (
    CreateRuleRequest,
    CustomEventIn,
    ListRulesRequest,
    NotFiredOut,
    OfferOut,
    OutcomeOut,
    PointsDepositEvent,
    PointsOut,
    PointsThresholdTrigger,
    RuleDefinition,
    RuleList,
    RuleOut,
    RuleRef,
    SimulateRequest,
    TriggerEventRequest,
    UpdateRuleRequest,
)
from openoffers.offers import repository as offers_repo
from openoffers.offers.repository import DELETED
from openoffers.rules.index import event_key
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo
from openoffers.tenancy.repository import Store
from openoffers.wallet import users_repository as users_repo

# ------------------------------------------------------------------------------------------- rules


def _definition_of(request: RuleDefinition) -> RuleDefinition:
    """The definition part of a create or update body."""
    fields = {name: getattr(request, name) for name in RuleDefinition.__struct_fields__}
    return RuleDefinition(**fields)


async def _account(conn: AsyncConnection, retailer_id: UUID, account_id: UUID | None, path: str, now: datetime) -> UUID:
    if account_id is None or account_id == points_repo.default_account_id(retailer_id):
        return (await points_repo.ensure_default_account(conn, retailer_id, now)).id
    if await points_repo.get_account(conn, retailer_id, account_id) is None:
        raise NotFound("point account not found", fields={path: ["not found"]})
    return account_id


def _probe(definition: RuleDefinition) -> RuleDefinition:
    """The definition with a stand-in for each account left to the default, to check its shape alone."""
    if definition.kind == "earn":
        return msgspec.structs.replace(definition, point_account_id=definition.point_account_id or new_id())
    if isinstance(definition.trigger, PointsThresholdTrigger):
        trigger = msgspec.structs.replace(
            definition.trigger, point_account_id=definition.trigger.point_account_id or new_id()
        )
        return msgspec.structs.replace(definition, trigger=trigger)
    return definition


async def problems_of(db: Database, retailer_id: UUID, request: RuleDefinition) -> dict[str, list[str]]:
    """What `create_rule`/`update_rule` would refuse about `request`, by API path; reads only. The admin
    form shows these with its decode problems in one answer: every shape problem `core_of` finds, and
    each object the rule names looked up on its own, so a bad shape and an unknown offer or account are
    reported together."""
    definition = _definition_of(request)
    problems: dict[str, list[str]] = {}
    async with db.read() as conn:
        try:
            definitions.core_of(new_id(), _probe(definition), await engine.exponent_of(conn, retailer_id))
        except ValidationFailed as exc:
            problems = {path: list(messages) for path, messages in (exc.fields or {"": [exc.message]}).items()}
        named: list[tuple[str, UUID | None]] = []
        if definition.kind == "earn":
            named.append(("point_account_id", definition.point_account_id))
        elif isinstance(definition.trigger, PointsThresholdTrigger):
            named.append(("trigger.point_account_id", definition.trigger.point_account_id))
        for path, account_id in named:
            if account_id is None or account_id == points_repo.default_account_id(retailer_id):
                continue  # the default account is made when first needed
            if await points_repo.get_account(conn, retailer_id, account_id) is None:
                problems.setdefault(path, []).append("not found")
        if definition.kind != "earn" and definition.offer_id is not None:
            offer = await offers_repo.get_offer(conn, retailer_id, definition.offer_id)
            if offer is None or offer.status == DELETED:
                problems.setdefault("offer_id", []).append("not found")
    return problems


async def _resolved(
    conn: AsyncConnection, retailer_id: UUID, rule_id: UUID, definition: RuleDefinition, now: datetime
) -> tuple[RuleDefinition, definitions.CoreRule]:
    """The definition with its accounts resolved (the default one when none is named), checked
    against the retailer's objects and turned into the core rule (which validates the rest)."""
    exponent = await engine.exponent_of(conn, retailer_id)
    # Shape first, so a malformed body is VALIDATION (naming every shape problem) before any NOT_FOUND
    # for what it names.
    definitions.core_of(rule_id, _probe(definition), exponent)
    if definition.kind == "earn":
        account = await _account(conn, retailer_id, definition.point_account_id, "point_account_id", now)
        definition = msgspec.structs.replace(definition, point_account_id=account)
    else:
        assert definition.offer_id is not None  # core_of checked it
        offer = await offers_repo.get_offer(conn, retailer_id, definition.offer_id)
        if offer is None or offer.status == DELETED:
            raise OfferNotFound(f"offer {definition.offer_id} not found", fields={"offer_id": ["not found"]})
        if isinstance(definition.trigger, PointsThresholdTrigger):
            account = await _account(
                conn, retailer_id, definition.trigger.point_account_id, "trigger.point_account_id", now
            )
            trigger = msgspec.structs.replace(definition.trigger, point_account_id=account)
            definition = msgspec.structs.replace(definition, trigger=trigger)
    return definition, definitions.core_of(rule_id, definition, exponent)


def _row(
    retailer_id: UUID, rule_id: UUID, definition: RuleDefinition, core: definitions.CoreRule, now: datetime
) -> RuleRow:
    if isinstance(core, rules.EarnRule):
        listens_to, match_key = repo.EARN, core.account_id
    else:
        trigger = core.trigger
        listens_to = trigger.kind
        if isinstance(trigger, rules.OnPointsThreshold):
            match_key = trigger.account_id
        elif isinstance(trigger, rules.OnCustomEvent):
            match_key = event_key(trigger.name)
        else:
            match_key = ""
    account = definition.point_account_id
    if isinstance(definition.trigger, PointsThresholdTrigger):
        account = definition.trigger.point_account_id
    return RuleRow(
        id=rule_id,
        retailer_id=retailer_id,
        name=definition.name.strip(),
        kind=definition.kind,
        listens_to=listens_to,
        match_key=match_key,
        point_account_id=account,
        offer_id=definition.offer_id,
        priority=definition.priority,
        starts_at=core.starts_at,
        ends_at=core.ends_at,
        active=True,
        definition=definitions.stored(definition),
        revision=1,
        created_at=now,
        updated_at=now,
    )


def rule_out(row: RuleRow) -> RuleOut:
    definition = definitions.load(row.definition)
    issuance = definition.kind == "issuance"
    return RuleOut(
        rule_id=row.id,
        kind=row.kind,
        name=row.name,
        active=row.active,
        priority=row.priority,
        starts_at=iso_z(row.starts_at),
        ends_at=iso_z(row.ends_at),
        rate=definition.rate,
        point_account_id=definition.point_account_id,
        multipliers=wire.to_builtins(definition.multipliers, keep_decimals=True),
        offer_id=definition.offer_id,
        trigger=wire.to_builtins(definition.trigger, keep_decimals=True) if definition.trigger else None,
        recurrence=definition.recurrence if issuance else None,
        per_user_cap=definition.per_user_cap,
        revision=row.revision,
        created_at=iso_z(row.created_at) or "",
        updated_at=iso_z(row.updated_at) or "",
    )


def _not_found(rule_id: UUID) -> NotFound:
    return NotFound(f"rule {rule_id} not found", fields={"rule_id": ["not found"]})


def _audit_view(row: RuleRow) -> dict[str, Any]:
    """A rule as the audit log keeps it."""
    return {"name": row.name, "active": row.active, "revision": row.revision, "definition": row.definition}


async def _audit(conn: AsyncConnection, row: RuleRow, action: str, before: RuleRow | None, now: datetime) -> None:
    await audit.record(
        conn,
        retailer_id=row.retailer_id,
        object_type="rule",
        object_id=row.id,
        action=action,
        before=None if before is None else _audit_view(before),
        after=_audit_view(row),
        now=now,
    )


async def create_rule(db: Database, request: CreateRuleRequest, now: datetime) -> RuleOut:
    rule_id = new_id()
    async with db.write() as conn:
        definition, core = await _resolved(conn, request.retailer_id, rule_id, _definition_of(request), now)
        row = _row(request.retailer_id, rule_id, definition, core, now)
        await repo.insert_rule(conn, row)
        await _audit(conn, row, "created", None, now)
    return rule_out(row)


async def update_rule(db: Database, request: UpdateRuleRequest, now: datetime) -> RuleOut:
    """A full replacement of the definition; counters (offers already issued per user) are kept."""
    async with db.write() as conn:
        current = await repo.get_rule(conn, request.retailer_id, request.rule_id)
        if current is None:
            raise _not_found(request.rule_id)
        definition, core = await _resolved(conn, request.retailer_id, current.id, _definition_of(request), now)
        row = _row(request.retailer_id, current.id, definition, core, now)
        await repo.replace_rule(conn, row)
        stored = await repo.get_rule(conn, request.retailer_id, current.id)
        assert stored is not None
        await _audit(conn, stored, "updated", current, now)
    return rule_out(stored)


async def get_rule(db: Database, request: RuleRef) -> RuleOut:
    async with db.read() as conn:
        row = await repo.get_rule(conn, request.retailer_id, request.rule_id)
    if row is None:
        raise _not_found(request.rule_id)
    return rule_out(row)


# The keys `list_rules` sorts by.
SORT_KEYS = frozenset(repo.SORTS)


async def list_rules(db: Database, request: ListRulesRequest, *, sort: str = "created") -> RuleList:
    """A page of rules; `sort` (one of `repository.SORTS`, "-" for descending) is the admin list's, not the API's."""
    async with db.read() as conn:
        total, rows = await repo.list_rules(
            conn,
            request.retailer_id,
            kind=request.kind,
            active=request.active,
            skip=request.skip,
            take=request.take,
            sort=sort,
        )
    return RuleList(total_records=total, results=[rule_out(r) for r in rows])


async def set_active(db: Database, request: RuleRef, active: bool, now: datetime) -> RuleOut:
    """Deactivate (or activate again). Asking for the state a rule is already in changes nothing."""
    async with db.write() as conn:
        before = await repo.get_rule(conn, request.retailer_id, request.rule_id)
        await repo.set_active(conn, request.retailer_id, request.rule_id, active, now)
        row = await repo.get_rule(conn, request.retailer_id, request.rule_id)
        if row is not None and before is not None and before.active != row.active:
            await _audit(conn, row, "activated" if active else "deactivated", before, now)
    if row is None:
        raise _not_found(request.rule_id)
    return rule_out(row)


# ---------------------------------------------------------------------------------- events, output


def outcome_out(user_id: UUID, applied: effects.Applied) -> OutcomeOut:
    names = applied.names
    outcome = applied.outcome

    def name(rule_id: str) -> str:
        return names.get(rule_id, "")

    def points_out(e: rules.EarnPoints | rules.SpendPoints) -> PointsOut:
        return PointsOut(
            rule_id=UUID(e.rule_id), rule_name=name(e.rule_id), point_account_id=UUID(e.account_id), points=e.points
        )

    earned = [points_out(e) for e in outcome.effects if isinstance(e, rules.EarnPoints)]
    spent = [points_out(e) for e in outcome.effects if isinstance(e, rules.SpendPoints)]
    if applied.issues:
        offers = [
            OfferOut(
                rule_id=UUID(i.rule_id),
                rule_name=name(i.rule_id),
                offer_id=UUID(i.offer_id),
                quantity=len(i.user_offer_ids),
                user_offer_ids=list(i.user_offer_ids),
                fail_reason=i.fail_reason,
            )
            for i in applied.issues
        ]
    else:
        offers = [
            OfferOut(rule_id=UUID(e.rule_id), rule_name=name(e.rule_id), offer_id=UUID(e.offer_id), quantity=e.quantity)
            for e in outcome.effects
            if isinstance(e, rules.IssueOffer)
        ]
    return OutcomeOut(
        user_id=user_id,
        applied=applied.applied,
        points_earned=earned,
        points_spent=spent,
        offers=offers,
        not_fired=[
            NotFiredOut(rule_id=UUID(n.rule_id), rule_name=name(n.rule_id), reason=str(n.reason), detail=n.detail)
            for n in outcome.not_fired
        ],
    )


def _properties(properties: dict[str, Any]) -> dict[str, rules.PropertyValue]:
    return {key: definitions.property_value(value, f"properties.{key}") for key, value in properties.items()}


async def trigger_event(db: Database, request: TriggerEventRequest, now: datetime, actor: str) -> OutcomeOut:
    """api/2.0/user_events/trigger: run the custom-event rules of `event_name` for the user."""
    name = request.event_name.strip()
    if not name:
        raise ValidationFailed.field("event_name", "must not be blank")
    occurred_at = as_utc(request.occurred_at) if request.occurred_at is not None else now
    event = rules.CustomEvent.of(str(request.user_id), occurred_at, name, _properties(request.properties))
    async with db.write() as conn:
        applied = await engine.on_custom_event(
            conn, retailer_id=request.retailer_id, event=event, now=now, actor=actor, event_id=request.event_id
        )
    return outcome_out(request.user_id, applied)


# ---------------------------------------------------------------------------------------- simulate


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """A wire time without an offset is the store's local time, as on the POS."""
    return as_utc(value.replace(tzinfo=zone) if value.tzinfo is None else value)


async def closed_check(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_id: UUID,
    store: Store,
    transaction: Transaction,
    exponent: int,
    occurred_at: datetime,
) -> rules.TransactionClosed:
    """A POS check as the rules core sees it: each line's spend after the check's discounts, and the
    catalog's categories merged with the categories the POS sent."""
    item_ids = [loose_id(item.item_id) or "" for item in transaction.items]
    basket = build_basket(transaction, exponent, catalog=await catalog.categories_for(conn, retailer_id, item_ids))
    try:
        return closed_event(
            basket,
            user_id=user_id,
            occurred_at=occurred_at,
            store=store,
            channel=transaction.channel,
            transaction_id=str(transaction.transaction_id).strip(),
        )
    except ValueError as error:
        raise ValidationFailed.field("transaction.items", str(error)) from None


async def simulate(db: Database, request: SimulateRequest, now: datetime) -> OutcomeOut:
    """What the transaction or event would earn and issue for the user now, and why each rule that
    listens to it would not fire (rules outside their dates included, as INACTIVE). Changes nothing."""
    if (request.transaction is None) == (request.event is None):
        raise ValidationFailed.field("transaction", "give exactly one of transaction or event")
    retailer_id, user_id = request.retailer_id, request.user_id
    async with db.read() as conn:
        if await users_repo.get_user(conn, retailer_id, user_id) is None:
            raise UserNotFound("user not found", fields={"user_id": ["not found"]})
        exponent = await engine.exponent_of(conn, retailer_id)
        event: rules.Event
        if request.transaction is not None:
            if request.store_id is None:
                raise ValidationFailed.field("store_id", "is required with a transaction")
            store = await tenancy_repo.get_store(conn, retailer_id, request.store_id)
            if store is None:
                raise NotFound("store not found", fields={"store_id": ["not found"]})
            zone = ZoneInfo(store.timezone)
            when = request.occurred_at or request.transaction.modified_time
            occurred_at = _local(when, zone) if when is not None else now
            event = await closed_check(conn, retailer_id, user_id, store, request.transaction, exponent, occurred_at)
            rows = await engine.rules_for_check(conn, retailer_id, None)
        else:
            occurred_at = as_utc(request.occurred_at) if request.occurred_at is not None else now
            simulated = request.event
            if isinstance(simulated, PointsDepositEvent):
                account = simulated.point_account_id or points_repo.default_account_id(retailer_id)
                if account != points_repo.default_account_id(retailer_id):
                    if await points_repo.get_account(conn, retailer_id, account) is None:
                        raise NotFound("point account not found", fields={"event.point_account_id": ["not found"]})
                event = rules.PointsChanged(str(user_id), occurred_at, str(account), simulated.amount)
                rows = await engine.rules_for_points(conn, retailer_id, account, None)
            elif isinstance(simulated, CustomEventIn):
                name = simulated.event_name.strip()
                if not name:
                    raise ValidationFailed.field("event.event_name", "must not be blank")
                properties = {
                    key: definitions.property_value(value, f"event.properties.{key}")
                    for key, value in simulated.properties.items()
                }
                event = rules.CustomEvent.of(str(user_id), occurred_at, name, properties)
                rows = await engine.rules_for_custom(conn, retailer_id, name, None)
            else:
                event = rules.UserEnrolled(str(user_id), occurred_at)
                rows = await engine.rules_for_enrolment(conn, retailer_id, None)
        closed = await repo.closed_checks(conn, retailer_id, user_id)
        state = await effects.load_state(conn, retailer_id, user_id, rows, closed, exponent)
    outcome = rules.evaluate(event, engine.build_index(rows, exponent), state)
    return outcome_out(user_id, effects.Applied(False, outcome, (), {str(r.id): r.name for r in rows}))
