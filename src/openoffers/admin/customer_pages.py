"""Admin UI pages for customers: search, create, and one customer's profile, wallet, history and
points, with the forms that issue an offer, revoke one and adjust points.

Every form is turned into the API's request body and decoded by the API's decoder, then handed to the
same service function the API calls (`wallet.service`, `wallet.history`, `loyalty.service`); what the
service refuses is shown next to the field, and nothing is saved.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin import describe
from openoffers.admin.forms import Form, decode_form
from openoffers.admin.offer_lists import issuable, picker_labels
from openoffers.admin.web import (
    Admin,
    Req,
    actor_of,
    notice,
    page_number,
    redirect,
    render,
    require_admin,
    submitted,
    uuid_or_404,
)
from openoffers.context import context
from openoffers.kit import wire
from openoffers.kit.errors import DomainError, NotFound, ValidationFailed
from openoffers.loyalty import service as points
from openoffers.loyalty.schemas import (
    BalancesRequest,
    DepositRequest,
    PointsHistoryRequest,
    SpendRequest,
)
from openoffers.offers import service as offers
from openoffers.offers.schemas import ListOffersRequest
from openoffers.wallet import history
from openoffers.wallet import service as wallet
from openoffers.wallet.browse import DEFAULT_SORT, MAX_QUERY, SORTS, browse_customers
from openoffers.wallet.schemas import (
    CreateUserRequest,
    GetUserRequest,
    HistoryRequest,
    IssueRequest,
    RevokeRequest,
    UpdateUserRequest,
    UserOfferDetail,
    UserOfferRequest,
    UserOut,
    WalletRequest,
)

HISTORY_PAGE = 10
LEDGER_PAGE = 15
LIST_PAGE_SIZE = 25
PROFILE_FIELDS = ("external_customer_id", "first_name", "last_name", "email", "phone")
_PAGE_KEYS = frozenset({"", "body", "retailer_id", "user_id"})


def flat_path(path: str, _rows: Mapping[str, Sequence[str]]) -> str:
    """An API error path -> the input showing it, on a form of flat fields (the rest go on top)."""
    return "" if path in _PAGE_KEYS else path.split(".")[0].split("[")[0]


def _refused(form: Form, exc: DomainError) -> None:
    """A service refusal next to its field; one about the page itself (the customer) on top."""
    shown = {key: problems for key, problems in exc.fields.items() if key not in _PAGE_KEYS}
    if shown:
        form.place_errors(shown)
    else:
        form.general.append(exc.message)


def _merge(errors: dict[str, list[str]], more: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """`more` added to `errors` (each message once), so decode and service problems show together."""
    for key, messages in more.items():
        shown = errors.setdefault(key, [])
        shown.extend(m for m in messages if m not in shown)
    return errors


# --- Search and create ------------------------------------------------------------------------


@get("/customers", include_in_schema=False)
async def customers_page(request: Req) -> Response[Any]:
    """Every customer, newest first and paged, narrowed by a partial name, email, phone or external id."""
    admin = await require_admin(request)
    query = (request.query_params.get("q") or "").strip()[:MAX_QUERY]
    page = page_number(request.query_params.get("page"))
    sort = request.query_params.get("sort") or DEFAULT_SORT
    if sort.removeprefix("-") not in SORTS:
        sort = DEFAULT_SORT
    found = await browse_customers(
        context(request).db, admin.retailer.id, query, skip=(page - 1) * LIST_PAGE_SIZE, take=LIST_PAGE_SIZE, sort=sort
    )
    # The search and the sort are kept by the pager and the column headers.
    kept = ({"q": query} if query else {}) | ({"sort": sort} if sort != DEFAULT_SORT else {})
    return render(
        "customers.html",
        admin=admin,
        notice=notice(request),
        query=query,
        found=found.customers,
        total=found.total,
        page=page,
        pages=max((found.total + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE, 1),
        pager_query=kept,
        query_keep={"q": query} if query else {},
        sort=sort,
    )


def _new_customer_page(admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    return render("customer_form.html", status=status, admin=admin, form=form)


@get("/customers/new", include_in_schema=False)
async def new_customer_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return _new_customer_page(admin, Form(fields=frozenset(PROFILE_FIELDS)))


@post("/customers/new", include_in_schema=False)
async def create_customer(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset(PROFILE_FIELDS))
    body: dict[str, Any] = {"retailer_id": str(admin.retailer.id)}
    body.update({name: form.value(name) for name in PROFILE_FIELDS if form.value(name).strip()})
    decoded, errors = decode_form(body, CreateUserRequest, {}, flat_path)
    ctx = context(request)
    # Every problem in one answer: what the service would refuse is asked before anything is written.
    _merge(errors, await wallet.external_id_problems(ctx.db, admin.retailer.id, form.value("external_customer_id")))
    if decoded is None or errors:
        form.place_errors(errors)
        return _new_customer_page(admin, form, 400)
    try:
        user = await points.create_user(ctx.db, decoded, ctx.clock())
    except DomainError as exc:
        _refused(form, exc)
        return _new_customer_page(admin, form, 400)
    return redirect(f"/admin/customers/{user.user_id}", notice="customer_created")


# --- Edit a profile ---------------------------------------------------------------------------

EDIT_FIELDS = frozenset({*PROFILE_FIELDS, "profile_fields"})
_NOT_AN_OBJECT = 'must be a JSON object, such as {"tier": "gold"}, or left blank'


def _profile_text(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, indent=2, ensure_ascii=False) if fields else ""


def _edit_page(admin: Admin, user: UserOut, form: Form, status: int = 200) -> Response[Any]:
    name = describe.customer_name(user.first_name, user.last_name)
    return render("customer_edit.html", status=status, admin=admin, user=user, name=name, form=form)


async def _customer(request: Req, admin: Admin, user_id: str) -> UserOut:
    uuid = uuid_or_404(user_id, "customer")
    return await wallet.get_user(context(request).db, GetUserRequest(retailer_id=admin.retailer.id, user_id=uuid))


@get("/customers/{user_id:str}/edit", include_in_schema=False)
async def edit_customer_page(request: Req, user_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    user = await _customer(request, admin, user_id)
    data = {name: [getattr(user, name) or ""] for name in PROFILE_FIELDS}
    data["profile_fields"] = [_profile_text(user.profile_fields)]
    return _edit_page(admin, user, Form(data=data, fields=EDIT_FIELDS))


@post("/customers/{user_id:str}/edit", include_in_schema=False)
async def edit_customer(request: Req, user_id: FromPath[str]) -> Response[Any]:
    """The form is the `users/update` body with every field sent (a blank optional one clears it),
    decoded by the API's decoder and saved by `wallet.service.update_user`, as the API does."""
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=EDIT_FIELDS)
    user = await _customer(request, admin, user_id)
    body: dict[str, Any] = {"retailer_id": str(admin.retailer.id), "user_id": str(user.user_id)}
    for name in PROFILE_FIELDS:
        value = form.value(name).strip()
        body[name] = value if value or name in ("first_name", "last_name") else None
    extra: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if form.value("profile_fields").strip():
        # The same JSON decoder as an API request body, so the values are stored as the API stores them.
        try:
            extra = wire.decode(form.value("profile_fields").encode(), dict[str, Any])
        except ValidationFailed:
            errors["profile_fields"] = [_NOT_AN_OBJECT]
    body["profile_fields"] = extra
    decoded, problems = decode_form(body, UpdateUserRequest, {}, flat_path)
    _merge(errors, problems)
    ctx = context(request)
    taken = await wallet.external_id_problems(
        ctx.db, admin.retailer.id, form.value("external_customer_id"), user.user_id
    )
    malformed = decoded is None or bool(errors)
    if decoded is None or errors or taken:
        form.place_errors(_merge(errors, taken))
        # A taken id alone is a conflict (409), as the service would answer; anything malformed is 400.
        return _edit_page(admin, user, form, 400 if malformed else 409)
    try:
        await wallet.update_user(ctx.db, decoded, ctx.clock())
    except NotFound:
        raise
    except DomainError as exc:
        _refused(form, exc)
        return _edit_page(admin, user, form, exc.status)
    return redirect(f"/admin/customers/{user.user_id}", notice="customer_saved")


# --- One customer -----------------------------------------------------------------------------


def _issue_notice(request: Req) -> str | None:
    """`?notice=issued&n=1&of=3&refused=PER_CUSTOMER_LIMIT`: what an issue did, in words."""
    params = request.query_params
    issued, wanted = page_number(params.get("n"), 1), page_number(params.get("of"), 1)
    text = "Offer issued." if wanted == 1 else f"{issued} of {wanted} copies issued."
    refused = describe.FAIL_REASONS.get(params.get("refused") or "")
    return f"{text} The others were refused: {refused}." if refused and issued < wanted else text


def _points_form(accounts: Sequence[Any], form: Form | None = None) -> Form:
    if form is not None:
        return form
    default = str(accounts[0].point_account_id) if accounts else ""
    # A fresh reference per rendered form: submitting the same form twice applies the change once.
    return Form(
        data={"point_account_id": [default], "reference": [secrets.token_urlsafe(12)]},
        fields=frozenset({"point_account_id", "amount", "reason"}),
    )


async def _customer_page(
    request: Req,
    admin: Admin,
    user_id: UUID,
    *,
    issue_form: Form | None = None,
    points_form: Form | None = None,
    status: int = 200,
) -> Response[Any]:
    ctx = context(request)
    db, now, retailer_id = ctx.db, ctx.clock(), admin.retailer.id
    user = await wallet.get_user(db, GetUserRequest(retailer_id=retailer_id, user_id=user_id))
    params = request.query_params
    history_page = page_number(params.get("history"), 1)
    ledger_page = page_number(params.get("ledger"), 1)
    held = await points.get_user_offers(db, WalletRequest(retailer_id=retailer_id, user_id=user_id, take=100), now)
    balances = await points.balances(db, BalancesRequest(retailer_id=retailer_id, user_id=user_id), now)
    expiring = await points.upcoming_expiries(db, retailer_id, user_id, now)
    ledger = await points.history(
        db,
        PointsHistoryRequest(
            retailer_id=retailer_id, user_id=user_id, skip=(ledger_page - 1) * LEDGER_PAGE, take=LEDGER_PAGE
        ),
    )
    past = await history.user_offer_history(
        db,
        HistoryRequest(
            retailer_id=retailer_id,
            user_ids=[user_id],
            skip=(history_page - 1) * HISTORY_PAGE,
            take=HISTORY_PAGE,
        ),
        now,
    )
    entries: list[UserOfferDetail] = await history.user_offer_details(
        db, retailer_id, [e.user_offer_id for e in past.results], now
    )
    published = await offers.list_offers(db, ListOffersRequest(retailer_id=retailer_id, status=1, take=1000))
    accounts = {str(a.point_account_id): a.name for a in balances.accounts}
    page_notice = _issue_notice(request) if params.get("notice") == "issued" else notice(request)
    issue = issue_form or Form(data={"quantity": ["1"]}, fields=frozenset({"offer_id", "quantity"}))
    return render(
        "customer_detail.html",
        status=status,
        admin=admin,
        notice=page_notice,
        user=user,
        name=describe.customer_name(user.first_name, user.last_name),
        wallet=held,
        balances=balances,
        expiring=expiring[:3],
        ledger=ledger,
        ledger_page=ledger_page,
        ledger_pages=max((ledger.total_records + LEDGER_PAGE - 1) // LEDGER_PAGE, 1),
        entries=entries,
        history_total=past.total_records,
        history_page=history_page,
        history_pages=max((past.total_records + HISTORY_PAGE - 1) // HISTORY_PAGE, 1),
        offer_options=list(picker_labels(issuable(published.results, now), admin.retailer.timezone).items()),
        accounts=accounts,
        issue_form=issue,
        points_form=_points_form(balances.accounts, points_form),
        USER_OFFER_STATUS=describe.USER_OFFER_STATUS,
        LEDGER_KINDS=describe.LEDGER_KINDS,
    )


@get("/customers/{user_id:str}", include_in_schema=False)
async def customer_page(request: Req, user_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    return await _customer_page(request, admin, uuid_or_404(user_id, "customer"))


@post("/customers/{user_id:str}/issue", include_in_schema=False)
async def issue_offer(request: Req, user_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    customer = uuid_or_404(user_id, "customer")
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"offer_id", "quantity"}))
    body: dict[str, Any] = {"retailer_id": str(admin.retailer.id), "user_id": str(customer)}
    body.update({name: form.value(name).strip() for name in ("offer_id", "quantity") if form.value(name).strip()})
    decoded, errors = decode_form(body, IssueRequest, {}, flat_path)
    if decoded is None:
        form.place_errors(errors)
        return await _customer_page(request, admin, customer, issue_form=form, status=400)
    ctx = context(request)
    try:
        result = await wallet.issue(ctx.db, decoded, ctx.clock(), actor_of(admin))
    except DomainError as exc:
        _refused(form, exc)
        return await _customer_page(request, admin, customer, issue_form=form, status=exc.status)
    issued = [s for s in result.status_list if s.user_offer_id is not None]
    refused = next((s.fail_reason_code for s in result.status_list if s.fail_reason_code), None)
    if not issued:
        # Refused copies are not written: nothing changed, say why next to the offer.
        form.errors.setdefault("offer_id", []).append(f"not issued: {describe.fail_reason(refused)} ({refused})")
        return await _customer_page(request, admin, customer, issue_form=form, status=409)
    return redirect(
        f"/admin/customers/{customer}",
        notice="issued",
        n=str(len(issued)),
        of=str(len(result.status_list)),
        refused=refused or "",
    )


@post("/customers/{user_id:str}/points", include_in_schema=False)
async def adjust_points(request: Req, user_id: FromPath[str]) -> Response[Any]:
    """A signed adjustment: a positive amount is a deposit of kind `adjust` (available points only, no
    rules fire), a negative one a spend (refused below zero). The reason is required and recorded,
    with the signed-in key as the actor."""
    admin = await require_admin(request)
    customer = uuid_or_404(user_id, "customer")
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"point_account_id", "amount", "reason"}))
    amount = form.value("amount").strip()
    take_away = amount.startswith("-")
    body: dict[str, Any] = {
        "retailer_id": str(admin.retailer.id),
        "user_id": str(customer),
        "reason": form.value("reason").strip(),
    }
    if amount:
        body["amount"] = amount[1:].strip() if take_away or amount.startswith("+") else amount
    if form.value("point_account_id").strip():
        body["point_account_id"] = form.value("point_account_id").strip()
    if form.value("reference").strip():
        body["reference_id"] = f"admin:{form.value('reference').strip()}"
    if not take_away:
        body["kind"] = "adjust"
    decoded, errors = decode_form(body, SpendRequest if take_away else DepositRequest, {}, flat_path)
    if not body["reason"]:
        errors.setdefault("reason", []).append("must not be blank")
    errors.pop("reference_id", None)
    if decoded is None or errors:
        form.place_errors(errors)
        return await _customer_page(request, admin, customer, points_form=form, status=400)
    ctx = context(request)
    try:
        if isinstance(decoded, DepositRequest):
            result = await points.deposit(ctx.db, decoded, ctx.clock(), actor_of(admin))
        else:
            result = await points.spend(ctx.db, decoded, ctx.clock(), actor_of(admin))
    except DomainError as exc:
        _refused(form, exc)
        return await _customer_page(request, admin, customer, points_form=form, status=exc.status)
    outcome = "points_adjusted" if result.applied else "points_already"
    return redirect(f"/admin/customers/{customer}", notice=outcome)


async def _held_offer(request: Req, admin: Admin, user_id: str, user_offer_id: str) -> UserOfferDetail:
    ctx = context(request)
    customer = uuid_or_404(user_id, "customer")
    detail = await history.get_user_offer(
        ctx.db,
        UserOfferRequest(retailer_id=admin.retailer.id, user_offer_id=uuid_or_404(user_offer_id, "user offer")),
        ctx.clock(),
    )
    if detail.user_id != customer:
        raise NotFound("user offer not found")
    return detail


def _revoke_page(admin: Admin, held: UserOfferDetail, form: Form, status: int = 200) -> Response[Any]:
    return render(
        "revoke_form.html",
        status=status,
        admin=admin,
        held=held,
        form=form,
        USER_OFFER_STATUS=describe.USER_OFFER_STATUS,
    )


@get("/customers/{user_id:str}/offers/{user_offer_id:str}/revoke", include_in_schema=False)
async def revoke_page(request: Req, user_id: FromPath[str], user_offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    held = await _held_offer(request, admin, user_id, user_offer_id)
    return _revoke_page(admin, held, Form(fields=frozenset({"reason"})))


@post("/customers/{user_id:str}/offers/{user_offer_id:str}/revoke", include_in_schema=False)
async def revoke_offer(request: Req, user_id: FromPath[str], user_offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"reason"}))
    held = await _held_offer(request, admin, user_id, user_offer_id)
    body = {
        "retailer_id": str(admin.retailer.id),
        "user_offer_id": str(held.user_offer_id),
        "reason": form.value("reason").strip(),
    }
    decoded, errors = decode_form(body, RevokeRequest, {}, flat_path)
    if not body["reason"]:
        errors.setdefault("reason", []).append("must not be blank")
    if decoded is None or errors:
        form.place_errors(errors)
        return _revoke_page(admin, held, form, 400)
    ctx = context(request)
    try:
        await wallet.revoke(ctx.db, decoded, ctx.clock(), actor_of(admin))
    except DomainError as exc:
        form.general.append(exc.message)
        return _revoke_page(admin, held, form, exc.status)
    return redirect(f"/admin/customers/{held.user_id}", notice="revoked")


ROUTES = [
    customers_page,
    new_customer_page,
    create_customer,
    customer_page,
    edit_customer_page,
    edit_customer,
    issue_offer,
    adjust_points,
    revoke_page,
    revoke_offer,
]
