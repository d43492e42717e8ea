"""Admin UI routes: sign-in and the offer pages.

Each handler checks the session, reads the form (CSRF checked), calls the same service function as
the API and then renders a page, or redirects after a successful change (POST-redirect-GET). Customers
are in `customer_pages.py`, loyalty rules in `rule_pages.py`, transactions in `transaction_pages.py`,
stores, POS clients and API keys in `tenancy_pages.py`, the workspace (dashboard, exports, imports, preview,
catalog) in `workspace_routes.py`; `ROUTES` is what `app.py` registers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath
from litestar.response import Redirect, Response
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler
from markupsafe import Markup

from openoffers.admin import (
    audit_pages,
    catalog_targeting,
    customer_pages,
    describe,
    error_routes,
    offer_lists,
    people_pages,
    rule_pages,
    session_store,
    settings_pages,
    sign_in,
    tenancy_pages,
    transaction_pages,
    webhook_pages,
    workspace_routes,
)
from openoffers.admin.access import check_access
from openoffers.admin.activity import activity_series
from openoffers.admin.charts import activity_chart, daily
from openoffers.admin.forms import IndexMap, form_from_definition, map_errors, new_offer_form, parse_offer_form
from openoffers.admin.offer_form_page import checked_offer, form_body, offer_form_page
from openoffers.admin.session import new_session, signed_out
from openoffers.admin.web import (
    EXCEPTION_HANDLERS,
    HOME,
    STATIC_DIR,
    Admin,
    Req,
    current_admin,
    expired_cookie,
    notice,
    now_seconds,
    page_number,
    read_session,
    redirect,
    render,
    require_admin,
    safe_next,
    session_cookie,
    submitted,
    uuid_or_404,
)
from openoffers.context import context
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.throttle import client_address
from openoffers.offers import service as offers
from openoffers.offers.presentation import definition_of
from openoffers.offers.repository import DELETED, DRAFT, OfferRow
from openoffers.offers.schemas import (
    OFFER_TYPES,
    CreateOfferRequest,
    ListOffersRequest,
    MutationResult,
    OfferDetailsRequest,
)
from openoffers.tenancy import service as tenancy
from openoffers.wallet import offer_status

PAGE_SIZE = 25
CHART_DAYS = 30


@get("/", include_in_schema=False)
async def root() -> Response[Any]:
    return Redirect("/admin", status_code=302)


@get("/", include_in_schema=False)
async def admin_home(request: Req) -> Response[Any]:
    return redirect(HOME if await current_admin(request) else "/admin/login")


# --- Sign-in and sign-out ------------------------------------------------------------------------


def _login_page(
    request: Req,
    *,
    status: int = 200,
    error: str = "",
    key: str = "",
    next_path: str = "",
    keep_session: bool = False,
) -> Response[Any]:
    """The sign-in page. Without a session, or signed in, it starts an anonymous one (its CSRF token
    is the form's), unless `keep_session`: then the session stays exactly as it is."""
    session = read_session(request)
    cookies = []
    if session is not None and keep_session:
        pass
    elif session is None or session.signed_in:
        session = new_session(now_seconds(request))
        cookies.append(session_cookie(request, session))
    return render(
        "login.html",
        status=status,
        cookies=cookies,
        csrf=session.csrf,
        error=error,
        key=key,
        next_path=safe_next(next_path or request.query_params.get("next")),
        notice=notice(request),
    )


@get("/login", include_in_schema=False)
async def login_page(request: Req) -> Response[Any]:
    if await current_admin(request):
        return redirect(safe_next(request.query_params.get("next")))
    return _login_page(request)


_REFUSALS = {
    "invalid": "That key and secret do not match an active API key.",
    "account": "That e-mail address and password do not match an active account.",
    "pos_client": "These are POS client credentials. Sign in with an API key that has the admin role.",
    "role": "This key has the {role} role. The admin UI needs a key with the admin role.",
}


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@post("/login", include_in_schema=False)
async def login(request: Req) -> Response[Any]:
    session = read_session(request)
    if session is None:
        return _login_page(
            request,
            status=400,
            error="Your browser did not send the sign-in cookie back. Allow cookies for this site and try again.",
        )
    data = await submitted(request, session.csrf)
    key = (data.get("key") or [""])[0].strip()
    secret = (data.get("secret") or [""])[0]
    next_path = (data.get("next") or [""])[0]
    if not key or not secret:
        return _login_page(
            request,
            status=400,
            error="Enter both your e-mail address (or API key) and your password (or secret).",
            key=key,
            next_path=next_path,
        )
    ctx = context(request)
    outcome = await sign_in.sign_in(
        ctx.db,
        key,
        secret,
        address=client_address(request.client.host if request.client else None),
        now=ctx.clock(),
        limits=sign_in.Limits.of(ctx.settings),
    )
    if isinstance(outcome, sign_in.Throttled):
        # The secret was not checked, and the session (signed in or not) stays exactly as it was.
        page = _login_page(
            request,
            status=429,
            error="Too many failed sign-ins for this name from this address. "
            f"Try again in {_wait_text(outcome.retry_after)}.",
            key=key,
            next_path=next_path,
            keep_session=True,
        )
        page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    if isinstance(outcome, sign_in.Refused):
        error = _REFUSALS[outcome.reason].format(role=outcome.role)
        return _login_page(request, status=400, error=error, key=key, next_path=next_path)
    # A new session (and CSRF token) at sign-in: nothing from before sign-in carries over.
    fresh = new_session(
        now_seconds(request), retailer_id=outcome.retailer_id, key=outcome.name, token=outcome.session_token
    )
    return redirect(safe_next(next_path), cookies=[session_cookie(request, fresh)])


@post("/logout", include_in_schema=False)
async def logout(request: Req) -> Response[Any]:
    session = read_session(request)
    if session is not None and session.signed_in:
        await submitted(request, session.csrf)
        assert session.token is not None
        # Ended on the server: the cookie as it was (copied, replayed) no longer signs anyone in.
        await session_store.end_session(context(request).db, session.token, context(request).clock())
        anonymous = signed_out(new_session(now_seconds(request)))
        return redirect("/admin/login", cookies=[session_cookie(request, anonymous)], notice="signed_out")
    return redirect("/admin/login", cookies=[expired_cookie(request)], notice="signed_out")


# --- Offers ------------------------------------------------------------------------------------


@get("/offers", include_in_schema=False)
async def offers_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    params = request.query_params
    search = (params.get("search") or "").strip()[:200]
    status_text = params.get("status") or ""
    status = int(status_text) if status_text in ("0", "1", "2", "3") else None
    offer_type = params.get("type") if params.get("type") in OFFER_TYPES else None
    page = page_number(params.get("page"))
    sort = params.get("sort") or "-created"
    if sort.removeprefix("-") not in offer_lists.SORT_KEYS:
        sort = "-created"
    result = await offers.list_offers(
        context(request).db,
        ListOffersRequest(
            retailer_id=admin.retailer.id,
            status=status,
            offer_type=offer_type,
            search=search or None,
            skip=(page - 1) * PAGE_SIZE,
            take=PAGE_SIZE,
        ),
        sort=sort,
    )
    pages = max((result.total_records + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    filters = {"search": search, "status": "" if status is None else str(status), "type": offer_type or ""}
    return render(
        "offers_list.html",
        admin=admin,
        notice=notice(request),
        offers=result.results,
        total=result.total_records,
        page=page,
        pages=pages,
        filters=filters,
        filtered=any(filters.values()),
        query={k: v for k, v in filters.items() if v} | ({"sort": sort} if sort != "-created" else {}),
        sort=sort,
        counts=await offer_lists.issued_and_redeemed(context(request).db, admin.retailer.id, result.results),
        status_of=lambda offer: offer_lists.status_label(offer, context(request).clock()),
    )


async def _store_names(request: Req, admin: Admin) -> dict[str, str]:
    stores = await tenancy.list_stores(context(request).db, admin.retailer.id)
    return {str(s.id): s.name for s in stores}


@get("/offers/new", include_in_schema=False)
async def new_offer_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = new_offer_form(timezone=admin.retailer.timezone, default_culture=admin.retailer.culture)
    return await offer_form_page(request, admin, form, offer=None)


async def _apply(
    request: Req, admin: Admin, body: dict[str, Any], index_map: IndexMap, offer: OfferRow | None, publish: bool
) -> tuple[MutationResult | None, dict[str, list[str]]]:
    """Decode the body as the API does and call the same service; the result, or errors by form key.

    The admin UI's one rule for what is saved: everything asked, or nothing. Every problem is found
    before anything is written (`checked_offer`: what does not decode, what the service would refuse,
    and with "Save and publish" what publishing needs), and any problem means nothing is saved: "Save
    and publish" never leaves a draft behind, "Save draft" saves an incomplete draft only when all it
    holds is valid.
    """
    ctx = context(request)
    decoded, errors = await checked_offer(ctx.db, admin.retailer.id, body, index_map, offer, publish)
    if decoded is None:
        return None, errors
    try:
        if isinstance(decoded, CreateOfferRequest):
            return await offers.create_offer(ctx.db, decoded, ctx.clock()), {}
        return await offers.update_offer(ctx.db, decoded, ctx.clock()), {}
    except ValidationFailed as exc:
        return None, map_errors(exc.fields, index_map) if exc.fields else {"": [exc.message]}


async def _save_offer(request: Req, admin: Admin, offer: OfferRow | None) -> Response[Any]:
    """Create (offer is None) or update from the posted form; errors re-render it and save nothing."""
    data = await submitted(request, admin.csrf)
    form, adding = parse_offer_form(data)
    if adding:
        return await offer_form_page(request, admin, form, offer=offer)
    publish = (data.get("publish") or ["0"])[0] == "1"
    body, index_map = form_body(admin, form, offer, publish)
    result, errors = await _apply(request, admin, body, index_map, offer, publish)
    if result is None:
        # Malformed, refused by the service, or not publishable when asked to publish: nothing was saved.
        form.place_errors(errors)
        return await offer_form_page(request, admin, form, offer=offer, status=400)
    if publish and result.new_status == DRAFT:
        # Only when the offer changed between the check and the save (another tab, the API).
        return redirect(f"/admin/offers/{result.offer_id}/edit", notice="not_publishable")
    if result.revisioned:
        outcome = "revisioned"
    elif publish:
        outcome = "published"
    else:
        outcome = "created" if offer is None else "saved"
    return redirect(f"/admin/offers/{result.offer_id}", notice=outcome)


@post("/offers/new", include_in_schema=False)
async def create_offer(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return await _save_offer(request, admin, None)


async def _latest(request: Req, admin: Admin, offer_id: str) -> OfferRow:
    return await offers.latest_revision(context(request).db, admin.retailer.id, uuid_or_404(offer_id, "offer"))


@get("/offers/{offer_id:str}", include_in_schema=False)
async def offer_detail(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    latest = await _latest(request, admin, offer_id)
    if str(latest.id) != offer_id.lower():
        return redirect(f"/admin/offers/{latest.id}")
    ctx = context(request)
    retailer = admin.retailer
    offer = await offers.fetch_offer(ctx.db, retailer.id, latest.id, None)
    details = await offers.offer_details(ctx.db, OfferDetailsRequest(retailer_id=retailer.id, offer_ids=[latest.id]))
    today = ctx.clock().astimezone(ZoneInfo(retailer.timezone)).date()
    series = await activity_series(
        ctx.db,
        retailer.id,
        latest.root_offer_id,
        first=today - timedelta(days=CHART_DAYS - 1),
        last=today,
        timezone=retailer.timezone,
    )
    counts = details.results[0]
    quiet = "No activity in the last 30 days" if counts.acquisition_count else "No activity yet"
    stores = await _store_names(request, admin)
    return render(
        "offer_detail.html",
        admin=admin,
        notice=notice(request),
        offer=offer,
        row=latest,
        counts=counts,
        chart=Markup(activity_chart(series, chart_id="activity", empty_text=quiet)),  # every text in it is escaped
        chart_rows=daily(series),
        discount=describe.discount_summary(offer.offer_type_id, offer.discount_config, retailer.currency),
        conditions=describe.conditions(offer, currency=retailer.currency, timezone=retailer.timezone, stores=stores),
        targeting=await catalog_targeting.targeting(ctx.db, retailer.id, offer),
        history=await audit_pages.offer_history(ctx.db, retailer.id, latest.root_offer_id),
    )


@get("/offers/{offer_id:str}/edit", include_in_schema=False)
async def edit_offer_page(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    latest = await _latest(request, admin, offer_id)
    if latest.status == DELETED:
        return redirect(f"/admin/offers/{latest.id}")
    form, index_map = form_from_definition(
        definition_of(latest), timezone=admin.retailer.timezone, default_culture=admin.retailer.culture
    )
    # A draft keeps, per field, what publishing it needs: show that next to the fields.
    banner = latest.status == DRAFT and bool(latest.validation_errors)
    if banner:
        form.place_errors(map_errors(latest.validation_errors, index_map))
    return await offer_form_page(request, admin, form, offer=latest, problems_banner=banner)


@post("/offers/{offer_id:str}/edit", include_in_schema=False)
async def edit_offer(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    latest = await _latest(request, admin, offer_id)
    return await _save_offer(request, admin, latest)


_ACTIONS = {"publish": "published", "deactivate": "deactivated", "reactivate": "reactivated"}


@post(
    ["/offers/{offer_id:str}/publish", "/offers/{offer_id:str}/deactivate", "/offers/{offer_id:str}/reactivate"],
    include_in_schema=False,
)
async def offer_lifecycle(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    action = _ACTIONS[request.url.path.rstrip("/").rsplit("/", 1)[1]]
    ctx = context(request)
    uuid = uuid_or_404(offer_id, "offer")
    try:
        result = await offer_status.change_status(ctx.db, admin.retailer.id, uuid, action, ctx.clock())
    except ValidationFailed:
        # Not publishable yet: the edit page shows, next to each field, what is missing.
        return redirect(f"/admin/offers/{offer_id}/edit", notice="not_publishable")
    return redirect(f"/admin/offers/{result.offer_id}", notice=action)


@get("/offers/{offer_id:str}/delete", include_in_schema=False)
async def delete_offer_page(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    latest = await _latest(request, admin, offer_id)
    return render(
        "confirm.html",
        admin=admin,
        title=f"Delete “{latest.title or 'Untitled offer'}”?",
        message="Deleting an offer stops it being issued and revokes the offers customers hold but have not "
        "redeemed. It cannot be undone.",
        action=f"/admin/offers/{latest.id}/delete",
        button="Delete offer",
        cancel=f"/admin/offers/{latest.id}",
    )


@post("/offers/{offer_id:str}/delete", include_in_schema=False)
async def delete_offer(request: Req, offer_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    await offer_status.change_status(ctx.db, admin.retailer.id, uuid_or_404(offer_id, "offer"), "deleted", ctx.clock())
    return redirect("/admin/offers", notice="deleted")


ADMIN_ROUTER = Router(
    "/admin",
    route_handlers=[
        admin_home,
        login_page,
        login,
        logout,
        offers_list,
        new_offer_page,
        create_offer,
        offer_detail,
        edit_offer_page,
        edit_offer,
        offer_lifecycle,
        delete_offer_page,
        delete_offer,
        *workspace_routes.ROUTES,
        *customer_pages.ROUTES,
        *rule_pages.ROUTES,
        *transaction_pages.ROUTES,
        *tenancy_pages.ROUTES,
        *webhook_pages.ROUTES,
        *people_pages.ROUTES,
        *audit_pages.ROUTES,
        *settings_pages.ROUTES,
        create_static_files_router(
            "/static", directories=[STATIC_DIR], cache_control=CacheControlHeader(max_age=86400), name="admin_static"
        ),
    ],
    exception_handlers=EXCEPTION_HANDLERS,
    before_request=check_access,
    include_in_schema=False,
)
error_routes.add_error_routes(ADMIN_ROUTER)

ROUTES: list[ControllerRouterHandler] = [root, ADMIN_ROUTER]
