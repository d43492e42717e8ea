"""Wire structs of loyalty rules, the simulator, custom events and the catalog (API.md section 7).

A rule is `kind: "earn"` (points per currency unit spent after discounts, with multipliers) or
`kind: "issuance"` (a `trigger` object with a `type`, an offer, a recurrence and an optional cap). Money
(`min_spend`) is a decimal in the retailer's currency; rates and factors are exact decimals; days are
names (`"monday"`), times store-local `HH:MM`, as in offer restrictions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta, Struct

from openoffers.checks.schemas import Transaction
from openoffers.kit.wire import Skip, Take, WireTime
from openoffers.offers.schemas import ClockTime, DayName

Name = Annotated[str, Meta(max_length=200)]
Ident = Annotated[str, Meta(min_length=1, max_length=100)]
IdList = Annotated[list[Ident], Meta(max_length=1000)]
Short = Annotated[str, Meta(min_length=1, max_length=50)]
Priority = Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]
PositiveCount = Annotated[int, Meta(ge=1, le=1_000_000_000)]


class TimeWindowIn(Struct, kw_only=True):
    """Store-local wall-clock window, end exclusive; an end before the start spans midnight."""

    start: ClockTime
    end: ClockTime


class MultiplierIn(Struct, kw_only=True):
    """A factor on the points of the lines it matches; every condition given must hold, empty is any.
    A line gets the highest matching factor (they never compound)."""

    factor: Decimal
    store_ids: Annotated[list[UUID], Meta(max_length=1000)] = []
    store_tags: Annotated[list[Short], Meta(max_length=100)] = []
    channels: Annotated[list[Short], Meta(max_length=50)] = []
    item_ids: IdList = []
    category_ids: IdList = []
    days_of_week: Annotated[list[DayName], Meta(max_length=7)] = []
    time_windows: Annotated[list[TimeWindowIn], Meta(max_length=24)] = []


class PointsThresholdTrigger(Struct, kw_only=True, tag_field="type", tag="points_threshold"):
    """Crossing `threshold` points of an account (the default one unless named)."""

    threshold: PositiveCount
    point_account_id: UUID | None = None
    balance: Literal["lifetime", "available"] = "lifetime"
    spend_points: bool = False


class TransactionClosedTrigger(Struct, kw_only=True, tag_field="type", tag="transaction_closed"):
    """A closed check meeting every condition given (empty lists mean any)."""

    min_spend: Decimal = Decimal(0)
    required_item_ids: IdList = []
    required_category_ids: IdList = []
    channels: Annotated[list[Short], Meta(max_length=50)] = []
    store_ids: Annotated[list[UUID], Meta(max_length=1000)] = []
    store_tags: Annotated[list[Short], Meta(max_length=100)] = []


class VisitCountTrigger(Struct, kw_only=True, tag_field="type", tag="visit_count"):
    """Every `every`-th closed check of the user."""

    every: PositiveCount


class UserEnrolledTrigger(Struct, kw_only=True, tag_field="type", tag="user_enrolled"):
    """The user's creation: the welcome offer."""


Operator = Literal["equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "exists"]


class ConditionIn(Struct, kw_only=True):
    """`value` for equals/not_equals and the orderings (a number), `values` for in/not_in."""

    property: Annotated[str, Meta(min_length=1, max_length=100)]
    operator: Operator
    value: Any = None
    values: Annotated[list[Any], Meta(max_length=100)] = []


class CustomEventTrigger(Struct, kw_only=True, tag_field="type", tag="custom_event"):
    """A custom event of this name (case-insensitive) whose properties meet every condition."""

    event_name: Annotated[str, Meta(min_length=1, max_length=100)]
    conditions: Annotated[list[ConditionIn], Meta(max_length=50)] = []


TriggerIn = (
    PointsThresholdTrigger | TransactionClosedTrigger | VisitCountTrigger | UserEnrolledTrigger | CustomEventTrigger
)


class RuleDefinition(Struct, kw_only=True):
    """The create and update body (update replaces the whole definition)."""

    kind: Literal["earn", "issuance"]
    name: Name = ""
    priority: Priority = 0
    starts_at: WireTime | None = None
    ends_at: WireTime | None = None
    # earn
    rate: Decimal | None = None
    point_account_id: UUID | None = None
    multipliers: Annotated[list[MultiplierIn], Meta(max_length=50)] = []
    # issuance
    offer_id: UUID | None = None
    trigger: TriggerIn | None = None
    recurrence: Literal["once", "every_time"] = "once"
    per_user_cap: PositiveCount | None = None


class CreateRuleRequest(RuleDefinition, kw_only=True):
    retailer_id: UUID


class UpdateRuleRequest(RuleDefinition, kw_only=True):
    retailer_id: UUID
    rule_id: UUID


class RuleRef(Struct, kw_only=True):
    retailer_id: UUID
    rule_id: UUID


class ListRulesRequest(Struct, kw_only=True):
    retailer_id: UUID
    kind: Literal["earn", "issuance"] | None = None
    active: bool | None = None
    skip: Skip = 0
    take: Take = 50


class RuleOut(Struct, kw_only=True):
    rule_id: UUID
    kind: str
    name: str
    active: bool
    priority: int
    starts_at: str | None
    ends_at: str | None
    rate: Decimal | None
    point_account_id: UUID | None
    multipliers: list[dict[str, Any]]
    offer_id: UUID | None
    trigger: dict[str, Any] | None
    recurrence: str | None
    per_user_cap: int | None
    revision: int
    created_at: str
    updated_at: str


class RuleList(Struct, kw_only=True):
    total_records: int
    results: list[RuleOut]


# ------------------------------------------------------------------------------ events and simulate


class PointsDepositEvent(Struct, kw_only=True, tag_field="type", tag="points_deposit"):
    amount: PositiveCount
    point_account_id: UUID | None = None


class UserEnrolledEvent(Struct, kw_only=True, tag_field="type", tag="user_enrolled"):
    pass


class CustomEventIn(Struct, kw_only=True, tag_field="type", tag="custom_event"):
    event_name: Annotated[str, Meta(min_length=1, max_length=100)]
    properties: Annotated[dict[str, Any], Meta(max_length=100)] = {}


SimulatedEvent = PointsDepositEvent | UserEnrolledEvent | CustomEventIn


class SimulateRequest(Struct, kw_only=True):
    """Exactly one of `transaction` (a closed check, as send_transaction sends it, at `store_id`) or
    `event`. `occurred_at` defaults to the check's `modified_time`, else now."""

    retailer_id: UUID
    user_id: UUID
    store_id: UUID | None = None
    transaction: Transaction | None = None
    event: SimulatedEvent | None = None
    occurred_at: WireTime | None = None


class PointsOut(Struct, kw_only=True):
    rule_id: UUID
    rule_name: str
    point_account_id: UUID
    points: int


class OfferOut(Struct, kw_only=True):
    rule_id: UUID
    rule_name: str
    offer_id: UUID
    quantity: int
    user_offer_ids: list[UUID] = []
    fail_reason: str | None = None


class NotFiredOut(Struct, kw_only=True):
    rule_id: UUID
    rule_name: str
    reason: str
    detail: str


class OutcomeOut(Struct, kw_only=True):
    user_id: UUID
    applied: bool
    points_earned: list[PointsOut]
    points_spent: list[PointsOut]
    offers: list[OfferOut]
    not_fired: list[NotFiredOut]


class TriggerEventRequest(Struct, kw_only=True):
    """api/2.0/user_events/trigger. `event_id`, when given, makes the call safe to retry: the same id
    for the same user is applied once (the repeat answers `applied: false`)."""

    retailer_id: UUID
    user_id: UUID
    event_name: Annotated[str, Meta(min_length=1, max_length=100)]
    properties: Annotated[dict[str, Any], Meta(max_length=100)] = {}
    event_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    occurred_at: WireTime | None = None


class TriggerUserEventRequest(Struct, kw_only=True):
    """api/2.0/user_events/trigger_user_event, as the public .NET client `DOTNET-RWS-LBE-Register` sends it
    (`/incentives/api/1.0/user_events/trigger_user_event` with `event_lookup`, `user_id`, `retailer_id`):
    `event_lookup` names the custom event. The rest is user_events/trigger's, optional."""

    retailer_id: UUID
    user_id: UUID
    event_lookup: Annotated[str, Meta(min_length=1, max_length=100)]
    properties: Annotated[dict[str, Any], Meta(max_length=100)] = {}
    event_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    occurred_at: WireTime | None = None

    def as_trigger(self) -> TriggerEventRequest:
        return TriggerEventRequest(
            retailer_id=self.retailer_id,
            user_id=self.user_id,
            event_name=self.event_lookup,
            properties=self.properties,
            event_id=self.event_id,
            occurred_at=self.occurred_at,
        )
