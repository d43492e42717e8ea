"""PURE loyalty rules core: event + rules + user state -> effects (earn, spend, issue) and reasons.

No I/O and no clock: the service loads the state, calls `evaluate`, and applies the effects in the
same database transaction as the event; `api/2.0/rules/simulate` calls `evaluate` and applies nothing.
"""

from openoffers.rules.conditions import Operator, PropertyCondition, PropertyValue
from openoffers.rules.definitions import (
    BalanceKind,
    EarnRule,
    IssuanceRule,
    Multiplier,
    OnCustomEvent,
    OnPointsThreshold,
    OnTransactionClosed,
    OnUserEnrolled,
    OnVisitCount,
    Recurrence,
    Trigger,
)
from openoffers.rules.earning import fraction_text, kept_points, line_points, rule_points
from openoffers.rules.effects import (
    EarnPoints,
    Effect,
    IssueOffer,
    NotFired,
    Outcome,
    Reason,
    ReversePoints,
    SpendPoints,
    reverse_earnings,
)
from openoffers.rules.engine import evaluate, next_state
from openoffers.rules.events import (
    CheckLine,
    CustomEvent,
    Event,
    PointsChanged,
    TransactionClosed,
    UserEnrolled,
)
from openoffers.rules.index import RuleIndex
from openoffers.rules.state import Balance, UserState
from openoffers.rules.timing import TimeWindow

__all__ = [
    "Balance",
    "BalanceKind",
    "CheckLine",
    "CustomEvent",
    "EarnPoints",
    "EarnRule",
    "Effect",
    "Event",
    "IssuanceRule",
    "IssueOffer",
    "Multiplier",
    "NotFired",
    "OnCustomEvent",
    "OnPointsThreshold",
    "OnTransactionClosed",
    "OnUserEnrolled",
    "OnVisitCount",
    "Operator",
    "Outcome",
    "PointsChanged",
    "PropertyCondition",
    "PropertyValue",
    "Reason",
    "Recurrence",
    "ReversePoints",
    "RuleIndex",
    "SpendPoints",
    "TimeWindow",
    "TransactionClosed",
    "Trigger",
    "UserEnrolled",
    "UserState",
    "evaluate",
    "fraction_text",
    "kept_points",
    "line_points",
    "next_state",
    "reverse_earnings",
    "rule_points",
]
