"""Returns (SessionM's documented flow): the POS sends a closed check again, with a later
`modified_time` and only the items the customer keeps. OpenOffers answers OK and takes back the points
the returned units earned; the POS reinstates (api/2.0/reinstate) an offer that no longer applies.

What counts as a return: every line sent is a line the check closed with (same item, unit price and
parent line), with at most the quantity it still has. A line left out is returned whole; a smaller
quantity returns the difference (2 of 3 units). Each line keeps the smaller of what it still has and
what is sent, so a return sent twice, or racing another till's return of the same check, takes each
unit back once, and a late retry of the original close changes nothing. A line added, grown back, or
changed is `TRANSACTION_CLOSED`, as any other change to a closed check.

Every change to a closed check is a version (`pos_check_versions`): 1 as it closed (copied from the
stored check when the first change comes, so closing writes nothing more), then each return and the
void. The points are the loyalty side's (`loyalty.rules.returns`). A voided check gave everything back, so
a return sent after the void is `TRANSACTION_CLOSED` and changes nothing.

Concurrency: the caller (`checks.send_in`) holds the check's row, so versions of one check are written
one at a time, and the return reads the latest one under that lock.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import pricing
from openoffers.checks.basket import build_basket
from openoffers.checks.schemas import Transaction
from openoffers.kit import wire
from openoffers.kit.errors import TransactionClosed
from openoffers.loyalty.rules import returns as loyalty_returns
from openoffers.pos import check_events
from openoffers.pos import check_versions as store
from openoffers.pos import repository as repo
from openoffers.pos.check_versions import Version
from openoffers.pos.repository import CheckRow
from openoffers.pos.scope import Scope

CLOSED, RETURNED, VOIDED = "closed", "returned", "voided"
_ONE = Fraction(1)


def _lines(transaction: Transaction, exponent: int) -> dict[str, pricing.Line]:
    return {line.line_id: line for line in build_basket(transaction, exponent).lines}


def _quantities(lines: dict[str, pricing.Line]) -> dict[str, str]:
    return {line_id: str(line.quantity) for line_id, line in lines.items()}


async def _history(conn: AsyncConnection, scope: Scope, check: CheckRow) -> tuple[list[Version], bool]:
    """The check's versions, oldest first, and whether version 1 (as it closed) is still to be written:
    it is built from the stored check, which the first change is about to overwrite."""
    found = await store.versions(conn, scope.retailer_id, check.id)
    if found:
        return found, False
    stored = await store.stored_check(conn, scope.retailer_id, check.id)
    closed = _lines(wire.convert(stored.check, Transaction), scope.exponent)
    first = Version(
        1, CLOSED, stored.content_hash, stored.check, _quantities(closed), [], stored.closed_at or scope.now
    )
    return [first], True


async def _record(conn: AsyncConnection, scope: Scope, check: CheckRow, history: list[Version], new: bool) -> None:
    """Write the versions not yet stored: version 1 when `new`, and always the last one."""
    pending = history if new else history[-1:]
    for version in pending:
        await store.insert_version(conn, scope.retailer_id, check.id, version)


def _kept(quantities: dict[str, Decimal], closed: dict[str, Decimal]) -> dict[str, Fraction]:
    """Each line's share of the units it closed with that the check still has."""
    return {
        line_id: Fraction(quantities.get(line_id, Decimal(0))) / Fraction(total) if total > 0 else _ONE
        for line_id, total in closed.items()
    }


def _decimal_map(quantities: dict[str, str]) -> dict[str, Decimal]:
    return {line_id: Decimal(text) for line_id, text in quantities.items()}


async def return_in(
    conn: AsyncConnection, scope: Scope, check: CheckRow, transaction: Transaction, content: dict[str, Any]
) -> None:
    """A closed check sent again with other content: a return (points taken back, a version recorded,
    the check stored as sent), the same lines again (OK, nothing changes), or `TRANSACTION_CLOSED`.

    This is the one place a return happens, so its `transaction.returned` event is written here, beside
    the version it describes."""
    refused = f"transaction {check.transaction_id} is closed; it cannot change"
    if check.is_voided or transaction.is_voided or not transaction.is_closed:
        # A voided check gave everything back: there is no sale left to return from.
        raise TransactionClosed(refused)
    history, new = await _history(conn, scope, check)
    closed_lines = _lines(wire.convert(history[0].check, Transaction), scope.exponent)
    sent = _lines(transaction, scope.exponent)
    for index, (line_id, line) in enumerate(sent.items()):
        original = closed_lines.get(line_id)
        if original is None or (original.item_id, original.unit_price, original.modifies_line_id) != (
            line.item_id,
            line.unit_price,
            line.modifies_line_id,
        ):
            raise TransactionClosed(
                f"{refused}, except by returning lines: line {line_id} is not a line it closed with",
                fields={f"request_payload.items[{index}]": ["not a line of the closed check"]},
            )
    closed = _decimal_map(history[0].quantities)
    before = _decimal_map(history[-1].quantities)
    after = {
        line_id: min(left, sent[line_id].quantity) if line_id in sent else Decimal(0)
        for line_id, left in before.items()
    }
    if after == before:
        return  # nothing more is returned: a retry, a late copy of an earlier version, or the same lines
    version = history[-1].version + 1
    taken: tuple[loyalty_returns.TakenBack, ...] = ()
    if check.user_id is not None:
        taken = await loyalty_returns.on_transaction_returned(
            conn,
            retailer_id=scope.retailer_id,
            transaction_id=f"{scope.store.id}:{check.transaction_id}",
            kept_before=_kept(before, closed),
            kept_after=_kept(after, closed),
            version=version,
            now=scope.now,
            actor=scope.actor,
        )
    returned = Version(
        version,
        RETURNED,
        content["content_hash"],
        content["check"],
        {line_id: str(quantity) for line_id, quantity in after.items()},
        [t.as_json() for t in taken],
        scope.now,
    )
    await _record(conn, scope, check, [*history, returned], new)
    await repo.update_check(conn, scope.retailer_id, check.id, content)
    await check_events.publish_returned(
        conn, scope, check.transaction_id, check.user_id, version, returned.quantities, returned.points, content
    )


async def record_void(conn: AsyncConnection, scope: Scope, check: CheckRow, content: dict[str, Any]) -> None:
    """A closed check voided: its last version, with the quantities it held when voided."""
    history, new = await _history(conn, scope, check)
    last = history[-1]
    voided = Version(
        last.version + 1, VOIDED, content["content_hash"], content["check"], last.quantities, [], scope.now
    )
    await _record(conn, scope, check, [*history, voided], new)
