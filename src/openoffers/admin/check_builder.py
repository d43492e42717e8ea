"""The check builder of the offer preview: a check typed by hand (store, channel, day and time, an
optional customer, up to `LINES` lines) read from a submission, and what an offer gave on it, ready for
the page. The offer's page previews its saved terms with it (`preview_pages.preview_page`, a GET) and
the offer form its unsaved values (`preview_pages`' POST routes); both price through `pos.preview`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from openoffers.admin import describe
from openoffers.catalog import browse as catalog
from openoffers.checks.schemas import Transaction
from openoffers.context import AppContext
from openoffers.kit.money import to_decimal
from openoffers.pricing import Discount, Ineligible, Reason
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.repository import Retailer, Store
from openoffers.wallet import service as wallet
from openoffers.wallet.schemas import UserOut

LINES = 5
NO_LINES = "Add at least one line with an item and a price."

REASONS: dict[Reason, str] = {
    Reason.STORE_NOT_ELIGIBLE: "It does not apply at this store.",
    Reason.CHANNEL_NOT_ELIGIBLE: "It does not apply on this channel.",
    Reason.OUTSIDE_VALID_TIME: "It does not apply at this day or time.",
    Reason.MIN_SUBTOTAL_NOT_MET: "The check does not reach the minimum amount.",
    Reason.MIN_QUANTITY_NOT_MET: "The check does not have enough qualifying items.",
    Reason.REQUIRED_ITEMS_MISSING: "An item the offer requires is not on the check.",
    Reason.NO_ELIGIBLE_ITEMS: "No item on the check is one the offer discounts.",
    Reason.USE_LIMIT_REACHED: "This customer has already used it as often as the offer allows in its period.",
    Reason.NOT_STACKABLE: "It cannot be combined with a discount already on the check.",
}

Value = Callable[[str], str]  # a submitted value by input name, "" when absent


@dataclass
class TypedCheck:
    """The check as typed, and the problems found in it (nothing is priced while there are any)."""

    stores: list[Store]
    store: Store | None
    channel: str
    at_text: str  # the retailer's local time, as the datetime-local input shows it
    customer_text: str
    customer: UserOut | None
    rows: list[dict[str, str]]  # every line as typed, blank ones too (the inputs show them)
    lines: list[dict[str, str]]  # the lines to price
    problems: list[str] = field(default_factory=list)

    def ready(self) -> bool:
        """Whether there is a check to price; when there are no lines, that is one more problem."""
        if not self.lines and NO_LINES not in self.problems:
            self.problems.append(NO_LINES)
        return not self.problems and self.store is not None

    def call(self, now: datetime) -> dict[str, Any]:
        """The arguments `pos.preview` takes for this check (when `ready`)."""
        assert self.store is not None
        body = {"transaction_id": "preview", "channel": self.channel or None, "items": self.lines}
        return {
            "store_id": self.store.id,
            "transaction": msgspec.convert(body, Transaction, strict=False),
            "at": _moment(self.at_text, self.store.timezone, now),
            "user_id": self.customer.user_id if self.customer else None,
        }


def _lines(value: Value) -> tuple[list[dict[str, str]], list[dict[str, str]], list[str]]:
    """Every line as typed, the lines to price (empty rows left out), and the problems found in them."""
    rows, lines, problems = [], [], []
    for n in range(LINES):
        item = value(f"item_{n}").strip()[:100]
        price = value(f"price_{n}").strip()[:20]
        quantity = (value(f"qty_{n}") or "1").strip()[:10]
        rows.append({"item": item, "price": price, "qty": quantity})
        quantity = quantity or "1"
        if not item and not price:
            continue
        try:
            if Decimal(price or "x") < 0 or Decimal(quantity) <= 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"Line {n + 1}: give a price of 0 or more and a quantity above 0.")
            continue
        lines.append({"line_id": str(n), "item_id": item, "unit_price": price, "quantity": quantity})
    return rows, lines, problems


def _moment(text: str, timezone: str, now: datetime) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return now


async def read_check(ctx: AppContext, retailer: Retailer, value: Value) -> TypedCheck:
    """The check the builder's inputs describe (a blank builder: the first store, now, no lines)."""
    stores = await tenancy.list_stores(ctx.db, retailer.id)
    store = next((s for s in stores if str(s.id) == value("store")), stores[0] if stores else None)
    local_now = ctx.clock().astimezone(ZoneInfo(retailer.timezone)).strftime("%Y-%m-%dT%H:%M")
    rows, lines, problems = _lines(value)
    check = TypedCheck(
        stores=stores,
        store=store,
        channel=(value("channel") or "STORE").strip()[:50],
        at_text=(value("at") or local_now)[:16],
        customer_text=value("customer").strip()[:320],
        customer=None,
        rows=rows,
        lines=lines,
        problems=problems,
    )
    if check.customer_text:
        found = await wallet.search_users(ctx.db, retailer.id, check.customer_text, limit=2)
        if len(found) == 1:
            check.customer = found[0]
        else:
            problems.append("No single customer has that id, email or phone." if not found else "Several match.")
    if store is None:
        problems.append("Create a store first: an offer is always priced at a store.")
    return check


@dataclass(frozen=True)
class CheckView:
    """What the builder and its result show."""

    check: TypedCheck
    result: Discount | Ineligible | None
    reason: str  # why it would not apply, in words ("" when it applies or was not priced)
    names: dict[str, str]  # catalog names of the lines' items
    shares: dict[str, Any]  # line id -> its share of the discount
    amount: Callable[[int], str]  # minor units -> money in the retailer's currency
    ran: bool


async def check_view(
    ctx: AppContext, retailer: Retailer, check: TypedCheck, result: Discount | Ineligible | None, *, ran: bool
) -> CheckView:
    names = await catalog.names_of(ctx.db, retailer.id, [line["item_id"] for line in check.lines])
    return CheckView(
        check=check,
        result=result,
        reason=REASONS.get(result.reason, result.detail) if isinstance(result, Ineligible) else "",
        names=names,
        shares={s.line_id: s for s in result.line_shares} if isinstance(result, Discount) else {},
        amount=lambda minor: describe.money(to_decimal(minor, retailer.exponent), retailer.currency),
        ran=ran,
    )


def blank_value(_: str) -> str:
    return ""
