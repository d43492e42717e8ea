"""Applying a loyalty event's outcome, inside the event's own transaction: the user's state before the
event (balances, rule issue counts) that the pure rules core evaluates against, and the effects it
decides, in order: earn ledger entries, offers issued by rule through the wallet (counted on the rule's
per-user counter, a refusal given back), the points a rule spends on the copies issued, the record of
which rule and event issued each user offer, and the effects as applied stored on the event's row.

`engine.py` claims the event, takes the locks and chooses the rules; this module is what it calls to
read the state and to apply the result (ledger references from `reference` keep a re-application from
posting twice). Every event's user was read by the engine (or its caller) in the same transaction, so
the points posted here do not read the user again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import rules
from openoffers.kit.errors import OfferNotFound
from openoffers.loyalty.points import ledger as points
from openoffers.loyalty.rules import repository as repo
from openoffers.loyalty.rules.repository import RuleRow
from openoffers.wallet.issuance import issue_in
from openoffers.wallet.lifecycle import UserWrite

OFFER_NOT_FOUND = "OFFER_NOT_FOUND"
CAP_REACHED = "CAP_REACHED"


@dataclass(frozen=True, slots=True)
class Issue:
    """What one rule's IssueOffer effect became: the user offers issued, or why some were not."""

    rule_id: str
    offer_id: str
    requested: int
    user_offer_ids: tuple[UUID, ...]
    fail_reason: str | None


@dataclass(frozen=True, slots=True)
class Applied:
    """An event's result. `outcome` holds the effects as applied (an offer refused by issuance
    restrictions is left out of its IssueOffer quantity, and so are the points it would have spent)."""

    applied: bool
    outcome: rules.Outcome = field(default_factory=rules.Outcome)
    issues: tuple[Issue, ...] = ()
    names: dict[str, str] = field(default_factory=dict)


def reference(event_key: str, rule_id: str) -> str:
    """A ledger reference for (event, rule); long keys are hashed to fit the column."""
    text = f"{event_key}|{rule_id}"
    return text if len(text) <= 200 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# -------------------------------------------------------------------------------------------- state


async def load_state(
    conn: AsyncConnection,
    retailer_id: UUID,
    user_id: UUID,
    rows: Sequence[RuleRow],
    closed_checks: int,
    exponent: int,
    *,
    for_update: bool = False,
) -> rules.UserState:
    """The user's state BEFORE the event: balances, the listed rules' issue counts, closed checks.

    Counts are read only for issuance rules with a limit (`_limit`: once, or a per-user cap), the only
    ones the rules core compares them with: a program whose rules issue every time skips the read."""
    balances = await repo.balances(conn, retailer_id, user_id, for_update=for_update)
    limited = [r.id for r in rows if r.kind == "issuance" and _limit(r) is not None]
    issued = await repo.issued_counts(conn, retailer_id, user_id, limited)
    return rules.UserState.of(
        {str(account): rules.Balance(available, lifetime) for account, (available, lifetime) in balances.items()},
        {str(rule_id): count for rule_id, count in issued.items()},
        closed_checks,
        exponent,
    )


# ----------------------------------------------------------------------------------------- applying


def _limit(row: RuleRow) -> int | None:
    """The most offers the rule may ever have issued to one user."""
    definition = row.definition
    limits = [1] if definition.get("recurrence", "once") == "once" else []
    if definition.get("per_user_cap") is not None:
        limits.append(int(definition["per_user_cap"]))
    return min(limits) if limits else None


async def _issue(
    w: UserWrite, *, row: RuleRow, effect: rules.IssueOffer, spend: rules.SpendPoints | None, event_key: str
) -> tuple[Issue, rules.SpendPoints | None]:
    """Issue what one rule decided: count it on the rule's counter (conditionally), issue through the
    wallet, give back the count of copies the offer's own restrictions refused, spend only for the
    copies issued, and record which rule and event issued each."""
    conn, retailer_id, user_id, now, actor = w.conn, w.retailer_id, w.user_id, w.now, w.actor
    rid = effect.rule_id
    counted = await repo.claim_issues(conn, retailer_id, row.id, user_id, effect.quantity, _limit(row))
    if counted == 0:
        return Issue(rid, effect.offer_id, effect.quantity, (), CAP_REACHED), None
    fail_reason: str | None = None
    try:
        results = await issue_in(
            w,
            offer_id=UUID(effect.offer_id),
            quantity=counted,
            source="rule",
            reason=f"rule: {row.name}" if row.name else "loyalty rule",
            detail={"rule_id": rid, "event": event_key},
        )
    except OfferNotFound:
        # A rule whose offer was deleted must not fail the check or deposit that fired it.
        results, fail_reason = [], OFFER_NOT_FOUND
    ids = tuple(r.user_offer_id for r in results if r.user_offer_id is not None)
    fail_reason = fail_reason or next((r.fail_reason for r in results if r.fail_reason), None)
    if counted < effect.quantity:
        fail_reason = fail_reason or CAP_REACHED
    await repo.release_issues(conn, retailer_id, row.id, user_id, counted - len(ids))
    per_offer = spend.points // effect.quantity if spend is not None else 0
    spent: rules.SpendPoints | None = None
    if spend is not None and ids:
        amount = per_offer * len(ids)
        await points.post(
            conn,
            retailer_id=retailer_id,
            user_id=user_id,
            account_id=UUID(spend.account_id),
            kind="spend",
            amount=amount,
            now=now,
            actor=actor,
            reason=f"rule: {row.name}" if row.name else "loyalty rule",
            reference_id=reference(event_key, rid),
            detail={"rule_id": rid, "event": event_key, "offers": len(ids)},
        )
        spent = rules.SpendPoints(spend.account_id, amount, rid)
    for user_offer_id in ids:
        await repo.record_issuance(
            conn,
            retailer_id,
            repo.IssuanceRow(
                user_offer_id=user_offer_id,
                rule_id=row.id,
                user_id=user_id,
                event_key=event_key,
                points_spent=per_offer,
                point_account_id=UUID(spend.account_id) if spend is not None else None,
            ),
            now,
        )
    return Issue(rid, effect.offer_id, effect.quantity, ids, fail_reason), spent


def _lines_of(lines: dict[str, dict[str, str]], rule_id: str) -> dict[str, Any]:
    return {"lines": lines[rule_id]} if rule_id in lines else {}


def _effect_json(effect: rules.Effect, issue: Issue | None = None) -> dict[str, Any]:
    if isinstance(effect, rules.EarnPoints):
        return {"type": "earn", "rule_id": effect.rule_id, "account_id": effect.account_id, "points": effect.points}
    if isinstance(effect, rules.SpendPoints):
        return {"type": "spend", "rule_id": effect.rule_id, "account_id": effect.account_id, "points": effect.points}
    data: dict[str, Any] = {
        "type": "issue",
        "rule_id": effect.rule_id,
        "offer_id": effect.offer_id,
        "quantity": effect.quantity,
    }
    if issue is not None:
        data["user_offer_ids"] = [str(i) for i in issue.user_offer_ids]
        data["fail_reason"] = issue.fail_reason
    return data


async def apply(
    w: UserWrite,
    *,
    event_key: str,
    rows: Sequence[RuleRow],
    outcome: rules.Outcome,
    lines: dict[str, dict[str, str]] | None = None,
    balances_read: frozenset[str] = frozenset(),
) -> Applied:
    """Apply an evaluated outcome in order to `w`'s customer, and store what was applied on the event's row.
    `lines` (a closed check's) holds each earn rule's exact points per line ("n/d" text): stored with the
    earn effect on the event's row, so a return takes back what the returned lines earned.
    `balances_read`: the accounts whose balance row the caller read in this transaction (`load_state`)."""
    lines = lines or {}
    conn, retailer_id, user_id, now, actor = w.conn, w.retailer_id, w.user_id, w.now, w.actor
    by_id = {str(r.id): r for r in rows}
    names = {str(r.id): r.name for r in rows}
    applied: list[rules.Effect] = []
    stored: list[dict[str, Any]] = []
    issues: list[Issue] = []
    pending: dict[str, rules.SpendPoints] = {}
    for effect in outcome.effects:
        if isinstance(effect, rules.EarnPoints):
            await points.post(
                conn,
                retailer_id=retailer_id,
                user_id=user_id,
                account_id=UUID(effect.account_id),
                kind="earn",
                amount=effect.points,
                now=now,
                actor=actor,
                reason=f"rule: {names[effect.rule_id]}" if names[effect.rule_id] else "loyalty rule",
                reference_id=reference(event_key, effect.rule_id),
                detail={"rule_id": effect.rule_id, "event": event_key},
                balance_read=effect.account_id in balances_read,
            )
            applied.append(effect)
            stored.append({**_effect_json(effect), **_lines_of(lines, effect.rule_id)})
        elif isinstance(effect, rules.SpendPoints):
            # Paid when the same rule's offers are issued (next effect), for the copies issued only.
            pending[effect.rule_id] = effect
        else:
            issue, spent = await _issue(
                w,
                row=by_id[effect.rule_id],
                effect=effect,
                spend=pending.pop(effect.rule_id, None),
                event_key=event_key,
            )
            issues.append(issue)
            if spent is not None:
                applied.append(spent)
                stored.append(_effect_json(spent))
            if issue.user_offer_ids:
                done = rules.IssueOffer(effect.offer_id, effect.rule_id, len(issue.user_offer_ids))
                applied.append(done)
                stored.append(_effect_json(done, issue))
            elif issue.fail_reason:
                stored.append({**_effect_json(effect, issue), "quantity": 0})
    await repo.save_effects(conn, retailer_id, event_key, stored)
    return Applied(True, rules.Outcome(tuple(applied), outcome.not_fired), tuple(issues), names)
