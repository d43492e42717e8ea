"""Admin UI pages for loyalty rules: list, create, edit, (de)activate, and the simulator.

The forms become the exact bodies of `api/2.0/rules/create`, `update` and `simulate` (see
`rule_forms.py`), decoded by the API's decoder and handed to `loyalty.rules_service`, so the messages
next to the fields are the API's and what a rule does is decided by the service and the rules core.
The simulator only reads (the service evaluates in a read-only transaction): it is a GET form, so a
result can be bookmarked or reloaded without resending anything.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin import catalog_targeting, describe
from openoffers.admin.forms import decode_form, decode_partly
from openoffers.admin.offer_lists import has_ended, picker_labels, status_label
from openoffers.admin.rule_forms import (
    OPERATOR_LABELS,
    TRIGGER_LABELS,
    TRIGGER_TYPES,
    RowsForm,
    form_from_rule,
    new_rule_form,
    parse_rule_form,
    parse_simulate_form,
    rule_body,
    rule_path_mapper,
    simulate_body,
    simulate_path,
)
from openoffers.admin.web import (
    Admin,
    Req,
    notice,
    page_number,
    redirect,
    render,
    require_admin,
    submitted,
    uuid_or_404,
)
from openoffers.context import context
from openoffers.kit.errors import DomainError
from openoffers.loyalty import service as points
from openoffers.loyalty.points.repository import default_account_id
from openoffers.loyalty.rules import service as rules_service
from openoffers.loyalty.rules.schemas import (
    CreateRuleRequest,
    ListRulesRequest,
    OutcomeOut,
    RuleOut,
    RuleRef,
    SimulateRequest,
    UpdateRuleRequest,
)
from openoffers.loyalty.schemas import ListPointAccountsRequest
from openoffers.offers import service as offers
from openoffers.offers.schemas import ListOffersRequest
from openoffers.tenancy import service as tenancy
from openoffers.wallet import service as wallet
from openoffers.wallet.schemas import UserOut

PAGE_SIZE = 25
KINDS = ("earn", "issuance")
_DAYS = [(d, d[:3].capitalize()) for d in describe.DAYS]


def _offer_name(label: str, status: str) -> str:
    return label if status == "Published" else f"{label} ({status.lower()})"


async def _names(request: Req, admin: Admin) -> dict[str, dict[str, str]]:
    """Ids -> names of the retailer's offers (not deleted), point accounts and stores, for the rule pages."""
    ctx = context(request)
    retailer_id = admin.retailer.id
    offer_list = await offers.list_offers(ctx.db, ListOffersRequest(retailer_id=retailer_id, take=1000))
    accounts = await points.list_accounts(
        ctx.db, ListPointAccountsRequest(retailer_id=retailer_id, take=1000), ctx.clock()
    )
    stores = await tenancy.list_stores(ctx.db, retailer_id)
    labels = picker_labels(offer_list.results, admin.retailer.timezone)
    now = ctx.clock()
    return {
        "offers": {str(o.id): _offer_name(labels[str(o.id)], status_label(o, now)) for o in offer_list.results},
        # What the offer picker lists: not an offer whose window ended (it could issue nothing).
        "pickable": {str(o.id): "" for o in offer_list.results if not has_ended(o, now)},
        "accounts": {str(a.point_account_id): a.name for a in accounts.results},
        "stores": {str(s.id): s.name for s in stores},
    }


def _summary(rule: RuleOut, admin: Admin, names: dict[str, dict[str, str]]) -> str:
    return describe.rule_summary(
        rule,
        currency=admin.retailer.currency,
        offers=names["offers"],
        accounts=names["accounts"],
        stores=names["stores"],
    )


# --- List -------------------------------------------------------------------------------------


@get("/rules", include_in_schema=False)
async def rules_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    params = request.query_params
    kind = params.get("kind") if params.get("kind") in KINDS else None
    active_text = params.get("active") or ""
    active = {"1": True, "0": False}.get(active_text)
    page = page_number(params.get("page"))
    sort = params.get("sort") or "created"
    if sort.removeprefix("-") not in rules_service.SORT_KEYS:
        sort = "created"
    result = await rules_service.list_rules(
        context(request).db,
        ListRulesRequest(
            retailer_id=admin.retailer.id, kind=kind, active=active, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE
        ),
        sort=sort,
    )
    names = await _names(request, admin)
    filters = {"kind": kind or "", "active": active_text if active is not None else ""}
    return render(
        "rules.html",
        admin=admin,
        notice=notice(request),
        rules=[(rule, _summary(rule, admin, names)) for rule in result.results],
        total=result.total_records,
        page=page,
        pages=max((result.total_records + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=filters,
        filtered=any(filters.values()),
        query={k: v for k, v in filters.items() if v} | ({"sort": sort} if sort != "created" else {}),
        sort_query={k: v for k, v in filters.items() if v},
        sort=sort,
    )


# --- Create and edit --------------------------------------------------------------------------


async def _rule_form_page(
    request: Req, admin: Admin, form: RowsForm, *, rule: RuleOut | None, status: int = 200
) -> Response[Any]:
    names = await _names(request, admin)
    current = form.value("offer_id")
    offer_options = [(k, v) for k, v in names["offers"].items() if k in names["pickable"] or k == current]
    if current and current not in names["offers"]:
        offer_options.append((current, f"Offer {current} (deleted or unknown)"))
    return render(
        "rule_form.html",
        status=status,
        picker=await catalog_targeting.picker(context(request).db, admin.retailer.id),
        admin=admin,
        notice=notice(request),
        form=form,
        rule=rule,
        kind=form.value("kind"),
        offer_options=offer_options,
        account_options=list(names["accounts"].items()),
        store_options=list(names["stores"].items()),
        trigger_options=[(t, TRIGGER_LABELS[t]) for t in TRIGGER_TYPES],
        operator_options=list(OPERATOR_LABELS.items()),
        day_options=_DAYS,
        summary=_summary(rule, admin, names) if rule else "",
        currency=admin.retailer.currency,
        timezone=admin.retailer.timezone,
    )


def _default_account(admin: Admin) -> str:
    return str(default_account_id(admin.retailer.id))


@get("/rules/new", include_in_schema=False)
async def new_rule_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    kind = request.query_params.get("kind")
    if kind not in KINDS:
        return render("rule_kind.html", admin=admin)
    return await _rule_form_page(request, admin, new_rule_form(kind, _default_account(admin)), rule=None)


async def _save_rule(request: Req, admin: Admin, rule: RuleOut | None) -> Response[Any]:
    form, adding = parse_rule_form(await submitted(request, admin.csrf))
    if rule is not None:
        form.data["kind"] = [rule.kind]  # the kind is chosen when the rule is created
    if form.value("kind") not in KINDS:
        form.data["kind"] = ["earn"]
    if adding:
        return await _rule_form_page(request, admin, form, rule=rule)
    body, index_map = rule_body(
        form,
        retailer_id=admin.retailer.id,
        timezone=admin.retailer.timezone,
        rule_id=rule.rule_id if rule else None,
    )
    mapper = rule_path_mapper(form.value("trigger.type"))
    ctx = context(request)
    target = CreateRuleRequest if rule is None else UpdateRuleRequest
    # Every problem in one answer: what does not decode, then what the service would refuse about the
    # rest; any problem means nothing is saved.
    set_aside: list[str] = []
    decoded, errors, rest, rows = decode_partly(
        body, target, index_map, mapper, missing_at_field=True, set_aside=set_aside
    )
    if rest is not None:
        more = await rules_service.problems_of(ctx.db, admin.retailer.id, rest)
        malformed = set(errors)
        for path, problems in more.items():
            key = mapper(path, rows)
            if key in malformed or path in set_aside:
                # A field (or a trigger missing a field) left out for not decoding would only be
                # "required" again.
                continue
            shown = errors.setdefault(key, [])
            shown.extend(p for p in problems if p not in shown)
    saved: RuleOut | None = None
    if decoded is not None and not errors:
        try:
            if isinstance(decoded, CreateRuleRequest):
                saved = await rules_service.create_rule(ctx.db, decoded, ctx.clock())
            else:
                assert isinstance(decoded, UpdateRuleRequest)
                saved = await rules_service.update_rule(ctx.db, decoded, ctx.clock())
        except DomainError as exc:
            # Changed between the check and the write (an offer deleted meanwhile, say).
            for path, problems in (exc.fields or {"": [exc.message]}).items():
                errors.setdefault(mapper(path, index_map), []).extend(problems)
    if saved is None:
        # Malformed, or refused by the service: nothing was saved.
        form.place_errors(errors)
        return await _rule_form_page(request, admin, form, rule=rule, status=400)
    return redirect("/admin/rules", notice="rule_created" if rule is None else "rule_saved")


@post("/rules/new", include_in_schema=False)
async def create_rule(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return await _save_rule(request, admin, None)


async def _rule(request: Req, admin: Admin, rule_id: str) -> RuleOut:
    uuid = uuid_or_404(rule_id, "rule")
    return await rules_service.get_rule(context(request).db, RuleRef(retailer_id=admin.retailer.id, rule_id=uuid))


@get("/rules/{rule_id:str}/edit", include_in_schema=False)
async def edit_rule_page(request: Req, rule_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    rule = await _rule(request, admin, rule_id)
    form = form_from_rule(rule, timezone=admin.retailer.timezone, default_account=_default_account(admin))
    return await _rule_form_page(request, admin, form, rule=rule)


@post("/rules/{rule_id:str}/edit", include_in_schema=False)
async def edit_rule(request: Req, rule_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    rule = await _rule(request, admin, rule_id)
    return await _save_rule(request, admin, rule)


@post(["/rules/{rule_id:str}/deactivate", "/rules/{rule_id:str}/activate"], include_in_schema=False)
async def rule_active(request: Req, rule_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    active = request.url.path.rstrip("/").endswith("/activate")
    ctx = context(request)
    ref = RuleRef(retailer_id=admin.retailer.id, rule_id=uuid_or_404(rule_id, "rule"))
    await rules_service.set_active(ctx.db, ref, active, ctx.clock())
    back = request.query_params.get("back")
    target = f"/admin/rules/{ref.rule_id}/edit" if back == "edit" else "/admin/rules"
    return redirect(target, notice="rule_activated" if active else "rule_deactivated")


# --- Simulate ---------------------------------------------------------------------------------


async def _customer(request: Req, admin: Admin, form: RowsForm) -> UserOut | None:
    """The customer the form names (external id, email, phone or user id); errors on the field."""
    text = form.value("customer").strip()
    if not text:
        return None
    found = await wallet.search_users(context(request).db, admin.retailer.id, text, limit=2)
    if not found:
        form.errors.setdefault("customer", []).append("user not found")
        return None
    if len(found) > 1:
        form.errors.setdefault("customer", []).append(
            "more than one user matches; look up by user_id or external_customer_id"
        )
        return None
    return found[0]


@get("/rules/simulate", include_in_schema=False)
async def simulate_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    params = request.query_params
    form, adding = parse_simulate_form({k: params.getall(k) for k in params})
    ctx = context(request)
    stores = await tenancy.list_stores(ctx.db, admin.retailer.id)
    if "store_id" not in params and stores:
        form.data["store_id"] = [str(stores[0].id)]
    outcome: OutcomeOut | None = None
    customer_name = ""
    status = 200
    if params.get("run") == "1" and not adding:
        customer = await _customer(request, admin, form)
        user_id = customer.user_id if customer else None
        body, index_map = simulate_body(form, retailer_id=admin.retailer.id, user_id=user_id)
        decoded, errors = decode_form(body, SimulateRequest, index_map, simulate_path)
        if form.errors:
            errors.pop("customer", None)  # the customer's own problem is already said
        if decoded is not None and not form.errors:
            try:
                outcome = await rules_service.simulate(ctx.db, decoded, ctx.clock())
            except DomainError as exc:
                for path, problems in (exc.fields or {"": [exc.message]}).items():
                    errors.setdefault(simulate_path(path, index_map), []).extend(problems)
        form.place_errors(errors)
        if form.error_count:
            status, outcome = 400, None
        elif customer is not None:
            customer_name = describe.customer_name(customer.first_name, customer.last_name)
    names = await _names(request, admin) if outcome else {"offers": {}, "accounts": {}, "stores": {}, "pickable": {}}
    if outcome:
        for issued in outcome.offers:
            if str(issued.offer_id) not in names["offers"]:
                try:
                    row = await offers.latest_revision(ctx.db, admin.retailer.id, issued.offer_id)
                    names["offers"][str(issued.offer_id)] = row.title or "Untitled offer"
                except DomainError:
                    names["offers"][str(issued.offer_id)] = "a deleted offer"
    return render(
        "simulate.html",
        status=status,
        admin=admin,
        form=form,
        stores=[(str(s.id), s.name) for s in stores],
        outcome=outcome,
        customer_name=customer_name,
        names=names,
        NOT_FIRED=describe.NOT_FIRED,
        currency=admin.retailer.currency,
    )


ROUTES = [
    rules_list,
    new_rule_page,
    create_rule,
    simulate_page,
    edit_rule_page,
    edit_rule,
    rule_active,
]
