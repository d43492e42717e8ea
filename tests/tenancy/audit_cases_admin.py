"""The admin UI's forms and the command line's commands, and the audit rows each must leave
(`test_audit_complete.py` runs them). As in `audit_cases_api.py`: prepare, `w.start()`, one change,
the rows expected. In the admin UI the actor is the signed-in person; on the command line, `system`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from openoffers.tenancy import accounts as people
from openoffers.tenancy import service as tenancy
from tests.admin.test_accounts import PASSWORD, accept, open_browser
from tests.admin.test_routes import offer_form
from tests.admin.test_rule_pages import earn_form
from tests.tenancy.audit_cases_api import Case, issued_view, user_offer
from tests.tenancy.audit_support import Row, World
from tests.test_fuzz import offers_bodies

ADMIN_CASES: dict[str, Case] = {}
CLI_CASES: dict[str, Case] = {}
C = "/admin/customers/{user_id:str}"


def case(name: str, table: dict[str, Case] = ADMIN_CASES) -> Callable[[Case], Case]:
    def register(act: Case) -> Case:
        table[name] = act
        return act

    return register


def only_new(before: set[str], after: set[str]) -> str:
    [made] = after - before
    return made


async def rule_ids(w: World) -> set[str]:
    return {r["rule_id"] for r in (await w.api("/api/2.0/rules/list", {"take": 100}))["results"]}


async def webhook_ids(w: World) -> set[str]:
    return {e["webhook_id"] for e in (await w.api("/api/2.0/webhooks/list", {}))["results"]}


async def user_offer_ids(w: World) -> set[str]:
    found = await w.api("/api/2.0/offers/user_offer_history", {"user_ids": [w.ids.user_id], "take": 100})
    return {r["user_offer_id"] for r in found["results"]}


# ------------------------------------------------------------------------------------------ offers


@case("POST /admin/offers/new")
async def _offer_new(w: World) -> list[Row]:
    await w.start()
    made = await w.form("/admin/offers/new", offer_form())
    offer_id = made.headers["location"].split("/")[3].split("?")[0]
    return [w.by_owner("offer", offer_id, "created", None, await w.offer_view(offer_id))]


@case("POST /admin/offers/{offer_id:str}/edit")
async def _offer_edit(w: World) -> list[Row]:
    offer_id = await w.draft_offer(offers_bodies(w.ids, w.tenant)["/api/2.0/offers/management/create"])
    before = await w.offer_view(offer_id)
    await w.start()
    await w.form(f"/admin/offers/{offer_id}/edit", offer_form())
    # Never issued, so changed in place (no new revision).
    return [w.by_owner("offer", offer_id, "updated", before, await w.offer_view(offer_id))]


def offer_status_case(verb: str, action: str, was: str, now: str) -> None:
    @case(f"POST /admin/offers/{{offer_id:str}}/{verb}")
    async def act(w: World) -> list[Row]:
        offer_id = w.ids.offer_id
        if was == "draft":
            offer_id = await w.draft_offer(offers_bodies(w.ids, w.tenant)["/api/2.0/offers/management/create"])
        if was == "deactivated":
            await w.api("/api/2.0/offers/management/deactivate", {"offer_id": offer_id})
        await w.start()
        await w.form(f"/admin/offers/{offer_id}/{verb}")
        return [w.by_owner("offer", offer_id, action, {"revision": 1, "status": was}, {"revision": 1, "status": now})]


offer_status_case("publish", "published", "draft", "published")
offer_status_case("deactivate", "deactivated", "published", "deactivated")
offer_status_case("reactivate", "reactivated", "deactivated", "published")
offer_status_case("delete", "deleted", "published", "deleted")


# --------------------------------------------------------------------------------------- customers


@case("POST /admin/customers/new")
async def _customer_new(w: World) -> list[Row]:
    await w.start()
    sent = {"external_customer_id": "C-9", "first_name": "Cy", "last_name": "Young", "email": "", "phone": ""}
    made = await w.form("/admin/customers/new", sent)
    user_id = made.headers["location"].split("/")[3].split("?")[0]
    profile: dict[str, object] = {**sent, "email": None, "phone": None, "profile_fields": {}}
    return [w.by_owner("customer", user_id, "created", None, profile)]


@case(f"POST {C}/edit")
async def _customer_edit(w: World) -> list[Row]:
    await w.start()
    form = {"external_customer_id": "ext-1", "first_name": "Ada", "last_name": "Byron"}
    await w.form(f"/admin/customers/{w.ids.user_id}/edit", {**form, "email": "ada@example.com", "phone": "555-0100"})
    # The form sends every field; only the one that changed is recorded.
    return [w.by_owner("customer", w.ids.user_id, "updated", {"last_name": ""}, {"last_name": "Byron"})]


@case(f"POST {C}/issue")
async def _customer_issue(w: World) -> list[Row]:
    held = await user_offer_ids(w)
    await w.start()
    await w.form(f"/admin/customers/{w.ids.user_id}/issue", {"offer_id": w.ids.offer_id, "quantity": "1"})
    made = only_new(held, await user_offer_ids(w))
    return [w.by_owner("user_offer", made, "issued", None, issued_view(w, await user_offer(w, made)))]


@case(f"POST {C}/offers/{{user_offer_id:str}}/revoke")
async def _customer_revoke(w: World) -> list[Row]:
    await w.start()
    await w.form(f"/admin/customers/{w.ids.user_id}/offers/{w.ids.user_offer_id}/revoke", {"reason": "asked to"})
    after = {"status": "revoked", "reason": "asked to"}
    return [w.by_owner("user_offer", w.ids.user_offer_id, "revoked", {"status": "issued"}, after)]


@case(f"POST {C}/points")
async def _customer_points(w: World) -> list[Row]:
    await w.start()
    sent = {"amount": "-20", "reason": "correction", "reference": "r-1", "point_account_id": w.ids.point_account_id}
    await w.form(f"/admin/customers/{w.ids.user_id}/points", sent)
    history = await w.api("/api/2.0/user_points/history", {"user_id": w.ids.user_id, "take": 1})
    entry = history["results"][0]
    assert (entry["kind"], entry["amount"]) == ("spend", 20)
    account = w.ids.point_account_id
    before = {"point_account_id": account, "available": 500}
    after = {"point_account_id": account, "available": 480, "entry_id": entry["entry_id"]}
    return [w.by_owner("points", w.ids.user_id, "spend", before, after)]


@case("POST /admin/customers/import")
async def _customer_import(w: World) -> list[Row]:
    await w.start()
    await w.upload("/admin/customers/import", "spring.csv", "external_customer_id,first_name\nI-1,Ann\nI-2,Bo\n")
    # One row for the file, against the retailer (whose customers they are), not one per customer.
    return [w.by_owner("customer", w.retailer, "imported", None, {"created": 2, "file": "spring.csv"})]


@case("POST /admin/catalog/import")
async def _catalog_import(w: World) -> list[Row]:
    await w.start()
    await w.upload("/admin/catalog/import", "items.csv", "item_id,name,category_ids\n1,Latte,hot\n2,Mocha,hot\n")
    return [w.by_owner("catalog", w.retailer, "imported", None, {"imported": 2, "new": 2, "file": "items.csv"})]


# ------------------------------------------------------------------------------------------- rules


@case("POST /admin/rules/new")
async def _rule_new(w: World) -> list[Row]:
    held = await rule_ids(w)
    await w.start()
    await w.form("/admin/rules/new", earn_form())
    made = only_new(held, await rule_ids(w))
    return [w.by_owner("rule", made, "created", None, await w.rule_view(made))]


@case("POST /admin/rules/{rule_id:str}/edit")
async def _rule_edit(w: World) -> list[Row]:
    before = await w.rule_view(w.ids.rule_id)
    await w.start()
    await w.form(f"/admin/rules/{w.ids.rule_id}/edit", earn_form(name="Two per dollar", rate="2"))
    after = await w.rule_view(w.ids.rule_id)
    assert after["name"] == "Two per dollar"
    return [w.by_owner("rule", w.ids.rule_id, "updated", before, after)]


def rule_status_case(verb: str, action: str) -> None:
    @case(f"POST /admin/rules/{{rule_id:str}}/{verb}")
    async def act(w: World) -> list[Row]:
        if verb == "activate":
            await w.api("/api/2.0/rules/deactivate", {"rule_id": w.ids.rule_id})
        before = await w.rule_view(w.ids.rule_id)
        await w.start()
        await w.form(f"/admin/rules/{w.ids.rule_id}/{verb}")
        return [w.by_owner("rule", w.ids.rule_id, action, before, await w.rule_view(w.ids.rule_id))]


rule_status_case("activate", "activated")
rule_status_case("deactivate", "deactivated")


# -------------------------------------------------------------------- stores, POS clients, keys


@case("POST /admin/stores/new")
async def _store_new(w: World) -> list[Row]:
    held = {str(s.id) for s in await tenancy.list_stores(w.db, w.tenant.retailer_id)}
    await w.start()
    await w.form("/admin/stores/new", {"name": "Uptown", "timezone": "America/Chicago", "tags": "North, Late"})
    made = only_new(held, {str(s.id) for s in await tenancy.list_stores(w.db, w.tenant.retailer_id)})
    after = {"name": "Uptown", "timezone": "America/Chicago", "tags": ["late", "north"]}  # kept sorted
    return [w.by_owner("store", made, "created", None, after)]


@case("POST /admin/stores/{store_id:str}/edit")
async def _store_edit(w: World) -> list[Row]:
    await w.start()
    sent = {"name": "Main Street", "timezone": "America/Chicago", "tags": "downtown"}
    await w.form(f"/admin/stores/{w.tenant.store_id}/edit", sent)
    before = {"name": "Main St", "timezone": "America/New_York", "tags": ["downtown"]}
    after = {"name": "Main Street", "timezone": "America/Chicago", "tags": ["downtown"]}
    return [w.by_owner("store", w.tenant.store_id, "updated", before, after)]


@case("POST /admin/pos-clients/new")
async def _client_new(w: World) -> list[Row]:
    held = {str(c.id) for c in await tenancy.list_pos_clients(w.db, w.tenant.retailer_id)}
    await w.start()
    await w.form("/admin/pos-clients/new", {"name": "Tills", "store_ids": str(w.tenant.store_id)}, status=200)
    made = only_new(held, {str(c.id) for c in await tenancy.list_pos_clients(w.db, w.tenant.retailer_id)})
    after = {"name": "Tills", "store_ids": [str(w.tenant.store_id)], "revoked": False}
    return [w.by_owner("pos_client", made, "created", None, after)]


@case("POST /admin/pos-clients/{client_id:str}/revoke")
async def _client_revoke(w: World) -> list[Row]:
    await w.start()
    await w.form(f"/admin/pos-clients/{w.tenant.client_id}/revoke")
    view = {"name": "", "store_ids": [str(w.tenant.store_id)]}
    before, after = {**view, "revoked": False}, {**view, "revoked": True}
    return [w.by_owner("pos_client", w.tenant.client_id, "revoked", before, after)]


async def key_row_id(w: World, key: str) -> str:
    return next(str(k.id) for k in await tenancy.list_api_keys(w.db, w.tenant.retailer_id) if k.key == key)


@case("POST /admin/keys/new")
async def _key_new(w: World) -> list[Row]:
    await w.start()
    await w.form("/admin/keys/new", {"name": "CRM", "role": "offers", "key": "crm-sync", "secret": ""}, status=200)
    after = {"key": "crm-sync", "name": "CRM", "role": "offers", "revoked": False}
    return [w.by_owner("api_key", await key_row_id(w, "crm-sync"), "created", None, after)]


@case("POST /admin/keys/{key_id:str}/revoke")
async def _key_revoke(w: World) -> list[Row]:
    made, _ = await tenancy.create_api_key(
        w.db, retailer_id=w.tenant.retailer_id, role="pos", key="till-sync", name="Tills", now=w.clock()
    )
    await w.start()
    await w.form(f"/admin/keys/{made.id}/revoke")
    view = {"key": "till-sync", "name": "Tills", "role": "pos"}
    return [w.by_owner("api_key", made.id, "revoked", {**view, "revoked": False}, {**view, "revoked": True})]


# ---------------------------------------------------------------------------------------- webhooks

HOOKS = "/admin/webhooks/{webhook_id:str}"


@case("POST /admin/webhooks/new")
async def _webhook_new(w: World) -> list[Row]:
    held = await webhook_ids(w)
    await w.start()
    await w.form("/admin/webhooks/new", {"url": "https://hooks.example.com/in", "description": "crm"}, status=200)
    made = only_new(held, await webhook_ids(w))
    return [w.by_owner("webhook", made, "created", None, await w.webhook(made))]


def webhook_case(verb: str, action: str, prepare: str | None = None) -> None:
    @case(f"POST {HOOKS}/{verb}")
    async def act(w: World) -> list[Row]:
        hook = w.ids.webhook_id
        if prepare:
            await w.api(f"/api/2.0/webhooks/{prepare}", {"webhook_id": hook})
        before = await w.webhook(hook)
        w.clock.advance(minutes=1)
        await w.start()
        await w.form(f"/admin/webhooks/{hook}/{verb}", status=200 if verb == "rotate" else 303)
        after = None if verb == "delete" else await w.webhook(hook)
        return [w.by_owner("webhook", hook, action, before, after)]


webhook_case("rotate", "secret_rotated")
webhook_case("pause", "paused")
webhook_case("resume", "resumed", prepare="pause")
webhook_case("delete", "deleted")


@case(f"POST {HOOKS}/deliveries/{{delivery_id:str}}/resend")
async def _webhook_resend(w: World) -> list[Row]:
    hook, delivery = w.ids.webhook_id, w.ids.delivery_id
    before = await w.delivery(hook, delivery)
    await w.start()
    await w.form(f"/admin/webhooks/{hook}/deliveries/{delivery}/resend")
    return [w.by_owner("webhook", hook, "resent", before, await w.delivery(hook, delivery))]


# ------------------------------------------------------------------------------------------ people


async def invited(w: World, email: str = "mia@example.com") -> tuple[str, str]:
    account, token = await people.invite(
        w.db, retailer_id=w.tenant.retailer_id, email=email, name="Mia", role="marketer", now=w.clock()
    )
    return str(account.id), token


MIA = {"email": "mia@example.com", "name": "Mia", "role": "marketer"}


@case("POST /admin/people/invite")
async def _invite(w: World) -> list[Row]:
    await w.start()
    await w.form("/admin/people/invite", MIA, status=200)
    made = next(str(a.id) for a in await people.list_accounts(w.db, w.tenant.retailer_id) if a.email == MIA["email"])
    return [w.by_owner("account", made, "invited", None, {**MIA, "status": "invited"})]


@case("POST /admin/people/{account_id:str}/role")
async def _role(w: World) -> list[Row]:
    mia, _ = await invited(w)
    await w.start()
    await w.form(f"/admin/people/{mia}/role", {"role": "viewer"})
    before, after = {**MIA, "status": "invited"}, {**MIA, "role": "viewer", "status": "invited"}
    return [w.by_owner("account", mia, "role_changed", before, after)]


@case("POST /admin/people/{account_id:str}/deactivate")
async def _deactivate(w: World) -> list[Row]:
    mia, _ = await invited(w)
    await w.start()
    await w.form(f"/admin/people/{mia}/deactivate")
    before, after = {**MIA, "status": "invited"}, {**MIA, "status": "deactivated"}
    return [w.by_owner("account", mia, "deactivated", before, after)]


@case("POST /admin/people/{account_id:str}/reinvite")
async def _reinvite(w: World) -> list[Row]:
    first = w.clock()
    mia, _ = await invited(w)
    w.clock.advance(hours=2)  # a later link (within the admin's session)
    await w.start()
    await w.form(f"/admin/people/{mia}/reinvite", status=200)
    before = {**MIA, "status": "invited", "invite_expires_at": (first + timedelta(days=7)).isoformat()}
    after = {**before, "invite_expires_at": (w.clock() + timedelta(days=7)).isoformat()}
    return [w.by_owner("account", mia, "reinvited", before, after)]


@case("POST /admin/invitation/{token:str}")
async def _accept(w: World) -> list[Row]:
    mia, token = await invited(w)
    async with await open_browser(w.app, "10.0.0.9") as invitee:
        await w.start()
        done = await accept(invitee, f"/admin/invitation/{token}", PASSWORD)
        assert done.status_code == 303, done.text
    # The invitee acts, not the admin who invited them.
    row = w.by_owner("account", mia, "password_set", {**MIA, "status": "invited"}, {**MIA, "status": "active"})
    return [(row[0], f"account:{mia}", *row[2:])]


# ------------------------------------------------------------------------------------- command line


def cli_case(name: str) -> Callable[[Case], Case]:
    return case(f"cli {name}", CLI_CASES)


@cli_case("retailer create")
async def _cli_retailer(w: World) -> list[Row]:
    await w.start()
    made = await w.cli("retailer", "create", "--name", "Second", "--timezone", "Europe/Paris", "--currency", "eur")
    rid = made["retailer_id"]
    after = {"name": "Second", "currency": "EUR", "timezone": "Europe/Paris", "culture": "en"}
    # The first row of the new retailer's own log.
    return [w.by_system("retailer", rid, "created", None, after, retailer=rid)]


# The retailer's loyalty settings as their one writer records them (`loyalty.service.set_loyalty_settings`).
SETTINGS = {"points_clawback": "negative", "points_expiry_months": 0}


@cli_case("retailer points-clawback")
async def _cli_clawback(w: World) -> list[Row]:
    await w.start()
    await w.cli("retailer", "points-clawback", "--retailer", w.retailer, "--set", "floor")
    # Shown without --set, it changes nothing and is not audited.
    assert (await w.cli("retailer", "points-clawback", "--retailer", w.retailer))["points_clawback"] == "floor"
    after = {**SETTINGS, "points_clawback": "floor"}
    return [w.by_system("loyalty_settings", w.retailer, "updated", SETTINGS, after)]


@cli_case("retailer points-expiry")
async def _cli_expiry(w: World) -> list[Row]:
    await w.start()
    await w.cli("retailer", "points-expiry", "--retailer", w.retailer, "--set", "12")
    after = {**SETTINGS, "points_expiry_months": 12}
    return [w.by_system("loyalty_settings", w.retailer, "updated", SETTINGS, after)]


@case("POST /admin/settings")
async def _settings(w: World) -> list[Row]:
    await w.start()
    await w.form("/admin/settings", {"points_expiry_months": "6", "points_clawback": "floor"})
    after = {"points_clawback": "floor", "points_expiry_months": 6}
    return [w.by_owner("loyalty_settings", w.retailer, "updated", SETTINGS, after)]


@cli_case("key create")
async def _cli_key(w: World) -> list[Row]:
    await w.start()
    await w.cli("key", "create", "--retailer", w.retailer, "--key", "etl-load", "--role", "offers")
    after = {"key": "etl-load", "name": "", "role": "offers", "revoked": False}
    return [w.by_system("api_key", await key_row_id(w, "etl-load"), "created", None, after)]


@cli_case("account create")
async def _cli_account(w: World) -> list[Row]:
    await w.start()
    await w.cli("account", "create", "--retailer", w.retailer, "--email", "ops@example.com", "--role", "viewer")
    made = next(a for a in await people.list_accounts(w.db, w.tenant.retailer_id) if a.email == "ops@example.com")
    after = {"email": "ops@example.com", "name": "", "role": "viewer", "status": "active"}
    return [w.by_system("account", made.id, "created", None, after)]


@cli_case("store create")
async def _cli_store(w: World) -> list[Row]:
    await w.start()
    made = await w.cli("store", "create", "--retailer", w.retailer, "--name", "Harbour", "--tag", "Sea")
    after = {"name": "Harbour", "timezone": "America/New_York", "tags": ["sea"]}
    return [w.by_system("store", made["store_id"], "created", None, after)]


@cli_case("client create")
async def _cli_client(w: World) -> list[Row]:
    held = {str(c.id) for c in await tenancy.list_pos_clients(w.db, w.tenant.retailer_id)}
    await w.start()
    store = str(w.tenant.store_id)
    await w.cli("client", "create", "--retailer", w.retailer, "--store", store, "--name", "Lane 1")
    made = only_new(held, {str(c.id) for c in await tenancy.list_pos_clients(w.db, w.tenant.retailer_id)})
    return [
        w.by_system("pos_client", made, "created", None, {"name": "Lane 1", "store_ids": [store], "revoked": False})
    ]


@cli_case("user create")
async def _cli_user(w: World) -> list[Row]:
    await w.start()
    made = await w.cli(
        "user", "create", "--retailer", w.retailer, "--external-customer-id", "cli-1", "--first-name", "Cy"
    )
    profile: dict[str, object] = {
        "external_customer_id": "cli-1",
        "first_name": "Cy",
        "last_name": "",
        "email": None,
        "phone": None,
        "profile_fields": {},
    }
    return [w.by_system("customer", made["user_id"], "created", None, profile)]


@cli_case("catalog import")
async def _cli_catalog(w: World) -> list[Row]:
    path = w.tmp / "items.jsonl"
    path.write_text('{"item_id": "1", "name": "Latte"}\n{"item_id": "1", "name": "Oat latte"}\n{"item_id": "2"}\n')
    await w.start()
    await w.cli("catalog", "import", str(path), "--retailer", w.retailer, "--batch-size", "2")
    # A transaction per batch, so a row per batch (two here), never one per item of a large file. The
    # first batch names item 1 twice: one item imported (the last line wins).
    return [
        w.by_system("catalog", w.retailer, "imported", None, {"imported": 1, "new": 1, "file": path.name, "batch": 1}),
        w.by_system("catalog", w.retailer, "imported", None, {"imported": 1, "new": 1, "file": path.name, "batch": 2}),
    ]
