"""The loyalty engine: runs the pure rules core (`openoffers.rules`) on an event inside the caller's
transaction and applies its effects there (earn and spend ledger entries, offers issued by rule). This
module claims the event, takes the locks and chooses the rules the event can fire; loading the user's
state and applying the outcome are in `effects.py`.

Entry points, each called inside the write transaction of the event that fires the rules:
- `on_transaction_closed` / `on_transaction_voided`: the POS's send_transaction;
- `deposit_earned`: api/2.0/user_points/deposit (kind earn) with its threshold rules;
- `on_user_enrolled`: user creation; `on_custom_event`: api/2.0/user_events/trigger.

Exactly once: every event is claimed by a key (`check:{store}:{transaction}`, `deposit:{entry}`,
`enrolled:{user}`, `custom:{user}:{event_id}`) with an insert-ignore on a unique key before any work, in
the event's own transaction. A duplicate (concurrent or later) finds the key taken and changes nothing;
a rolled-back event releases it with everything else. Ledger entries carry references derived from the
event key and the rule id, so even a second application could not post twice.

Lock order (extends the wallet's, so nothing can deadlock on PostgreSQL): the user's offers (expiry),
the event key, the user's loyalty row (serializes the user's rule events, so the balances read next are
the ones the effects apply to), the user's point balances, then issuance's own order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import rules
from openoffers.kit.errors import UserNotFound
from openoffers.kit.ids import new_id
from openoffers.loyalty.points import ledger as points
from openoffers.loyalty.rules import clawback, definitions
from openoffers.loyalty.rules import repository as repo
from openoffers.loyalty.rules.effects import Applied, apply, load_state, reference
from openoffers.loyalty.rules.repository import RuleRow
from openoffers.rules.index import event_key as custom_event_key
from openoffers.tenancy import repository as tenancy_repo
from openoffers.wallet import lifecycle
from openoffers.wallet import users_repository as users_repo
from openoffers.wallet.lifecycle import UserWrite

VOID_REASON = "check voided"


def check_key(transaction_id: str) -> str:
    return f"check:{transaction_id}"


# ------------------------------------------------------------------------------------------ loading


async def exponent_of(conn: AsyncConnection, retailer_id: UUID) -> int:
    return (await tenancy_repo.require_retailer(conn, retailer_id)).exponent


async def rules_for_check(conn: AsyncConnection, retailer_id: UUID, at: datetime | None) -> list[RuleRow]:
    """Earn rules, transaction-closed and visit-count rules, and the threshold rules of the accounts
    the earn rules pay into: what a closed check can fire, and nothing else (one query)."""
    return await repo.listening_to_check(conn, retailer_id, at)


async def rules_for_points(
    conn: AsyncConnection, retailer_id: UUID, account_id: UUID, at: datetime | None
) -> list[RuleRow]:
    return await repo.listening(conn, retailer_id, [(repo.THRESHOLD, str(account_id))], at)


async def rules_for_enrolment(conn: AsyncConnection, retailer_id: UUID, at: datetime | None) -> list[RuleRow]:
    return await repo.listening(conn, retailer_id, [(repo.ENROLLED, None)], at)


async def rules_for_custom(conn: AsyncConnection, retailer_id: UUID, name: str, at: datetime | None) -> list[RuleRow]:
    return await repo.listening(conn, retailer_id, [(repo.CUSTOM, custom_event_key(name))], at)


def _cores(rows: Sequence[RuleRow], exponent: int) -> tuple[list[rules.EarnRule], list[rules.IssuanceRule]]:
    earn: list[rules.EarnRule] = []
    issuance: list[rules.IssuanceRule] = []
    for row in rows:
        core = definitions.cached_core(row.id, row.revision, row.definition, exponent)
        if isinstance(core, rules.EarnRule):
            earn.append(core)
        else:
            issuance.append(core)
    return earn, issuance


def build_index(rows: Sequence[RuleRow], exponent: int) -> rules.RuleIndex:
    earn, issuance = _cores(rows, exponent)
    return rules.RuleIndex(earn, issuance)


def _earned_lines(
    rows: Sequence[RuleRow], event: rules.Event, outcome: rules.Outcome, exponent: int
) -> dict[str, dict[str, str]]:
    """For a closed check, each earning rule's exact points per line, stored with its earn effect so a
    return can take back exactly what the returned lines earned (`returns.py`)."""
    if not isinstance(event, rules.TransactionClosed):
        return {}
    earning = {e.rule_id for e in outcome.effects if isinstance(e, rules.EarnPoints)}
    if not earning:
        return {}
    earn, _ = _cores(rows, exponent)
    return {
        rule.rule_id: {
            line: rules.fraction_text(value) for line, value in rules.line_points(rule, event, exponent).items()
        }
        for rule in earn
        if rule.rule_id in earning
    }


async def _begin(conn: AsyncConnection, retailer_id: UUID, user_id: UUID, now: datetime, actor: str) -> UserWrite:
    """The user must exist; their due expiries are recorded first (the first step of the lock order)."""
    if await users_repo.get_user(conn, retailer_id, user_id) is None:
        raise UserNotFound("user not found", fields={"user_id": ["not found"]})
    return await lifecycle.begin_user_write(conn, retailer_id, user_id, now, actor)


async def _run(
    w: UserWrite, *, event: rules.Event, event_key: str, rows: Sequence[RuleRow], state: rules.UserState, exponent: int
) -> Applied:
    outcome = rules.evaluate(event, build_index(rows, exponent), state)
    lines = _earned_lines(rows, event, outcome, exponent)
    read = frozenset(account for account, _ in state.balances)
    return await apply(w, event_key=event_key, rows=rows, outcome=outcome, lines=lines, balances_read=read)


async def _fire(
    w: UserWrite,
    event: rules.Event,
    key: str,
    kind: str,
    listening: Callable[[], Awaitable[list[RuleRow]]],
    *,
    visits: int = 0,
    exponent: int | None = None,
) -> Applied:
    """The sequence every entry point runs, in the lock order: claim the event once (a repeat changes
    nothing), lock the customer's loyalty row (counting a visit for a check), read the rules that
    listen, load the customer's state, evaluate and apply."""
    if not await repo.claim_event(w.conn, w.retailer_id, key, kind, w.user_id, event.occurred_at, w.actor, w.now):
        return Applied(False)
    closed_before = await repo.lock_user(w.conn, w.retailer_id, w.user_id, w.now, visits=visits)
    if exponent is None:
        exponent = await exponent_of(w.conn, w.retailer_id)
    rows = await listening()
    state = await load_state(w.conn, w.retailer_id, w.user_id, rows, closed_before, exponent, for_update=True)
    return await _run(w, event=event, event_key=key, rows=rows, state=state, exponent=exponent)


# ------------------------------------------------------------------------------------ entry points


async def apply_check(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    event: rules.TransactionClosed,
    now: datetime,
    actor: str,
    write: UserWrite | None = None,
    exponent: int | None = None,
) -> Applied:
    """`on_transaction_closed` with the details (user offers issued, refusals) for callers that show them."""
    if not event.transaction_id:
        raise ValueError("a closed check needs its transaction_id ('{store_id}:{transaction_id}')")
    user_id = UUID(event.user_id)
    key = check_key(event.transaction_id)
    w = write if write is not None else await _begin(conn, retailer_id, user_id, now, actor)

    async def listening() -> list[RuleRow]:
        return await rules_for_check(conn, retailer_id, event.occurred_at)

    return await _fire(w, event, key, "transaction_closed", listening, visits=1, exponent=exponent)


async def on_transaction_closed(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    event: rules.TransactionClosed,
    now: datetime,
    actor: str,
    write: UserWrite | None = None,
    exponent: int | None = None,
) -> rules.Outcome:
    """Earn points and issue offers for a closed check, in the caller's transaction.

    `event.transaction_id` is "{store_id}:{transaction_id}" and `event.user_id` the customer's id. The
    same check again (concurrently or later) changes nothing and returns an empty Outcome. Returns the
    effects as applied and why each evaluated rule did not fire. The user must exist (USER_NOT_FOUND).

    A caller that already read the customer and began their write in this transaction passes that
    `write` (the POS's close does both with reads it needs anyway), and may pass the retailer's
    currency `exponent` it already has: neither is read again."""
    applied = await apply_check(
        conn,
        retailer_id=retailer_id,
        event=event,
        now=now,
        actor=actor,
        write=write,
        exponent=exponent,
    )
    return applied.outcome


async def on_transaction_voided(
    conn: AsyncConnection, *, retailer_id: UUID, user_id: UUID, transaction_id: str, now: datetime, actor: str
) -> None:
    """Undo what a closed check did, once: reverse exactly the points it still holds (earned, less what
    returns took back; ledger `reverse` entries, as far as the retailer's clawback choice allows),
    revoke the user offers its rules issued that are still Issued or Locked (event `revoked`, reason
    "check voided"), give back the points a rule spent on each offer revoked, take the visit back, and
    count the revoked offers off their rules' counters. A check never seen does nothing."""
    key = check_key(transaction_id)
    stored = await repo.get_event(conn, retailer_id, key)
    if stored is None or stored.voided_at is not None:
        return
    customer = stored.user_id  # the check's own customer (the caller's user_id is the same by contract)
    w = await lifecycle.begin_user_write(conn, retailer_id, customer, now, actor)
    if not await repo.mark_voided(conn, retailer_id, key, now):
        return
    await repo.lock_user(conn, retailer_id, customer, now, visits=-1)
    # What the check still holds: returns (loyalty/rules/returns.py) took the rest back already.
    earned = [
        rules.EarnPoints(e["account_id"], held, e["rule_id"])
        for e in stored.effects
        if e["type"] == "earn" and (held := int(e["points"]) - int(e.get("returned", 0))) > 0
    ]
    # What returns already counted as expired, per rule (clawback.take_back).
    expired = {str(e["rule_id"]): int(e.get("expired", 0)) for e in stored.effects if e["type"] == "earn"}
    detail = {"event": key, "transaction_id": transaction_id}
    floor = earned != [] and await clawback.policy_of(conn, retailer_id) == clawback.FLOOR
    for reverse in rules.reverse_earnings(earned):
        await clawback.take_back(
            conn,
            retailer_id=retailer_id,
            user_id=customer,
            account_id=UUID(reverse.account_id),
            kind="reverse",
            due=reverse.points,
            floor=floor,
            now=now,
            actor=actor,
            reason=VOID_REASON,
            reference_id=reference(key, reverse.rule_id),
            earned_reference=reference(key, reverse.rule_id),
            expired_before=expired.get(reverse.rule_id, 0),
            detail={**detail, "rule_id": reverse.rule_id},
        )
    refunds: dict[tuple[UUID, UUID], int] = {}
    for issuance in await repo.issuances_of(conn, retailer_id, key):
        revoked = {**detail, "rule_id": str(issuance.rule_id)}
        if await lifecycle.revoke(w, issuance.user_offer_id, VOID_REASON, revoked):
            await repo.release_issues(conn, retailer_id, issuance.rule_id, customer, 1)
            if issuance.points_spent and issuance.point_account_id is not None:
                slot = (issuance.rule_id, issuance.point_account_id)
                refunds[slot] = refunds.get(slot, 0) + issuance.points_spent
    for (rule_id, account_id), amount in sorted(refunds.items()):
        await points.post(
            conn,
            retailer_id=retailer_id,
            user_id=customer,
            account_id=account_id,
            kind="adjust",
            amount=amount,
            now=now,
            actor=actor,
            reason=f"{VOID_REASON}: points spent on a revoked offer returned",
            reference_id=reference(key, str(rule_id)),
            detail={**detail, "rule_id": str(rule_id)},
        )


async def deposit_earned(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    user_id: UUID,
    account_id: UUID | None,
    amount: int,
    now: datetime,
    actor: str,
    reason: str = "",
    reference_id: str | None = None,
) -> tuple[points.Posted, Applied]:
    """Deposit earned points and run the account's threshold rules in the same transaction. A repeated
    `reference_id` (not applied again) fires nothing."""
    w = await _begin(conn, retailer_id, user_id, now, actor)
    account = await points.resolve_account(conn, retailer_id, account_id, now)
    rows = await rules_for_points(conn, retailer_id, account.id, now)

    async def post() -> points.Posted:
        return await points.post(
            conn,
            retailer_id=retailer_id,
            user_id=user_id,
            account_id=account.id,
            kind="earn",
            amount=amount,
            now=now,
            actor=actor,
            reason=reason,
            reference_id=reference_id,
        )

    if not rows:
        return await post(), Applied(False)
    closed_checks = await repo.lock_user(conn, retailer_id, user_id, now)
    exponent = await exponent_of(conn, retailer_id)
    state = await load_state(conn, retailer_id, user_id, rows, closed_checks, exponent, for_update=True)
    posted = await post()
    if not posted.applied:
        return posted, Applied(False)
    key = f"deposit:{posted.entry_id}"
    await repo.claim_event(conn, retailer_id, key, "points_deposit", user_id, now, actor, now)
    event = rules.PointsChanged(str(user_id), now, str(account.id), amount)
    applied = await _run(
        w,
        event=event,
        event_key=key,
        rows=rows,
        state=state,
        exponent=exponent,
    )
    return posted, applied


async def on_user_enrolled(
    conn: AsyncConnection, *, retailer_id: UUID, user_id: UUID, now: datetime, actor: str
) -> Applied:
    """Run the enrolment (welcome) rules for a user just created in this transaction."""
    rows = await rules_for_enrolment(conn, retailer_id, now)
    if not rows:
        return Applied(False)
    w = await _begin(conn, retailer_id, user_id, now, actor)

    async def listening() -> list[RuleRow]:
        return rows  # read first above: no enrolment rules, no work at all

    return await _fire(w, rules.UserEnrolled(str(user_id), now), f"enrolled:{user_id}", "user_enrolled", listening)


async def on_custom_event(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    event: rules.CustomEvent,
    now: datetime,
    actor: str,
    event_id: str | None = None,
) -> Applied:
    """Run the custom-event rules of `event.name`. With an `event_id` the event is applied once per
    (user, event_id); without one every call is a new event."""
    user_id = UUID(event.user_id)
    key = f"custom:{user_id}:{event_id if event_id is not None else new_id()}"
    w = await _begin(conn, retailer_id, user_id, now, actor)

    async def listening() -> list[RuleRow]:
        return await rules_for_custom(conn, retailer_id, event.name, event.occurred_at)

    return await _fire(w, event, key, "custom_event", listening)
