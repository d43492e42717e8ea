"""Plain-language labels and an offer's conditions as a customer would read them (presentation only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from openoffers.kit.clock import as_utc
from openoffers.kit.money import currency_exponent
from openoffers.kit.wire import parse_time
from openoffers.offers.schemas import OfferOut
from openoffers.pricing import KINDS, kind_of
from openoffers.wallet.lifecycle import STATUS_NAMES

OFFER_TYPE_LABELS = {offer_type.value: kind.label for offer_type, kind in KINDS.items()}

STATUS_LABELS = {0: "Draft", 1: "Published", 2: "Deactivated", 3: "Deleted"}
PERIOD_UNITS = ("minutes", "hours", "days", "weeks", "months", "years")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def type_label(offer_type: str | None) -> str:
    return OFFER_TYPE_LABELS.get(offer_type or "", "No type yet")


def money(value: Any, currency: str) -> str:
    """`5` USD -> `$5.00`; `5` CHF -> `5.00 CHF`. A value with more decimals than the currency shows as is."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    exponent = currency_exponent(currency)
    quantum = Decimal(1).scaleb(-exponent)
    shown = amount.quantize(quantum) if amount == amount.quantize(quantum) else amount
    text = f"{shown:,f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def percent(value: Any) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}%"
    except InvalidOperation:
        return f"{value}%"


def local_time(value: datetime | str | None, timezone: str) -> str:
    """`2026-07-01T13:00:00Z` -> `Jul 1, 2026, 09:00` in the retailer's time zone."""
    if value is None:
        return ""
    when = parse_time(value) if isinstance(value, str) else value
    local = as_utc(when).astimezone(ZoneInfo(timezone))
    return f"{local:%b} {local.day}, {local.year}, {local:%H:%M}"


def _per(value: Any, unit: str) -> str:
    return f"per {unit[:-1]}" if str(value) == "1" else f"every {value} {unit}"


def _names(values: Sequence[str], names: Mapping[str, str] | None = None) -> str:
    shown = [(names or {}).get(v, v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def discount_summary(offer_type: str | None, config: Mapping[str, Any], currency: str) -> str:
    """What the customer gets, in one sentence."""
    amount = money(config["amount"], currency) if config.get("amount") is not None else "an amount"
    pct = percent(config["percent"]) if config.get("percent") is not None else "a percentage"
    price = money(config["price"], currency) if config.get("price") is not None else "a set price"
    buy, get = config.get("buy_count") or "X", config.get("get_count") or "Y"
    sentence = "No discount type chosen yet"
    if offer_type is not None and offer_type in OFFER_TYPE_LABELS:
        summary = kind_of(offer_type).summary
        sentence = summary.format(amount=amount, percent=pct, price=price, buy=buy, get=get)
    extras = []
    if config.get("max_items"):
        extras.append(f"up to {config['max_items']} item{'' if str(config['max_items']) == '1' else 's'}")
    if config.get("recurrence") and str(config["recurrence"]) != "1":
        extras.append(f"up to {config['recurrence']} times per check")
    if config.get("max_discount"):
        extras.append(f"at most {money(config['max_discount'], currency)} off")
    return sentence + (f" ({'; '.join(extras)})" if extras else "")


def _restriction(kind: str, r: Mapping[str, Any], currency: str, stores: Mapping[str, str]) -> str:
    items = r.get("item_ids") or []
    categories = r.get("category_ids") or []
    things = " or ".join(
        part
        for part in (
            f"items {_names(items)}" if items else "",
            f"categories {_names(categories)}" if categories else "",
        )
        if part
    )
    if kind == "stores":
        where = " or ".join(
            part
            for part in (
                _names(r.get("store_ids") or [], stores),
                f"stores tagged {_names(r.get('store_tags') or [])}" if r.get("store_tags") else "",
            )
            if part
        )
        return f"Not valid at {where}" if r.get("mode") == "exclude" else f"Only at {where}"
    if kind == "items":
        return f"Does not apply to {things}" if r.get("mode") == "exclude" else f"Applies only to {things}"
    if kind == "min_subtotal":
        return f"Minimum spend {money(r.get('amount'), currency)}"
    if kind == "min_quantity":
        return f"Buy at least {r.get('quantity')}" + (f" of {things}" if things else " items")
    if kind == "required_items":
        return f"The check must include {things}"
    if kind == "days_of_week":
        days = [d for d in DAYS if d in (r.get("days") or [])]
        return "On " + _names([d.capitalize() for d in days])
    if kind == "time_of_day":
        return f"Between {r.get('start')} and {r.get('end')} (store time)"
    if kind == "channels":
        return f"Through {_names(r.get('channels') or [])}"
    if kind == "max_uses":
        return f"Up to {r.get('uses')} uses {_per(r.get('period_value'), str(r.get('period_unit')))}"
    if kind == "inventory":
        return f"Limited to {r.get('total')} in total"
    if kind == "per_customer":
        return f"At most {r.get('max')} per customer"
    if kind == "frequency":
        return f"At most {r.get('max')} per customer {_per(r.get('period_value'), str(r.get('period_unit')))}"
    return kind


def conditions(offer: OfferOut, *, currency: str, timezone: str, stores: Mapping[str, str]) -> list[str]:
    """The offer's conditions, one sentence each, in the order a customer cares about them."""
    lines = []
    start, end = offer.acquisition_start_date, offer.acquisition_end_date
    if start and end:
        lines.append(f"Available from {local_time(start, timezone)} until {local_time(end, timezone)}")
    elif start:
        lines.append(f"Available from {local_time(start, timezone)}")
    elif end:
        lines.append(f"Available until {local_time(end, timezone)}")
    if offer.does_not_expire:
        lines.append("Never expires once received")
    elif offer.validity_period and offer.validity_unit:
        unit = offer.validity_unit[:-1] if offer.validity_period == 1 else offer.validity_unit
        lines.append(f"Redeemable for {offer.validity_period} {unit} after it is received")
    if end and not offer.does_not_expire:
        lines.append(
            "Stays redeemable after the end date" if offer.valid_after_end_date else "Not redeemable after the end date"
        )
    if offer.reward_store:
        lines.append(f"In the reward store for {offer.points_cost or 0} points")
    groups = (
        offer.location_restrictions,
        offer.catalog_restrictions,
        offer.purchase_restrictions,
        offer.use_restrictions,
        offer.issuance_restrictions,
    )
    for group in groups:
        for r in group:
            lines.append(_restriction(str(r.get("type")), r, currency, stores))
    if offer.exclusive:
        lines.append("Cannot be combined with other discounts")
    return lines


# --- Wallets, points and loyalty rules --------------------------------------------------------

USER_OFFER_STATUS = STATUS_NAMES  # the lifecycle owns the names
FAIL_REASONS = {
    "OFFER_NOT_PUBLISHED": "the offer is not published",
    "ACQUISITION_NOT_STARTED": "the offer is not available yet",
    "ACQUISITION_ENDED": "the offer is no longer available",
    "PER_CUSTOMER_LIMIT": "the customer already has as many as the offer allows",
    "FREQUENCY_LIMIT": "the customer got it too recently (frequency limit)",
    "INVENTORY_EXHAUSTED": "the offer's inventory is used up",
    "CAP_REACHED": "the rule's limit per customer is reached",
    "OFFER_NOT_FOUND": "the offer was deleted",
}
LEDGER_KINDS = {
    "earn": "Earned",
    "adjust": "Adjustment",
    "spend": "Spent",
    "reverse": "Reversed",
    "return": "Returned",
    "expire": "Expired",
}
NOT_FIRED = {
    "INACTIVE": "Not active then",
    "NO_POINTS": "Nothing to earn",
    "BELOW_THRESHOLD": "Below the threshold",
    "THRESHOLD_NOT_CROSSED": "Threshold not crossed",
    "INSUFFICIENT_POINTS": "Not enough points",
    "MIN_SPEND_NOT_MET": "Minimum spend not met",
    "REQUIRED_ITEMS_MISSING": "Required items missing",
    "CHANNEL_NOT_ELIGIBLE": "Channel not eligible",
    "STORE_NOT_ELIGIBLE": "Store not eligible",
    "CAP_REACHED": "Limit per customer reached",
    "ALREADY_ISSUED": "Already issued once",
    "NOT_NTH_VISIT": "Not the right visit",
    "CONDITIONS_NOT_MET": "Conditions not met",
}


def fail_reason(code: str | None) -> str:
    return FAIL_REASONS.get(code or "", code or "")


def customer_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "Unnamed customer"


def _points(value: Any) -> str:
    return "1 point" if str(value) == "1" else f"{value} points"


def trigger_summary(
    trigger: Mapping[str, Any] | None,
    *,
    currency: str,
    accounts: Mapping[str, str],
    stores: Mapping[str, str],
) -> str:
    """When an issuance rule fires, in one phrase."""
    trigger = trigger or {}
    kind = trigger.get("type")
    if kind == "points_threshold":
        account = accounts.get(str(trigger.get("point_account_id")), "the account")
        balance = "available" if trigger.get("balance") == "available" else "lifetime"
        text = f"{balance} points in {account} reach {trigger.get('threshold')}"
        return text + (", paid with those points" if trigger.get("spend_points") else "")
    if kind == "transaction_closed":
        parts = []
        if Decimal(str(trigger.get("min_spend") or 0)):
            parts.append(f"of at least {money(trigger['min_spend'], currency)}")
        items = [*(trigger.get("required_item_ids") or []), *(trigger.get("required_category_ids") or [])]
        if items:
            parts.append(f"with {_names([str(i) for i in items])}")
        if trigger.get("store_ids") or trigger.get("store_tags"):
            where = [*(stores.get(str(s), str(s)) for s in trigger.get("store_ids") or [])]
            where += [f"stores tagged {t}" for t in trigger.get("store_tags") or []]
            parts.append(f"at {_names(where)}")
        if trigger.get("channels"):
            parts.append(f"through {_names(trigger['channels'])}")
        return " ".join(["a check closes", *parts])
    if kind == "visit_count":
        every = trigger.get("every")
        return "every visit" if str(every) == "1" else f"every {every} visits"
    if kind == "user_enrolled":
        return "the customer joins"
    if kind == "custom_event":
        count = len(trigger.get("conditions") or [])
        extra = f" meeting {count} condition{'' if count == 1 else 's'}" if count else ""
        return f"the custom event “{trigger.get('event_name')}” happens{extra}"
    return "no trigger"


def rule_summary(
    rule: Any,
    *,
    currency: str,
    offers: Mapping[str, str],
    accounts: Mapping[str, str],
    stores: Mapping[str, str],
) -> str:
    """What a loyalty rule does (a `RuleOut`), in one sentence."""
    if rule.kind == "earn":
        account = accounts.get(str(rule.point_account_id), "the account")
        rate = format(rule.rate, "f") if rule.rate is not None else "?"
        text = f"{_points(rate)} per {money(1, currency)} spent, into {account}"
        count = len(rule.multipliers)
        return text + (f"; {count} multiplier{'' if count == 1 else 's'}" if count else "")
    offer = offers.get(str(rule.offer_id), "an offer")
    when = trigger_summary(rule.trigger, currency=currency, accounts=accounts, stores=stores)
    limits = ["once per customer"] if rule.recurrence == "once" else ["every time"]
    if rule.per_user_cap is not None:
        limits.append(f"at most {rule.per_user_cap} per customer")
    return f"Issues “{offer}” when {when} ({', '.join(limits)})"
