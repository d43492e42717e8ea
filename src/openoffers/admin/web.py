"""Plumbing of the admin pages: templates, the signed-in admin, CSRF-checked forms, HTML errors.

The API renders errors as JSON envelopes; under /admin the same `DomainError`s become pages, through
the exception handlers of the admin router (they take precedence over the app's for these routes).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from openoffers.admin import csrf, describe, plain_words, session_store
from openoffers.admin.forms import field_id, read_form
from openoffers.admin.offer_form_shape import DISCOUNT_USED_BY, LABELS
from openoffers.admin.session import COOKIE_NAME, COOKIE_PATH, Session, SessionSigner
from openoffers.context import context
from openoffers.kit.actor import Actor, set_actor
from openoffers.kit.db import unavailable
from openoffers.kit.errors import DomainError, NotFound, ValidationFailed
from openoffers.kit.ids import parse_uuid
from openoffers.offers.schemas import OFFER_TYPES
from openoffers.tenancy.accounts import Account, AccountRole
from openoffers.tenancy.audit import ACTION_LABELS as AUDIT_ACTIONS
from openoffers.tenancy.repository import ApiKey, Retailer

Req = Request[Any, Any, Any]
log = logging.getLogger("openoffers.admin")

STATIC_DIR = Path(__file__).parent / "static"
HOME = "/admin/dashboard"

# No inline script or style anywhere: the pages need nothing else. Offer images may live anywhere. The
# script may call this site only (a file import sends its form itself, to show its progress).
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: http: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}

NOTICES = {
    "signed_out": "You have signed out.",
    "expired": "Your session has ended. Please sign in again.",
    "created": "Offer saved as a draft.",
    "published": "Offer published.",
    "saved": "Changes saved.",
    "revisioned": "Changes saved as a new revision. Customers who already hold the offer keep the terms they got.",
    "not_publishable": "Not published: it can be published once the problems marked below are fixed.",
    "deactivated": "Offer deactivated: it is no longer issued. Offers already issued stay redeemable.",
    "reactivated": "Offer reactivated.",
    "deleted": "Offer deleted.",
    "store_created": "Store created.",
    "store_saved": "Store saved. Point-of-sale calls see the change within seconds.",
    "settings_saved": "Loyalty settings saved.",
    "client_revoked": "POS client revoked. It can no longer call the POS API.",
    "key_revoked": "API key revoked. It can no longer call the API or sign in.",
    "customer_created": "Customer created.",
    "customer_saved": "Profile saved.",
    "revoked": "Offer revoked. The reason is recorded in its history.",
    "points_adjusted": "Points adjusted. The reason is recorded in the ledger.",
    "points_already": "That change was already applied (the form was sent twice); nothing more changed.",
    "rule_created": "Rule created. It applies to events from now on.",
    "rule_saved": "Rule saved. It applies to events from now on.",
    "rule_deactivated": "Rule deactivated: it no longer fires.",
    "rule_activated": "Rule activated: it fires again from now on.",
    "role_changed": "Role changed. They were signed out, and sign in again with their new role.",
    "person_deactivated": "Person deactivated. They were signed out and can no longer sign in.",
    "password_set": "Your password is set. Sign in with your e-mail address and password.",
}


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


ENV = Environment(
    loader=PackageLoader("openoffers.admin", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(
    field_id=field_id,
    type_label=describe.type_label,
    STATUS_LABELS=describe.STATUS_LABELS,
    OFFER_TYPES=OFFER_TYPES,
    TYPE_LABELS=describe.OFFER_TYPE_LABELS,
    PERIOD_OPTIONS=[(u, u.capitalize()) for u in describe.PERIOD_UNITS],
    DAY_OPTIONS=[(d, d.capitalize()) for d in describe.DAYS],
    MODE_OPTIONS={
        "stores": [("include", "Only at these stores"), ("exclude", "Everywhere but these stores")],
        "items": [("include", "Only these items"), ("exclude", "Everything but these items")],
    },
    CSRF_FIELD=csrf.FIELD,
    ASSET_VERSION=_asset_version(),
    DISCOUNT_USED_BY=DISCOUNT_USED_BY,
    LABELS=LABELS,
    customer_name=describe.customer_name,
    AUDIT_ACTIONS=AUDIT_ACTIONS,
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


_FIELD = re.compile(r"[a-z_][a-z0-9_.\[\]]*")


def import_problem(problem: str) -> str:
    """A line of an import's report in plain words where the decoder spoke ("item_id: Expected `str` of
    length >= 1" reads "item_id: This cannot be empty."): the column's name stays, as the file names it."""
    field, sep, message = problem.partition(": ")
    if not sep or not _FIELD.fullmatch(field):
        return problem
    return f"{field}: {plain_words.plain(message, field)}"


ENV.filters.update(money=describe.money, local_time=describe.local_time, b64=_b64, import_problem=import_problem)


@dataclass(frozen=True, slots=True)
class Admin:
    """Who is signed in: a person's account (with its role) or an active API key with the admin role,
    and its retailer. `admin.access` decides what the role may reach."""

    retailer: Retailer
    session: Session
    role: str  # admin, marketer or viewer (tenancy.accounts.AccountRole)
    key: ApiKey | None = None
    account: Account | None = None

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def label(self) -> str:
        """How pages and the audit log name who is signed in."""
        if self.account is not None:
            return self.account.email
        assert self.key is not None
        return f"API key {self.key.name or self.key.key}"

    @property
    def actor(self) -> Actor:
        if self.account is not None:
            return Actor(self.account.actor, self.account.email)
        assert self.key is not None
        return Actor(f"api_key:{self.key.key}", self.label)

    @property
    def can_change(self) -> bool:
        return self.role in (AccountRole.ADMIN, AccountRole.MARKETER)

    @property
    def is_admin(self) -> bool:
        return self.role == AccountRole.ADMIN


class NotSignedIn(Exception):
    pass


class FormRejected(Exception):
    """The CSRF token was missing or wrong."""


def render(template: str, *, status: int = 200, cookies: list[Cookie] | None = None, **values: Any) -> Response[str]:
    values.setdefault("admin", None)
    values.setdefault("notice", None)
    html = ENV.get_template(template).render(**values)
    return Response(html, media_type=MediaType.HTML, status_code=status, headers=PAGE_HEADERS, cookies=cookies or [])


def redirect(path: str, *, cookies: list[Cookie] | None = None, **query: str) -> Response[Any]:
    target = f"{path}?{urlencode(query)}" if query else path
    return Redirect(target, status_code=303, cookies=cookies or [], headers={"Cache-Control": "no-store"})


def notice(request: Req) -> str | None:
    return NOTICES.get(request.query_params.get("notice") or "")


def page_number(text: str | None, default: int = 1) -> int:
    """A positive page number from a query parameter; anything else is `default`."""
    return max(int(text), 1) if text and text.isdigit() and len(text) < 9 else default


def actor_of(admin: Admin) -> str:
    """Who to record in a user offer event or ledger entry: the signed-in key as the API records it, or
    the person's e-mail address."""
    if admin.account is not None:
        return f"account:{admin.account.email}"
    assert admin.key is not None
    return f"api_key:{admin.key.key}"


def now_seconds(request: Req) -> int:
    return int(context(request).clock().timestamp())


def _signer(request: Req) -> SessionSigner:
    return SessionSigner(context(request).settings.secret_key)


def read_session(request: Req) -> Session | None:
    return _signer(request).loads(request.cookies.get(COOKIE_NAME), now_seconds(request))


def session_cookie(request: Req, session: Session) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value=_signer(request).dumps(session),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def expired_cookie(request: Req) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value="",
        path=COOKIE_PATH,
        max_age=0,
        expires=0,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


async def current_admin(request: Req) -> Admin | None:
    """Who is signed in, looked up once per request (`admin.access` asks first; the page asks again).
    It also names who acts, for the audit log."""
    if "admin" in request.scope["state"]:
        cached: Admin | None = request.scope["state"]["admin"]
        return cached
    admin = await _look_up_admin(request)
    request.scope["state"]["admin"] = admin
    if admin is not None:
        set_actor(admin.actor)
    return admin


async def _look_up_admin(request: Req) -> Admin | None:
    session = read_session(request)
    if session is None or session.token is None:
        return None
    ctx = context(request)
    found = await session_store.find_admin(ctx.db, session.token, ctx.clock())
    if found is None or found.retailer.id != session.retailer_id or found.name != session.key:
        return None
    return Admin(retailer=found.retailer, session=session, role=found.role, key=found.key, account=found.account)


async def require_admin(request: Req) -> Admin:
    admin = await current_admin(request)
    if admin is None:
        raise NotSignedIn()
    return admin


async def refuse_nul(request: Req) -> None:
    """Before every admin request. No browser puts a NUL character in an address, and PostgreSQL can
    neither store nor compare one: a 400 page here instead of a 500 from deep inside a query."""
    if b"%00" in request.scope["query_string"].lower() or "\x00" in request.scope["path"]:
        raise ValidationFailed("The address contains a NUL character, which is never valid here.")


async def submitted(request: Req, expected_csrf: str) -> dict[str, list[str]]:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    data: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            data.setdefault(name, []).append(value)
    if not csrf.is_valid(expected_csrf, (data.get(csrf.FIELD) or [""])[0]):
        raise FormRejected()
    if any("\x00" in value for values in data.values() for value in values):
        # Only a hand-made request sends it (see `refuse_nul`); nothing is saved.
        raise ValidationFailed("The form contains a NUL character, which is never valid here.")
    data.pop(csrf.FIELD, None)
    return read_form(data)


def uuid_or_404(text: str, what: str = "page") -> UUID:
    value = parse_uuid(text)
    if value is None:
        raise NotFound(f"{what} not found")
    return value


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path of this admin UI, never another site."""
    if not value or not value.startswith("/admin") or "\\" in value or any(c <= " " for c in value):
        return HOME
    if value.rstrip("/") in ("/admin", "/admin/login", "/admin/logout"):
        return HOME
    return value


# --- Errors as pages ---------------------------------------------------------------------------


# The list page each admin section's addresses start with: an error page links back to it.
_SECTIONS = {
    "dashboard": "the dashboard",
    "exports": "exports",
    "catalog": "the catalog",
    "offers": "offers",
    "customers": "customers",
    "rules": "rules",
    "transactions": "transactions",
    "stores": "stores",
    "pos-clients": "POS clients",
    "keys": "API keys",
    "people": "people",
    "audit": "the audit log",
}


def back_link(path: str) -> tuple[str, str]:
    """Where an error page sends the reader: the list of the section the address is in, else home."""
    parts = path.split("/")
    section = parts[2] if len(parts) > 2 and parts[1] == "admin" else ""
    if section in _SECTIONS:
        return f"/admin/{section}", f"Back to {_SECTIONS[section]}"
    return "/admin", "Back to the admin pages"


def _error_page(
    request: Req, status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> Response[str]:
    href, text = back_link(request.url.path)
    page = render("error.html", status=status, title=title, message=message, back_href=href, back_text=text)
    page.headers.update(headers or {})
    return page


def handle_not_signed_in(request: Req, _exc: NotSignedIn) -> Response[Any]:
    query: dict[str, str] = {}
    if request.method == "GET":
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        query["next"] = path
    if request.cookies.get(COOKIE_NAME):
        # A cookie that no longer works (expired, or its key revoked) means a session ended; the
        # cookie the sign-in page sets before signing in does not.
        session = read_session(request)
        if session is None or session.signed_in:
            query["notice"] = "expired"
    return redirect("/admin/login", cookies=[expired_cookie(request)] if "notice" in query else None, **query)


def handle_form_rejected(request: Req, _exc: FormRejected) -> Response[str]:
    return _error_page(
        request,
        403,
        "This form has expired",
        "The page was open too long, or came from somewhere else. Go back, reload the page and try again.",
    )


_TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "That is not possible now",
    413: "Too much at once",
}
_HTTP_MESSAGES = {
    404: "There is no such page.",
    405: "This address cannot be used that way. Use the links and buttons on the pages.",
    413: "What was sent is too large.",
}


def explain(request: Req, exc: Exception) -> tuple[int, str, str]:
    """The status, title and message of an error page for `exc`; what is not the reader's doing is
    logged. Also the words of an import that fails once its progress stream has begun."""
    if isinstance(exc, DomainError):
        return exc.status, _TITLES.get(exc.status, "Something went wrong"), exc.message
    reason = unavailable(exc)
    if reason is not None:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
        return 503, "Busy right now", "The database did not answer in time. Try again shortly."
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return 500, "Something went wrong", "An unexpected error happened; it has been logged."


def handle_domain_error(request: Req, exc: DomainError) -> Response[str]:
    return _error_page(request, *explain(request, exc))


def handle_http_error(request: Req, exc: HTTPException) -> Response[str]:
    """Litestar's own errors (no such page, wrong method, too large) as pages, with their headers
    (`Allow` on a 405); only the wording of known statuses is shown, never internals."""
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        message = "An unexpected error happened; it has been logged."
    else:
        message = _HTTP_MESSAGES.get(status, str(exc.detail))
    allow = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return _error_page(request, status, _TITLES.get(status, "Something went wrong"), message, allow)


def handle_unexpected(request: Req, exc: Exception) -> Response[str]:
    status, title, message = explain(request, exc)
    return _error_page(request, status, title, message, {"Retry-After": "1"} if status == 503 else None)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    NotSignedIn: handle_not_signed_in,
    FormRejected: handle_form_rejected,
    DomainError: handle_domain_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}
