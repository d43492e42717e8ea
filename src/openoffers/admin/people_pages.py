"""Admin UI pages for people: the list, inviting someone (the invitation link is shown once, as there is
no mail), changing a role, deactivating; and the invitation page where the invitee chooses a password.

Only admins reach /admin/people (`admin.access`); the invitation page needs no sign-in: its link is the
proof. A role change or a deactivation ends that person's sessions at once (`tenancy.accounts`).
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin.forms import Form
from openoffers.admin.session import new_session
from openoffers.admin.web import (
    Admin,
    Req,
    notice,
    now_seconds,
    read_session,
    redirect,
    render,
    require_admin,
    session_cookie,
    submitted,
    uuid_or_404,
)
from openoffers.context import context
from openoffers.kit.actor import Actor, set_actor
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.tenancy import accounts as people
from openoffers.tenancy.accounts import ROLE_LABELS

ROLE_OPTIONS = [(role.value, label) for role, label in ROLE_LABELS.items()]
FIELD_ERRORS = (ValidationFailed, Conflict)


def _acting(admin: Admin) -> Any:
    return admin.account.id if admin.account is not None else None


async def _people_page(request: Req, admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    found = await people.list_accounts(context(request).db, admin.retailer.id)
    return render(
        "people.html",
        status=status,
        admin=admin,
        notice=notice(request),
        people=found,
        form=form,
        role_options=ROLE_OPTIONS,
        me=_acting(admin),
    )


@get("/people", include_in_schema=False)
async def people_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return await _people_page(request, admin, Form(data={"role": ["marketer"]}))


@post("/people/invite", include_in_schema=False)
async def invite(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"email", "name", "role"}))
    ctx = context(request)
    try:
        account, token = await people.invite(
            ctx.db,
            retailer_id=admin.retailer.id,
            email=form.value("email"),
            name=form.value("name"),
            role=form.value("role"),
            now=ctx.clock(),
        )
    except FIELD_ERRORS as exc:
        form.place_errors(exc.fields or {"": [exc.message]})
        if isinstance(exc, Conflict) and exc.fields:
            form.errors["email"] = [exc.message]
        return await _people_page(request, admin, form, 400)
    return render(
        "invitation_created.html", admin=admin, account=account, link=_link(request, token), days=people.INVITATION_DAYS
    )


@post("/people/{account_id:str}/reinvite", include_in_schema=False)
async def reinvite(request: Req, account_id: FromPath[str]) -> Response[Any]:
    """A new invitation link for someone who has not set a password; their old link stops working."""
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    account, token = await people.reinvite(
        ctx.db, retailer_id=admin.retailer.id, account_id=uuid_or_404(account_id, "person"), now=ctx.clock()
    )
    return render(
        "invitation_created.html", admin=admin, account=account, link=_link(request, token), days=people.INVITATION_DAYS
    )


def _link(request: Req, token: str) -> str:
    return f"{request.base_url}".rstrip("/") + f"/admin/invitation/{token}"


@post("/people/{account_id:str}/role", include_in_schema=False)
async def change_role(request: Req, account_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    data = await submitted(request, admin.csrf)
    ctx = context(request)
    await people.change_role(
        ctx.db,
        retailer_id=admin.retailer.id,
        account_id=uuid_or_404(account_id, "person"),
        role=(data.get("role") or [""])[0],
        now=ctx.clock(),
        acting=_acting(admin),
    )
    return redirect("/admin/people", notice="role_changed")


@get("/people/{account_id:str}/deactivate", include_in_schema=False)
async def deactivate_page(request: Req, account_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    wanted = uuid_or_404(account_id, "person")
    found = next(
        (p for p in await people.list_accounts(context(request).db, admin.retailer.id) if p.id == wanted), None
    )
    if found is None:
        raise NotFound("There is no such person.")
    return render(
        "confirm.html",
        admin=admin,
        title=f"Deactivate {found.email}?",
        message="They are signed out at once and can no longer sign in. What they changed stays in the audit log.",
        action=f"/admin/people/{found.id}/deactivate",
        button="Deactivate",
        cancel="/admin/people",
    )


@post("/people/{account_id:str}/deactivate", include_in_schema=False)
async def deactivate(request: Req, account_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    await people.deactivate(
        ctx.db,
        retailer_id=admin.retailer.id,
        account_id=uuid_or_404(account_id, "person"),
        now=ctx.clock(),
        acting=_acting(admin),
    )
    return redirect("/admin/people", notice="person_deactivated")


# --- The invitee's side: no sign-in; the link's token is the proof ------------------------------


def _invitation_page(request: Req, account: people.Account, form: Form, status: int = 200) -> Response[Any]:
    """The page starts an anonymous session when there is none: its CSRF token protects the form."""
    session = read_session(request)
    cookies = []
    if session is None or session.signed_in:
        session = new_session(now_seconds(request))
        cookies.append(session_cookie(request, session))
    return render("invitation.html", status=status, cookies=cookies, csrf=session.csrf, account=account, form=form)


async def _open_invitation(request: Req, token: str) -> people.Account:
    account = await people.invitation(context(request).db, token, context(request).clock())
    if account is None:
        raise NotFound("This invitation link has expired or was already used. Ask an admin for a new one.")
    return account


@get("/invitation/{token:str}", include_in_schema=False)
async def invitation_page(request: Req, token: FromPath[str]) -> Response[Any]:
    account = await _open_invitation(request, token)
    return _invitation_page(request, account, Form())


@post("/invitation/{token:str}", include_in_schema=False)
async def accept_invitation(request: Req, token: FromPath[str]) -> Response[Any]:
    account = await _open_invitation(request, token)
    session = read_session(request)
    if session is None:
        return _invitation_page(
            request,
            account,
            Form(general=["Your browser did not send the cookie back. Allow cookies for this site and try again."]),
            400,
        )
    form = Form(data=await submitted(request, session.csrf), fields=frozenset({"password", "confirm"}))
    password, confirm = form.value("password"), form.value("confirm")
    try:
        people.check_password(password)
    except ValidationFailed as exc:
        form.place_errors(exc.fields)
    if password != confirm:
        form.errors.setdefault("confirm", []).append("The two passwords are not the same.")
    if form.errors:
        form.data = {}
        return _invitation_page(request, account, form, 400)
    ctx = context(request)
    # The link proves who this is: the audit log names them as the one who chose the password.
    set_actor(Actor(account.actor, account.email))
    await people.accept_invitation(ctx.db, token, password, ctx.clock())
    return redirect("/admin/login", notice="password_set")


ROUTES = [
    people_list,
    invite,
    reinvite,
    change_role,
    deactivate_page,
    deactivate,
    invitation_page,
    accept_invitation,
]
