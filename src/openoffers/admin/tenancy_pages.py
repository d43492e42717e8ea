"""Admin UI pages for stores, POS clients and API keys: list, create (a secret is shown once, on the
page that answers the creating POST, and never again), revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from openoffers.admin.forms import Form, split_list
from openoffers.admin.web import (
    Admin,
    Req,
    notice,
    redirect,
    render,
    require_admin,
    submitted,
    uuid_or_404,
)
from openoffers.context import context
from openoffers.kit.errors import Conflict, DomainError, NotFound, ValidationFailed
from openoffers.kit.ids import parse_uuid
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.service import Role

TIMEZONES = sorted(available_timezones())
ROLE_HELP = {
    Role.ADMIN.value: "everything, including this admin UI, stores, POS clients and keys",
    Role.OFFERS.value: "the Offers API (offers, users, wallets, points), not stores or keys",
    Role.POS.value: "read-only Offers API calls a POS middleware makes",
}
UUID_HINT = "must be a UUID such as 136b6d16-1317-4ac6-b551-19540d53bd6c"
FIELD_ERRORS = (ValidationFailed, NotFound, Conflict)


def _optional_uuid(form: Form, name: str) -> tuple[UUID | None, bool]:
    """(the UUID or None when blank, whether it was valid)."""
    text = form.value(name).strip()
    if not text:
        return None, True
    value = parse_uuid(text)
    if value is None:
        form.errors.setdefault(name, []).append(UUID_HINT)
        return None, False
    return value, True


def _refused(form: Form, exc: DomainError) -> None:
    form.place_errors(exc.fields or {"": [exc.message]})


# --- Stores -----------------------------------------------------------------------------------


@get("/stores", include_in_schema=False)
async def stores_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    stores = await tenancy.list_stores(context(request).db, admin.retailer.id)
    return render("stores.html", admin=admin, notice=notice(request), stores=stores)


def _store_form(admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    return render("store_form.html", status=status, admin=admin, form=form, timezones=TIMEZONES)


@get("/stores/new", include_in_schema=False)
async def new_store_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return _store_form(admin, Form(data={"timezone": [admin.retailer.timezone]}))


@post("/stores/new", include_in_schema=False)
async def create_store(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"name", "timezone", "tags", "id"}))
    store_id, valid = _optional_uuid(form, "id")
    if not valid:
        return _store_form(admin, form, 400)
    ctx = context(request)
    try:
        await tenancy.create_store(
            ctx.db,
            retailer_id=admin.retailer.id,
            name=form.value("name"),
            timezone=form.value("timezone").strip() or None,
            tags=tuple(split_list(form.value("tags"))),
            store_id=store_id,
            now=ctx.clock(),
        )
    except FIELD_ERRORS as exc:
        _refused(form, exc)
        return _store_form(admin, form, 400)
    return redirect("/admin/stores", notice="store_created")


# --- POS clients ------------------------------------------------------------------------------


@get("/pos-clients", include_in_schema=False)
async def clients_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    db = context(request).db
    clients = await tenancy.list_pos_clients(db, admin.retailer.id)
    stores = {s.id: s.name for s in await tenancy.list_stores(db, admin.retailer.id)}
    return render("clients.html", admin=admin, notice=notice(request), clients=clients, stores=stores)


async def _client_form(request: Req, admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    stores = await tenancy.list_stores(context(request).db, admin.retailer.id)
    return render("client_form.html", status=status, admin=admin, form=form, stores=stores)


@get("/pos-clients/new", include_in_schema=False)
async def new_client_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return await _client_form(request, admin, Form())


@post("/pos-clients/new", include_in_schema=False)
async def create_client(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"name", "store_ids", "id", "secret"}))
    client_id, valid = _optional_uuid(form, "id")
    store_ids = [parse_uuid(s) for s in form.values("store_ids")]
    if any(s is None for s in store_ids):
        form.errors.setdefault("store_ids", []).append("unknown store")
    if not valid or form.errors:
        return await _client_form(request, admin, form, 400)
    ctx = context(request)
    try:
        client, secret = await tenancy.create_pos_client(
            ctx.db,
            retailer_id=admin.retailer.id,
            client_id=client_id,
            secret=form.value("secret").strip() or None,
            store_ids=tuple(s for s in store_ids if s is not None),
            name=form.value("name"),
            now=ctx.clock(),
        )
    except FIELD_ERRORS as exc:
        _refused(form, exc)
        return await _client_form(request, admin, form, 400)
    # The secret is shown on this response only: it is stored as a hash and never shown again.
    return render(
        "secret_created.html",
        admin=admin,
        title="POS client created",
        what="POS client",
        name=client.name,
        public_label="Client id",
        public=str(client.id),
        secret=secret,
        back="/admin/pos-clients",
        back_label="Back to POS clients",
    )


@get("/pos-clients/{client_id:str}/revoke", include_in_schema=False)
async def revoke_client_page(request: Req, client_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    wanted = uuid_or_404(client_id, "POS client")
    clients = await tenancy.list_pos_clients(context(request).db, admin.retailer.id)
    client = next((c for c in clients if c.id == wanted), None)
    if client is None:
        raise NotFound("POS client not found")
    return render(
        "confirm.html",
        admin=admin,
        title=f"Revoke POS client {client.name or client.id}?",
        message="Point-of-sale systems using this client id and secret will be refused at once. "
        "This cannot be undone; create a new client to replace it.",
        action=f"/admin/pos-clients/{client.id}/revoke",
        button="Revoke POS client",
        cancel="/admin/pos-clients",
    )


@post("/pos-clients/{client_id:str}/revoke", include_in_schema=False)
async def revoke_client(request: Req, client_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    ctx = context(request)
    await tenancy.revoke_pos_client(
        ctx.db, retailer_id=admin.retailer.id, client_id=uuid_or_404(client_id, "POS client"), now=ctx.clock()
    )
    return redirect("/admin/pos-clients", notice="client_revoked")


# --- API keys ---------------------------------------------------------------------------------


@get("/keys", include_in_schema=False)
async def keys_list(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    keys = await tenancy.list_api_keys(context(request).db, admin.retailer.id)
    return render("keys.html", admin=admin, notice=notice(request), keys=keys)


def _key_form(admin: Admin, form: Form, status: int = 200) -> Response[Any]:
    return render("key_form.html", status=status, admin=admin, form=form, roles=ROLE_HELP)


@get("/keys/new", include_in_schema=False)
async def new_key_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    return _key_form(admin, Form(data={"role": [Role.OFFERS.value]}))


@post("/keys/new", include_in_schema=False)
async def create_key(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    form = Form(data=await submitted(request, admin.csrf), fields=frozenset({"name", "role", "key", "secret"}))
    ctx = context(request)
    try:
        api_key, secret = await tenancy.create_api_key(
            ctx.db,
            retailer_id=admin.retailer.id,
            role=form.value("role"),
            key=form.value("key").strip() or None,
            secret=form.value("secret").strip() or None,
            name=form.value("name"),
            now=ctx.clock(),
        )
    except FIELD_ERRORS as exc:
        _refused(form, exc)
        return _key_form(admin, form, 400)
    return render(
        "secret_created.html",
        admin=admin,
        title="API key created",
        what=f"API key ({api_key.role})",
        name=api_key.name,
        public_label="Key",
        public=api_key.key,
        secret=secret,
        back="/admin/keys",
        back_label="Back to API keys",
    )


def _own_key_check(admin: Admin, key_id: UUID) -> None:
    if admin.key is not None and admin.key.id == key_id:
        raise Conflict("You are signed in with this key. Sign in with another admin key to revoke it.")


@get("/keys/{key_id:str}/revoke", include_in_schema=False)
async def revoke_key_page(request: Req, key_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    wanted = uuid_or_404(key_id, "API key")
    _own_key_check(admin, wanted)
    keys = await tenancy.list_api_keys(context(request).db, admin.retailer.id)
    key = next((k for k in keys if k.id == wanted), None)
    if key is None:
        raise NotFound("API key not found")
    return render(
        "confirm.html",
        admin=admin,
        title=f"Revoke API key {key.key}?",
        message="Every program using this key will be refused at once, and admin sessions opened with it end. "
        "This cannot be undone.",
        action=f"/admin/keys/{key.id}/revoke",
        button="Revoke API key",
        cancel="/admin/keys",
    )


@post("/keys/{key_id:str}/revoke", include_in_schema=False)
async def revoke_key(request: Req, key_id: FromPath[str]) -> Response[Any]:
    admin = await require_admin(request)
    await submitted(request, admin.csrf)
    wanted = uuid_or_404(key_id, "API key")
    _own_key_check(admin, wanted)
    ctx = context(request)
    await tenancy.revoke_api_key(ctx.db, retailer_id=admin.retailer.id, key_id=wanted, now=ctx.clock())
    return redirect("/admin/keys", notice="key_revoked")


ROUTES = [
    stores_list,
    new_store_page,
    create_store,
    clients_list,
    new_client_page,
    create_client,
    revoke_client_page,
    revoke_client,
    keys_list,
    new_key_page,
    create_key,
    revoke_key_page,
    revoke_key,
]
