"""Returns: the points a closed check's returned lines earned, taken back line by line.

At close, each earn rule's effect stores every line's exact points under that rule, multipliers
included (`engine._earned_lines`). A return says how much of each line the check still has (`kept`,
a share from 0 to 1 of the units it closed with); for each rule the check then keeps
`rules.kept_points` (the floor, once, of the exact points of what is left), and the difference to what
it held before is taken back with a ledger `return` entry in the caller's transaction. So a return
takes back exactly what the returned units earned, a second return takes back only what the first did
not, and a void afterwards reverses only what the check still holds (`engine.on_transaction_voided`
reads `returned`). Offers the check's rules issued, and its visit, stay: a return is not a void.

Lock order: the caller holds the check's row; then the customer's loyalty row (as every rule event of
theirs), then their balances (`clawback.take_back`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import rules
from openoffers.loyalty.rules import clawback
from openoffers.loyalty.rules import repository as repo
from openoffers.loyalty.rules.effects import reference
from openoffers.loyalty.rules.engine import check_key

RETURN_REASON = "items returned"
_ONE = Fraction(1)


@dataclass(frozen=True, slots=True)
class TakenBack:
    """What one return took back under one earn rule."""

    rule_id: str
    account_id: str
    due: int  # the points the returned units earned (what the check no longer holds)
    points: int  # taken from the balance
    shortfall: int  # not taken: the balance stopped at zero (the retailer's "floor" choice)
    expired: int  # not taken: those points of the earning had already expired (clawback.py)
    lines: dict[str, str]  # line id -> the exact points its returned units earned ("n/d")

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "account_id": self.account_id,
            "due": self.due,
            "points": self.points,
            "shortfall": self.shortfall,
            "expired": self.expired,
            "lines": self.lines,
        }


async def on_transaction_returned(
    conn: AsyncConnection,
    *,
    retailer_id: UUID,
    transaction_id: str,
    kept_before: Mapping[str, Fraction],
    kept_after: Mapping[str, Fraction],
    version: int,
    now: datetime,
    actor: str,
) -> tuple[TakenBack, ...]:
    """Take back what the units returned between `kept_before` and `kept_after` earned, once per
    `version` of the check. `transaction_id` is "{store_id}:{transaction_id}". A check that earned
    nothing, was never seen, or was voided takes nothing back."""
    key = check_key(transaction_id)
    stored = await repo.get_event(conn, retailer_id, key)
    if stored is None or stored.voided_at is not None:
        return ()
    customer = stored.user_id
    await repo.lock_user(conn, retailer_id, customer, now)
    floor = await clawback.policy_of(conn, retailer_id) == clawback.FLOOR
    effects: list[dict[str, Any]] = []
    taken: list[TakenBack] = []
    for effect in stored.effects:
        lines_text = effect.get("lines") if effect.get("type") == "earn" else None
        if not lines_text:  # not an earning, or closed before lines were recorded: nothing to go by
            effects.append(effect)
            continue
        lines = {line_id: Fraction(text) for line_id, text in lines_text.items()}
        returned, expired = int(effect.get("returned", 0)), int(effect.get("expired", 0))
        due = (int(effect["points"]) - returned) - rules.kept_points(lines, kept_after)
        if due <= 0:
            effects.append(effect)
            continue
        rule_id, account_id = str(effect["rule_id"]), str(effect["account_id"])
        returned_lines = {
            line_id: rules.fraction_text(value * (kept_before.get(line_id, _ONE) - kept_after.get(line_id, _ONE)))
            for line_id, value in lines.items()
            if kept_before.get(line_id, _ONE) != kept_after.get(line_id, _ONE)
        }
        result = await clawback.take_back(
            conn,
            retailer_id=retailer_id,
            user_id=customer,
            account_id=UUID(account_id),
            kind="return",
            due=due,
            floor=floor,
            now=now,
            actor=actor,
            reason=RETURN_REASON,
            reference_id=reference(f"{key}|return:{version}", rule_id),
            earned_reference=reference(key, rule_id),
            expired_before=expired,
            detail={
                "event": key,
                "transaction_id": transaction_id,
                "rule_id": rule_id,
                "version": version,
                "lines": returned_lines,
            },
        )
        taken.append(
            TakenBack(rule_id, account_id, due, result.points, result.shortfall, result.expired, returned_lines)
        )
        effects.append({**effect, "returned": returned + due, "expired": expired + result.expired})
    if taken:
        await repo.save_returned(conn, retailer_id, key, effects)
    return tuple(taken)
