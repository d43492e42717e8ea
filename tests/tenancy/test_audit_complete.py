"""Every change made in the admin UI, through the management API or on the command line is in the audit
log (issue 13, item 7), on both engines.

The routes are found by walking the app (every API and admin route with a method other than GET, as
`test_tenant_ids.py` walks them) and the command line (every command). Each must be either a case of
`audit_cases_api.py` / `audit_cases_admin.py`, which makes one valid change and names the exact rows
it must leave (who, which object, what action, before and after), or in `NOT_AUDITED` with its reason.
A new route or command that is neither fails `test_every_route_and_command_is_audited_or_excused`.

An excuse is checked too, by calling the route with a valid request: a read must leave every table as
it was, a sign-in may touch the session table only, and the POS's and the customers' own calls (which
do change things, recorded elsewhere) must write no audit row. The POS routes excused are exactly the
POS family of `kit.http.ENDPOINTS`, so no management route can hide among them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main

from openoffers.app import create_app
from openoffers.cli import app as cli_app
from openoffers.kit.db import Database
from openoffers.kit.http import ENDPOINTS
from openoffers.settings import Settings
from tests.admin.test_accounts import open_browser, sign_in_as
from tests.admin.test_routes import offer_form
from tests.conftest import FrozenClock, Tenant, snapshot
from tests.tenancy.audit_cases_admin import ADMIN_CASES, CLI_CASES
from tests.tenancy.audit_cases_api import API_CASES
from tests.tenancy.audit_support import OWNER, Log, World, owner_of
from tests.test_fuzz import _envelope, offers_bodies, pos_payloads, seed

CASES = {**API_CASES, **ADMIN_CASES, **CLI_CASES}

READ = "read"  # changes nothing: checked
POS = "pos"  # the till's work: in the check, the ledger and the user offer's history
CUSTOMER = "customer"  # the customer's own activity, reported by the retailer's systems
SESSION = "session"  # a person's own session
NOT_RUN = "not run"  # a command that is not a change to a retailer's data

_TILL = "the till's work: kept in the check, its versions, the ledger and each user offer's history"
_READS = "reads only (checked: every table as it was)"
NOT_AUDITED: dict[str, tuple[str, str]] = {
    **{
        f"POST /api/2.0/{path}": (READ, _READS)
        for path in (
            "offers/fetch_offer",
            "offers/fetch_offers_details",
            "offers/get_user_offer",
            "offers/get_user_offers",
            "offers/list",
            "offers/user_offer_history",
            "offers/rewardstores/get_reward_store_offers",
            "offers/rewardstores/get_user_reward_stores",
            "point_accounts/list",
            "reports/programme",
            "rules/get",
            "rules/list",
            "rules/simulate",
            "user_points/all_balances",
            "user_points/balances",
            "user_points/history",
            "users/get",
            "webhooks/deliveries",
            "webhooks/list",
        )
    },
    **{
        f"{method} /api/2.0/{path}": (POS, _TILL)
        for method, path in (
            ("POST", "lookup"),
            ("POST", "lock"),
            ("PATCH", "lock"),
            ("POST", "offers/redemption/lock"),
            ("PATCH", "offers/redemption/lock"),
            ("POST", "redeem"),
            ("POST", "unlock"),
            ("POST", "reinstate"),
            ("POST", "send_transaction"),
            ("POST", "offers/send_transaction"),
        )
    },
    "POST /api/2.0/offers/claim_code": (
        CUSTOMER,
        "a code the customer's app shows the till for ten minutes: a step of redeeming, not a change to the offer",
    ),
    "POST /api/2.0/offers/rewardstores/purchase_offer": (
        CUSTOMER,
        "the customer buys with their own points: the ledger's spend and the user offers' `issued` events hold it",
    ),
    "POST /api/2.0/user_events/trigger": (
        CUSTOMER,
        "the customer's activity reported by the retailer's app; what rules give for it is in the ledger and histories",
    ),
    "POST /api/2.0/user_events/trigger_user_event": (CUSTOMER, "as user_events/trigger (the .NET client's name)"),
    "POST /admin/login": (SESSION, "a person opens their own session; the retailer's data is untouched"),
    "POST /admin/logout": (SESSION, "a person ends their own session"),
    "cli serve": (NOT_RUN, "starts the server"),
    "cli db upgrade": (NOT_RUN, "the schema, not a retailer's data"),
    "cli maintenance": (
        NOT_RUN,
        "the clock's work (expiries, lock time-outs, purges of old replays): each in its user offer's history",
    ),
    "cli demo": (NOT_RUN, "its own demo retailer, made through the services above: each change audited as system's"),
    "cli points expire": (
        NOT_RUN,
        "the clock's work, as `maintenance`: each lot's expiry is a ledger entry dated when it expired, by system",
    ),
    "POST /admin/offers/new/preview": (READ, "prices unsaved terms on a check; writes nothing (checked)"),
    "POST /admin/offers/{offer_id:str}/preview": (READ, "prices an offer's unsaved edits on a check; writes nothing"),
}


def routes_and_commands() -> set[str]:
    """Every API and admin route with a method that may change something ("METHOD path"), and every
    command of the command line ("cli group command")."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    found: set[str] = set()
    for route in app.routes:
        if not route.path.startswith(("/api/", "/admin")) or route.path.startswith("/admin/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.handler_name in ("_wrong_method", "_unknown_page"):
                continue
            found |= {f"{m} {route.path}" for m in handler.http_methods if m not in ("GET", "HEAD", "OPTIONS")}

    def walk(command: Any, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            found.add(prefix)
        for name, sub in (subcommands or {}).items():
            walk(sub, f"{prefix} {name}")

    walk(typer.main.get_command(cli_app), "cli")
    return found


def test_every_route_and_command_is_audited_or_excused() -> None:
    assert not set(CASES) & set(NOT_AUDITED)
    found = routes_and_commands()
    assert sorted(found - set(CASES) - set(NOT_AUDITED)) == [], "neither audited nor excused"
    assert sorted((set(CASES) | set(NOT_AUDITED)) - found) == [], "no such route or command"
    # Excused as the POS's: exactly the POS family, every method it answers.
    till = {f"{m} {e.path}" for e in ENDPOINTS if e.family == "pos" for m in e.methods}
    assert {name for name, (kind, _) in NOT_AUDITED.items() if kind == POS} == till
    assert all(reason.strip() for _, reason in NOT_AUDITED.values())


@pytest.fixture
async def world(
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    tenant: Tenant,
    clock: FrozenClock,
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[World]:
    ids = await seed(client, tenant, db)
    owner, owner_id = await owner_of(app, db, tenant, clock)
    try:
        yield World(app, db, clock, client, tenant, ids, owner, owner_id, database_url, tmp_path, Log(db))
    finally:
        await owner.http.aclose()


@pytest.mark.parametrize("name", sorted(CASES))
async def test_each_change_leaves_exactly_its_rows(world: World, name: str) -> None:
    expected = await CASES[name](world)
    assert expected, "a case names at least one row"
    assert await world.log.new() == expected


# ------------------------------------------------------------------------------------------ excuses


async def _pos(w: World, method: str, path: str, payload: dict[str, Any]) -> httpx.Response:
    return await w.http.request(method, path, json=_envelope(w.tenant, payload), headers=w.tenant.pos_auth)


async def _excused_call(w: World, name: str) -> httpx.Response:
    """A valid request of an excused route, with what it needs first (not measured)."""
    method, path = name.split(" ", 1)
    kind, _ = NOT_AUDITED[name]
    if kind == SESSION:
        if path == "/admin/logout":
            await w.start()
            return await w.owner.post(path)
        browser = await open_browser(w.app, "10.0.0.7")
        await w.start()
        try:
            return await sign_in_as(browser, OWNER, "correct horse battery")
        finally:
            await browser.aclose()
    if path.startswith("/admin/offers/") and path.endswith("/preview"):
        offer_id = "new" if "/new/" in path else w.ids.offer_id
        await w.start()
        return await w.owner.post(f"/admin/offers/{offer_id}/preview", offer_form())
    if kind != POS:
        await w.start()
        return await w.http.post(path, json=offers_bodies(w.ids, w.tenant)[path], headers=w.tenant.auth)
    payloads = pos_payloads(w.ids)
    if path in ("/api/2.0/unlock", "/api/2.0/reinstate"):
        # Something to unlock (a lock on check F-2) or to reinstate (a redemption on check F-3).
        first = "/api/2.0/lock" if path.endswith("unlock") else "/api/2.0/redeem"
        assert (await _pos(w, "POST", first, payloads[first])).status_code == 200
    await w.start()
    return await _pos(w, method, path, payloads[path])


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in NOT_AUDITED.items() if kind != NOT_RUN))
async def test_what_is_excused_writes_no_audit_row(world: World, db: Database, name: str) -> None:
    kind, _ = NOT_AUDITED[name]
    before = await snapshot(db)
    answer = await _excused_call(world, name)
    assert answer.status_code in (200, 303), (name, answer.text[-2000:])
    assert await world.log.new() == []
    after = await snapshot(db)
    changed = {table for table in after if after[table] != before[table]}
    if kind == READ:
        assert changed == set(), changed
    elif kind == SESSION:
        assert changed == {"admin_sessions"}, changed
    elif kind == CUSTOMER:  # a real change, made by the customer: it is kept, just not in the audit log
        assert changed and "audit_log" not in changed, changed
