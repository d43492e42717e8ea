"""Loyalty rule, custom event and catalog routes (API.md 7): decode, authorize, call one service
function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.loyalty.rules import service as rules_service
from openoffers.loyalty.rules.schemas import (
    CreateRuleRequest,
    ListRulesRequest,
    OutcomeOut,
    RuleList,
    RuleOut,
    RuleRef,
    SimulateRequest,
    TriggerEventRequest,
    TriggerUserEventRequest,
    UpdateRuleRequest,
)
from openoffers.tenancy.guards import ADMIN_ROLES, READ_ROLES, WRITE_ROLES, offers_call

Req = Request[Any, Any, Any]
RULES = ("loyalty rules",)


@endpoint(
    "/api/2.0/rules/create", summary="Create a loyalty rule", request=CreateRuleRequest, response=RuleOut, tags=RULES
)
async def create_rule(request: Req) -> Response[bytes]:
    """`kind: "earn"` (`rate` points per currency unit spent after discounts, `multipliers`, into
    `point_account_id` or the default account) or `kind: "issuance"` (`offer_id`, a `trigger` with a
    `type`: points_threshold, transaction_closed, visit_count, user_enrolled, custom_event; `recurrence`
    once or every_time; `per_user_cap`). Both take `priority` and an active window
    (`starts_at`, `ends_at`). A malformed rule is one VALIDATION error whose `fields` name every
    problem of its shape at once; then an unknown offer is OFFER_NOT_FOUND, an unknown account NOT_FOUND."""
    call = await offers_call(request, CreateRuleRequest, ADMIN_ROLES)
    return ok(await rules_service.create_rule(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/rules/update", summary="Update a loyalty rule", request=UpdateRuleRequest, response=RuleOut, tags=RULES
)
async def update_rule(request: Req) -> Response[bytes]:
    """A full replacement of the rule's definition (send the whole rule, as create does). Offers the
    rule already issued still count toward `once` and `per_user_cap`."""
    call = await offers_call(request, UpdateRuleRequest, ADMIN_ROLES)
    return ok(await rules_service.update_rule(call.db, call.body, call.now))


@endpoint("/api/2.0/rules/get", summary="Get a loyalty rule", request=RuleRef, response=RuleOut, tags=RULES)
async def get_rule(request: Req) -> Response[bytes]:
    """One rule of the retailer, active or not."""
    call = await offers_call(request, RuleRef, READ_ROLES)
    return ok(await rules_service.get_rule(call.db, call.body))


@endpoint("/api/2.0/rules/list", summary="List loyalty rules", request=ListRulesRequest, response=RuleList, tags=RULES)
async def list_rules(request: Req) -> Response[bytes]:
    """The retailer's rules in creation order, optionally of one `kind` or `active` state; paged."""
    call = await offers_call(request, ListRulesRequest, READ_ROLES)
    return ok(await rules_service.list_rules(call.db, call.body))


@endpoint(
    "/api/2.0/rules/deactivate", summary="Deactivate a loyalty rule", request=RuleRef, response=RuleOut, tags=RULES
)
async def deactivate_rule(request: Req) -> Response[bytes]:
    """The rule stops firing at once. Repeating it changes nothing."""
    call = await offers_call(request, RuleRef, ADMIN_ROLES)
    return ok(await rules_service.set_active(call.db, call.body, False, call.now))


@endpoint(
    "/api/2.0/rules/activate", summary="Activate a loyalty rule again", request=RuleRef, response=RuleOut, tags=RULES
)
async def activate_rule(request: Req) -> Response[bytes]:
    """A deactivated rule fires again (not retroactively). Repeating it changes nothing."""
    call = await offers_call(request, RuleRef, ADMIN_ROLES)
    return ok(await rules_service.set_active(call.db, call.body, True, call.now))


@endpoint(
    "/api/2.0/rules/simulate",
    summary="Simulate loyalty rules",
    request=SimulateRequest,
    response=OutcomeOut,
    tags=RULES,
)
async def simulate_rules(request: Req) -> Response[bytes]:
    """What a closed `transaction` (a check as send_transaction sends it, at `store_id`) or an `event`
    (`{"type": "points_deposit" | "user_enrolled" | "custom_event", ...}`) would earn and issue for the
    user now, and the reason for each listening rule that would not fire. Changes nothing."""
    call = await offers_call(request, SimulateRequest, READ_ROLES)
    return ok(await rules_service.simulate(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/user_events/trigger",
    summary="Trigger a custom event",
    request=TriggerEventRequest,
    response=OutcomeOut,
    tags=RULES,
)
async def trigger_event(request: Req) -> Response[bytes]:
    """Runs the custom-event rules named `event_name` (case-insensitive) for the user, in one
    transaction: the points and offers they gave, and why the others did not fire. With `event_id`, a
    retry of the same event is applied once (`applied: false`)."""
    call = await offers_call(request, TriggerEventRequest, WRITE_ROLES)
    return ok(await rules_service.trigger_event(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/user_events/trigger_user_event",
    summary="Trigger a custom event (SessionM's shape)",
    request=TriggerUserEventRequest,
    response=OutcomeOut,
    tags=RULES,
)
async def trigger_user_event(request: Req) -> Response[bytes]:
    """user_events/trigger as public SessionM clients call it (`/incentives/api/1.0/...`): `event_lookup`
    names the custom event; the answer is user_events/trigger's."""
    call = await offers_call(request, TriggerUserEventRequest, WRITE_ROLES)
    return ok(await rules_service.trigger_event(call.db, call.body.as_trigger(), call.now, call.actor))


ROUTES = [
    create_rule,
    update_rule,
    get_rule,
    list_rules,
    deactivate_rule,
    activate_rule,
    simulate_rules,
    trigger_event,
    trigger_user_event,
]
