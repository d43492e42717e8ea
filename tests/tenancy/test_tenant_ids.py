"""No answer depends on another retailer's data (issue 14, item 6): for every endpoint that takes an id
the caller chooses (API, admin UI form, CLI command), the answer is the same, status and body, ids
aside, whether or not another retailer holds that id, on both engines; and the other retailer's rows
are unchanged by the call.

Each case runs twice, in one database, with two fresh sets of ids (`Ids`): one set is also held by the
other retailer (B: a user with points, offers, checks, events, its own store and POS client with the
same ids...), the other by nobody. The caller (A) is prepared the same way for both sets; the two
answers are compared with each set's ids written as their names. `COVERED` and `NOT_CLIENT_CHOSEN`
together name every API route and CLI command, so a new one cannot be forgotten here.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import typer.main
from sqlalchemy import select
from typer.testing import CliRunner

from openoffers.app import create_app
from openoffers.cli import app as cli_app
from openoffers.kit.db import Database
from openoffers.settings import Settings
from openoffers.tables import metadata
from openoffers.tenancy import service as tenancy
from tests.admin.conftest import Browser, sign_in
from tests.conftest import FrozenClock, Tenant, asgi_transport, bound_app, make_tenant, offer_body
from tests.pos.pos_support import check, envelope, line, lock_body

CALLER_SECRET = "caller-secret-0001"
HOLDER_SECRET = "holder-secret-0002"
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Ids:
    """One set of ids a client may choose. `store`, `client` and `user` are the caller's own (the
    holder has the same ids too); `new_*` are created by the case; `lone_store` only the holder has."""

    user: UUID = field(default_factory=uuid4)
    store: UUID = field(default_factory=uuid4)
    client: UUID = field(default_factory=uuid4)
    new_user: UUID = field(default_factory=uuid4)
    new_store: UUID = field(default_factory=uuid4)
    new_client: UUID = field(default_factory=uuid4)
    lone_store: UUID = field(default_factory=uuid4)
    ext: str = field(default_factory=lambda: f"ext-{uuid4().hex[:12]}")
    txn: str = field(default_factory=lambda: f"txn-{uuid4().hex[:12]}")
    request: str = field(default_factory=lambda: f"req-{uuid4().hex[:12]}")
    item: str = field(default_factory=lambda: f"item-{uuid4().hex[:12]}")
    ref: str = field(default_factory=lambda: f"ref-{uuid4().hex[:12]}")
    event: str = field(default_factory=lambda: f"event-{uuid4().hex[:12]}")
    account: str = field(default_factory=lambda: f"Account {uuid4().hex[:12]}")

    def names(self) -> list[tuple[str, str]]:
        """(value as it may appear in an answer, its name), longest first."""
        found: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            found.append((str(value), f"<{f.name}>"))
            if isinstance(value, UUID):
                found.append((value.hex, f"<{f.name}>"))
                found.append((str(value).upper(), f"<{f.name}>"))
        return sorted(found, key=lambda pair: -len(pair[0]))


@dataclass
class World:
    db: Database
    http: httpx.AsyncClient
    clock: FrozenClock
    url: str
    tmp: Path
    a: Tenant
    b: Tenant
    a_offer: str
    b_offer: str
    a_reward_offer: str
    admin: Browser
    user_offers: dict[UUID, str] = field(default_factory=dict)

    def caller(self, ids: Ids) -> Tenant:
        """The caller as a POS client: its own store and client with these ids."""
        return replace(self.a, store_id=ids.store, client_id=ids.client, client_secret=CALLER_SECRET)

    async def api(self, tenant: Tenant, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(path, json={"retailer_id": str(tenant.retailer_id), **body}, headers=tenant.auth)

    async def pos(self, tenant: Tenant, path: str, payload: dict[str, Any], request_id: str) -> httpx.Response:
        return await self.http.post(
            path, json=envelope(tenant, payload, request_id=request_id), headers=tenant.pos_auth
        )


async def _ok(response: Awaitable[httpx.Response]) -> Any:
    answer = await response
    assert answer.status_code in (200, 303), answer.text
    return answer.json()["payload"] if answer.status_code == 200 else None


async def prepare(world: World, ids: Ids) -> None:
    """The caller's own store, POS client and user holding one offer."""
    now = world.clock()
    await tenancy.create_store(world.db, retailer_id=world.a.retailer_id, name="Own", store_id=ids.store, now=now)
    await tenancy.create_pos_client(
        world.db, retailer_id=world.a.retailer_id, client_id=ids.client, secret=CALLER_SECRET, now=now
    )
    await _ok(world.api(world.a, "/api/2.0/users/create", {"user_id": str(ids.user), "first_name": "Ann"}))
    issue = {"user_id": str(ids.user), "offer_id": world.a_offer}
    issued = await _ok(world.api(world.a, "/api/2.0/offers/acquisition/issue", issue))
    world.user_offers[ids.user] = issued["status_list"][0]["user_offer_id"]


async def hold(world: World, ids: Ids) -> None:
    """The other retailer takes every id of the set and uses it: users with points, offers and events,
    stores and POS clients with checks, request ids, catalog items, references and account names."""
    b, now = world.b, world.clock()
    for store_id in (ids.store, ids.new_store, ids.lone_store):
        await tenancy.create_store(world.db, retailer_id=b.retailer_id, name="Theirs", store_id=store_id, now=now)
    for client_id in (ids.client, ids.new_client):
        await tenancy.create_pos_client(
            world.db, retailer_id=b.retailer_id, client_id=client_id, secret=HOLDER_SECRET, now=now
        )
    for user_id, ext in ((ids.user, ids.ext), (ids.new_user, None)):
        await _ok(
            world.api(
                b, "/api/2.0/users/create", {"user_id": str(user_id), "external_customer_id": ext, "first_name": "Bo"}
            )
        )
    issued = await _ok(
        world.api(b, "/api/2.0/offers/acquisition/issue", {"user_id": str(ids.user), "offer_id": world.b_offer})
    )
    user_offer = issued["status_list"][0]["user_offer_id"]
    await _ok(
        world.api(b, "/api/2.0/user_points/deposit", {"user_id": str(ids.user), "amount": 900, "reference_id": ids.ref})
    )
    await _ok(world.api(b, "/api/2.0/point_accounts/create", {"name": ids.account}))
    await _ok(world.api(b, "/api/2.0/offers/claim_code", {"user_offer_id": user_offer}))
    await _ok(world.api(b, "/api/2.0/catalog/import", {"items": [{"item_id": ids.item, "category_ids": ["theirs"]}]}))
    await _ok(
        world.api(
            b, "/api/2.0/user_events/trigger", {"user_id": str(ids.user), "event_name": "visit", "event_id": ids.event}
        )
    )
    pos_b = replace(b, store_id=ids.store, client_id=ids.client, client_secret=HOLDER_SECRET)
    theirs = check(ids.txn, user_id=str(ids.user))
    await _ok(world.pos(pos_b, "/api/2.0/lock", lock_body(user_offer, theirs), ids.request))
    closed = check(ids.txn, [line("0", "99")], is_closed=True, user_id=str(ids.user))
    await _ok(world.pos(pos_b, "/api/2.0/send_transaction", closed, f"{ids.request}-2"))


# ------------------------------------------------------------------------------------------ answers

Answer = Any
Act = Callable[[World, Ids], Awaitable[Answer]]


async def response_of(response: Awaitable[httpx.Response]) -> Answer:
    answer = await response
    body: Any = answer.text
    if answer.headers.get("content-type", "").startswith("application/json"):
        body = answer.json()
    return {"status": answer.status_code, "location": answer.headers.get("location"), "body": body}


def normalized(answer: Answer, ids: Ids) -> str:
    text = json.dumps(answer, sort_keys=True)
    for value, name in ids.names():
        text = text.replace(value, name)
    text = UUID_TEXT.sub("<uuid>", text)
    # Serial numbers (ledger entries) and random codes differ between any two runs.
    text = re.sub(r'"(entry_id|id)": \d+', r'"\1": <n>', text)
    text = re.sub(r'"(code|offer_lookup_code)": "[A-Z0-9]{4,16}"', r'"\1": <code>', text)
    # The Authorization header shown once (base64 of the client id and secret, both shown beside it), the
    # points form's fresh idempotency reference, and the store picker (its order follows the random ids).
    text = re.sub(r"Basic [A-Za-z0-9+/=]+", "Basic <credentials>", text)
    text = re.sub(r'name=\\"reference\\" value=\\"[^"\\]*\\"', "<reference>", text)
    text = re.sub(r"<option [^>]*>[^<]*</option>", "", text)
    return re.sub(r'name=\\"csrf_token\\" value=\\"[^"\\]*\\"', "<csrf>", text)


def pos_case(path: str, payload: Callable[[World, Ids], dict[str, Any]], *, before: str = "") -> Act:
    """A POS call as the caller's own client at its own store (ids the holder holds too)."""

    async def act(world: World, ids: Ids) -> Answer:
        me = world.caller(ids)
        if before:  # a lock first, under the same request id the holder used for its lock
            uo = world.user_offers[ids.user]
            await _ok(world.pos(me, "/api/2.0/lock", lock_body(uo, check(ids.txn, user_id=str(ids.user))), ids.request))
        return await response_of(world.pos(me, path, payload(world, ids), f"{ids.request}-2"))

    return act


def api_case(path: str, body: Callable[[World, Ids], dict[str, Any]]) -> Act:
    async def act(world: World, ids: Ids) -> Answer:
        return await response_of(world.api(world.a, path, body(world, ids)))

    return act


def admin_get(path: Callable[[Ids], str]) -> Act:
    async def act(world: World, ids: Ids) -> Answer:
        return await response_of(world.admin.get(path(ids)))

    return act


def admin_post(path: Callable[[Ids], str], form: Callable[[World, Ids], dict[str, str]]) -> Act:
    async def act(world: World, ids: Ids) -> Answer:
        return await response_of(world.admin.post(path(ids), form(world, ids)))

    return act


def admin_upload(path: str, content: Callable[[World, Ids], str]) -> Act:
    """A CSV file sent from an admin import form (multipart, with the session's CSRF token). The answer
    compared is the import's result: the page around it lists the caller's whole catalog or customers,
    in an order the random ids of the two runs decide."""

    async def act(world: World, ids: Ids) -> Answer:
        sent = {"file": ("import.csv", content(world, ids).encode(), "text/csv")}
        answer = await response_of(world.admin.post(path, files=sent))
        result = re.search(r'<div class="notice[^"]*" role="(?:status|alert)".*?</div>', answer["body"], re.S)
        return {**answer, "body": result.group(0) if result else answer["body"]}

    return act


def cli_case(argv: Callable[[World, Ids], list[str]]) -> Act:
    """An `openoffers` command against the same database (in a thread: it runs its own event loop)."""

    async def act(world: World, ids: Ids) -> Answer:
        args = [*argv(world, ids), "--retailer", str(world.a.retailer_id), "--database-url", world.url, "--json"]
        result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
        # The CLI stamps rows with the real time, not the test's clock.
        output = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<now>", result.output)
        return {"exit_code": result.exit_code, "output": output}

    return act


def _items_file(world: World, ids: Ids) -> list[str]:
    path = world.tmp / f"{ids.item}.jsonl"
    path.write_text(json.dumps({"item_id": ids.item, "name": "Own", "category_ids": ["own"]}) + "\n")
    return ["catalog", "import", str(path)]


def _user(world: World, ids: Ids) -> dict[str, Any]:
    return {"user_id": str(ids.user)}


def _uo(world: World, ids: Ids) -> str:
    return world.user_offers[ids.user]


def _closed(world: World, ids: Ids) -> dict[str, Any]:
    return check(ids.txn, [line("0", "10", item_id=ids.item)], is_closed=True, user_id=str(ids.user))


def _offer_with_store(store: str) -> Callable[[World, Ids], dict[str, Any]]:
    def body(world: World, ids: Ids) -> dict[str, Any]:
        restriction = {"store_ids": [str(getattr(ids, store))]}
        created = offer_body(world.a.retailer_id, location_restrictions=[restriction])
        del created["retailer_id"]
        return created

    return body


U = "/api/2.0/users"
P = "/api/2.0/user_points"
OFFERS = "/api/2.0/offers"
ADMIN_CUSTOMER = "/admin/customers/{user_id:str}"


def _with_user(**more: Callable[[World, Ids], Any]) -> Callable[[World, Ids], dict[str, Any]]:
    """A body naming the caller's user, plus fields computed from the world and the ids."""
    return lambda w, i: {"user_id": str(i.user), **{name: value(w, i) for name, value in more.items()}}


def _user_offer_and_txn(w: World, i: Ids) -> dict[str, Any]:
    return {"user_offer_id": _uo(w, i), "transaction_id": i.txn}


def _customer_form(w: World, i: Ids) -> dict[str, str]:
    return {"external_customer_id": i.ext, "first_name": "C", "last_name": "D", "email": "", "phone": ""}


def _simulate(i: Ids) -> str:
    return f"/admin/rules/simulate?run=1&customer={i.user}&store_id={i.store}&items.0.item_id={i.item}"


# ("<METHOD path, or cli command> | what", act): the part before " | " names the endpoint
# (`test_every_endpoint_is_covered_or_takes_no_client_chosen_id` checks the list against the app).
def form_preview(path: Callable[[World], str]) -> Act:
    """The offer form's preview of its unsaved values: an offer limited to the caller's store, on a check
    there for the caller's customer. The answer compared is the page's preview section (the discount, or
    the problems found instead); the rest of the page is the form as typed, with a store picker whose
    order follows the random ids."""

    async def act(world: World, ids: Ids) -> Answer:
        answer = await response_of(world.admin.post(path(world), _unsaved_offer(world, ids)))
        section = re.search(r'<details class="section" id="f-preview".*?</details>', answer["body"], re.S)
        return {**answer, "body": section.group(0) if section else answer["body"]}

    return act


def _unsaved_offer(world: World, ids: Ids) -> dict[str, str]:
    return {
        "offer_type": "fixed_amount_check_discount",
        "text.0.culture": "en",
        "text.0.title": "Preview",
        "discount_config.amount": "5",
        "_rows.stores": "1",
        "stores.0.mode": "include",
        "stores.0.store_ids": str(ids.store),
        "store": str(ids.store),
        "channel": "STORE",
        "at": "2026-06-15T09:00",
        "customer": str(ids.user),
        "item_0": ids.item,
        "price_0": "20",
    }


CASES: list[tuple[str, Act]] = [
    # Offers API
    (f"POST {U}/create | user_id", api_case(f"{U}/create", lambda w, i: {"user_id": str(i.new_user)})),
    (f"POST {U}/create | external id", api_case(f"{U}/create", lambda w, i: {"external_customer_id": i.ext})),
    (f"POST {U}/update | external id", api_case(f"{U}/update", _with_user(external_customer_id=lambda w, i: i.ext))),
    (f"POST {U}/get | user_id", api_case(f"{U}/get", _user)),
    (f"POST {U}/get | unknown user_id", api_case(f"{U}/get", lambda w, i: {"user_id": str(i.new_user)})),
    (f"POST {U}/get | external id", api_case(f"{U}/get", lambda w, i: {"external_customer_id": i.ext})),
    (
        f"POST {OFFERS}/acquisition/issue | user_id",
        api_case(f"{OFFERS}/acquisition/issue", _with_user(offer_id=lambda w, i: w.a_offer)),
    ),
    (f"POST {OFFERS}/get_user_offers | API key", api_case(f"{OFFERS}/get_user_offers", _user)),
    (f"POST {OFFERS}/user_offer_history | user_id", api_case(f"{OFFERS}/user_offer_history", _user)),
    (
        f"POST {OFFERS}/rewardstores/get_reward_store_offers | user_id",
        api_case(f"{OFFERS}/rewardstores/get_reward_store_offers", _user),
    ),
    (
        f"POST {OFFERS}/rewardstores/purchase_offer | user_id",
        api_case(f"{OFFERS}/rewardstores/purchase_offer", _with_user(offer_id=lambda w, i: w.a_reward_offer)),
    ),
    (
        f"POST {OFFERS}/claim_code | of the caller's user",
        api_case(f"{OFFERS}/claim_code", lambda w, i: {"user_offer_id": _uo(w, i)}),
    ),
    (f"POST {P}/balances | user_id", api_case(f"{P}/balances", _user)),
    (
        f"POST {P}/deposit | reference_id",
        api_case(f"{P}/deposit", _with_user(amount=lambda w, i: 5, reference_id=lambda w, i: i.ref)),
    ),
    (
        f"POST {P}/spend | reference_id",
        api_case(f"{P}/spend", _with_user(amount=lambda w, i: 5, reference_id=lambda w, i: i.ref)),
    ),
    (f"POST {P}/history | user_id", api_case(f"{P}/history", _user)),
    (f"POST {P}/all_balances | user_id", api_case(f"{P}/all_balances", _user)),
    (
        f"POST {P}/spend_multiple | user_id and idempotency_id",
        api_case(
            f"{P}/spend_multiple",
            _with_user(
                spend_details=lambda w, i: [
                    {"amount": 5, "point_account_ids": [], "idempotency_id": i.ref, "reference_id": i.ref}
                ],
                allow_partial_success=lambda w, i: True,
            ),
        ),
    ),
    (
        f"POST {OFFERS}/rewardstores/get_user_reward_stores | user_id",
        api_case(
            f"{OFFERS}/rewardstores/get_user_reward_stores",
            _with_user(include_point_balances=lambda w, i: True),
        ),
    ),
    (
        "POST /api/2.0/user_events/trigger_user_event | user_id",
        api_case("/api/2.0/user_events/trigger_user_event", _with_user(event_lookup=lambda w, i: "visit")),
    ),
    (
        "POST /api/2.0/user_events/trigger | event_id",
        api_case(
            "/api/2.0/user_events/trigger",
            _with_user(event_name=lambda w, i: "visit", event_id=lambda w, i: i.event),
        ),
    ),
    (
        "POST /api/2.0/catalog/import | item_id",
        api_case("/api/2.0/catalog/import", lambda w, i: {"items": [{"item_id": i.item, "category_ids": ["own"]}]}),
    ),
    (
        "POST /api/2.0/point_accounts/create | name",
        api_case("/api/2.0/point_accounts/create", lambda w, i: {"name": i.account}),
    ),
    (
        "POST /api/2.0/rules/simulate | user, store and item",
        api_case(
            "/api/2.0/rules/simulate",
            _with_user(store_id=lambda w, i: str(i.store), transaction=_closed),
        ),
    ),
    (
        f"POST {OFFERS}/management/create | another retailer's store",
        api_case(f"{OFFERS}/management/create", _offer_with_store("lone_store")),
    ),
    (
        f"POST {OFFERS}/management/create | own store",
        api_case(f"{OFFERS}/management/create", _offer_with_store("store")),
    ),
    (
        f"POST {OFFERS}/management/update | another retailer's store",
        api_case(
            f"{OFFERS}/management/update",
            lambda w, i: {**_offer_with_store("lone_store")(w, i), "offer_id": w.a_offer},
        ),
    ),
    # POS API: the caller's client and store have ids the holder's client and store have too
    (
        "POST /api/2.0/lookup | user_id",
        pos_case("/api/2.0/lookup", _with_user(transaction=lambda w, i: check(i.txn))),
    ),
    ("POST /api/2.0/lookup | external id", pos_case("/api/2.0/lookup", lambda w, i: {"external_customer_id": i.ext})),
    (
        "POST /api/2.0/lock | transaction_id",
        pos_case("/api/2.0/lock", lambda w, i: lock_body(_uo(w, i), check(i.txn, user_id=str(i.user)))),
    ),
    (
        f"POST {OFFERS}/redemption/lock | transaction_id",
        pos_case(f"{OFFERS}/redemption/lock", lambda w, i: lock_body(_uo(w, i), check(i.txn))),
    ),
    ("POST /api/2.0/redeem | transaction_id", pos_case("/api/2.0/redeem", _user_offer_and_txn, before="lock")),
    ("POST /api/2.0/unlock | transaction_id", pos_case("/api/2.0/unlock", _user_offer_and_txn, before="lock")),
    ("POST /api/2.0/reinstate | transaction_id", pos_case("/api/2.0/reinstate", _user_offer_and_txn)),
    ("POST /api/2.0/send_transaction | transaction_id", pos_case("/api/2.0/send_transaction", _closed)),
    (f"POST {OFFERS}/send_transaction | transaction_id", pos_case(f"{OFFERS}/send_transaction", _closed)),
    (f"POST {OFFERS}/get_user_offers | POS envelope", pos_case(f"{OFFERS}/get_user_offers", _user)),
    # Admin UI
    (
        "POST /admin/stores/new | id",
        admin_post(
            lambda i: "/admin/stores/new",
            lambda w, i: {"name": "N", "timezone": "UTC", "tags": "", "id": str(i.new_store)},
        ),
    ),
    (
        "POST /admin/pos-clients/new | id",
        admin_post(
            lambda i: "/admin/pos-clients/new",
            lambda w, i: {"name": "T", "id": str(i.new_client), "secret": CALLER_SECRET},
        ),
    ),
    ("POST /admin/customers/new | external id", admin_post(lambda i: "/admin/customers/new", _customer_form)),
    (
        f"POST {ADMIN_CUSTOMER}/edit | external id",
        admin_post(lambda i: f"/admin/customers/{i.user}/edit", _customer_form),
    ),
    (f"GET {ADMIN_CUSTOMER} | user_id", admin_get(lambda i: f"/admin/customers/{i.user}")),
    (f"GET {ADMIN_CUSTOMER} | unknown user_id", admin_get(lambda i: f"/admin/customers/{i.new_user}")),
    (
        f"POST {ADMIN_CUSTOMER}/issue | user_id",
        admin_post(lambda i: f"/admin/customers/{i.user}/issue", lambda w, i: {"offer_id": w.a_offer, "quantity": "1"}),
    ),
    (
        f"POST {ADMIN_CUSTOMER}/points | user_id and reference",
        admin_post(
            lambda i: f"/admin/customers/{i.user}/points",
            lambda w, i: {"amount": "-5", "reason": "r", "reference": i.ref},
        ),
    ),
    ("GET /admin/transactions | store", admin_get(lambda i: f"/admin/transactions?store={i.store}")),
    ("GET /admin/stores/{store_id:str}/edit | id", admin_get(lambda i: f"/admin/stores/{i.store}/edit")),
    (
        "POST /admin/stores/{store_id:str}/edit | id",
        admin_post(
            lambda i: f"/admin/stores/{i.store}/edit", lambda w, i: {"name": "N", "timezone": "UTC", "tags": ""}
        ),
    ),
    (
        "GET /admin/offers/{offer_id:str}/preview | store, item and customer",
        lambda w, i: admin_get(
            lambda i: (
                f"/admin/offers/{w.a_offer}/preview?store={i.store}&item_1={i.item}&price_1=20&qty_1=1"
                f"&customer={i.ext}&channel=STORE&run=1"
            )
        )(w, i),
    ),
    (
        "POST /admin/offers/{offer_id:str}/preview | store (terms and check), item and customer",
        form_preview(lambda w: f"/admin/offers/{w.a_offer}/preview"),
    ),
    (
        "POST /admin/offers/new/preview | store (terms and check), item and customer",
        form_preview(lambda w: "/admin/offers/new/preview"),
    ),
    (
        "POST /admin/customers/import | user_id and external id",
        admin_upload(
            "/admin/customers/import", lambda w, i: f"user_id,external_customer_id\n{i.new_user},{i.ext}-new\n"
        ),
    ),
    (
        "POST /admin/catalog/import | item_id",
        admin_upload("/admin/catalog/import", lambda w, i: f"item_id,name,category_ids\n{i.item},Item,own\n"),
    ),
    ("GET /admin/customers | external id", admin_get(lambda i: f"/admin/customers?q={i.ext}")),
    ("GET /admin/rules/simulate | user, store and item", admin_get(_simulate)),
    # CLI
    ("cli store create | --id", cli_case(lambda w, i: ["store", "create", "--name", "N", "--id", str(i.new_store)])),
    (
        "cli client create | --id",
        cli_case(lambda w, i: ["client", "create", "--id", str(i.new_client), "--secret", CALLER_SECRET]),
    ),
    (
        "cli user create | --id and external id",
        cli_case(lambda w, i: ["user", "create", "--id", str(i.new_user), "--external-customer-id", i.ext]),
    ),
    ("cli catalog import | item_id", cli_case(_items_file)),
]

# Every other API route, admin form and command, and why no id it takes is the client's choice (or why
# another retailer's cannot matter). Server-made ids (offers, user offers, rules, keys' row ids) are
# random UUIDs: another retailer holding one is not a choice a tenant can make.
NOT_CLIENT_CHOSEN = {
    f"POST {OFFERS}/fetch_offer": "offer ids are made by the server",
    f"POST {OFFERS}/fetch_offers_details": "offer ids are made by the server",
    f"POST {OFFERS}/get_user_offer": "user offer ids are made by the server",
    f"POST {OFFERS}/list": "filters only",
    f"POST {OFFERS}/management/deactivate": "offer ids are made by the server",
    f"POST {OFFERS}/management/delete": "offer ids are made by the server",
    f"POST {OFFERS}/management/publish": "offer ids are made by the server",
    f"POST {OFFERS}/management/reactivate": "offer ids are made by the server",
    f"POST {OFFERS}/acquisition/revoke": "user offer ids are made by the server",
    f"POST {OFFERS}/acquisition/update": "user offer ids are made by the server",
    f"POST {OFFERS}/redemption/manual_redeem": "user offer ids are made by the server",
    "POST /api/2.0/point_accounts/list": "no id",
    "POST /api/2.0/rules/activate": "rule ids are made by the server",
    "POST /api/2.0/rules/create": "rule ids are made by the server; offers and accounts are the server's too",
    "POST /api/2.0/rules/deactivate": "rule ids are made by the server",
    "POST /api/2.0/rules/get": "rule ids are made by the server",
    "POST /api/2.0/rules/list": "filters only",
    "POST /api/2.0/rules/update": "rule ids are made by the server",
    "GET /admin": "no id",
    "GET /admin/login": "no id",
    "POST /admin/login": "API key names stay global: docs/DECISIONS.md (tenant-scoped ids)",
    "POST /admin/logout": "no id",
    "GET /admin/offers": "no id",
    "GET /admin/offers/new": "no id",
    "POST /admin/offers/new": "offer ids are made by the server (store restrictions: the API cases)",
    "GET /admin/offers/{offer_id:str}": "offer ids are made by the server",
    "GET /admin/offers/{offer_id:str}/edit": "offer ids are made by the server",
    "POST /admin/offers/{offer_id:str}/edit": "offer ids are made by the server",
    "POST /admin/offers/{offer_id:str}/reactivate": "offer ids are made by the server",
    "POST /admin/offers/{offer_id:str}/publish": "offer ids are made by the server",
    "POST /admin/offers/{offer_id:str}/deactivate": "offer ids are made by the server",
    "GET /admin/offers/{offer_id:str}/delete": "offer ids are made by the server",
    "POST /admin/offers/{offer_id:str}/delete": "offer ids are made by the server",
    "GET /admin/customers/new": "no id",
    f"GET {ADMIN_CUSTOMER}/edit": "the same look-up as GET the customer",
    f"GET {ADMIN_CUSTOMER}/offers/{{user_offer_id:str}}/revoke": "user offer ids are made by the server",
    f"POST {ADMIN_CUSTOMER}/offers/{{user_offer_id:str}}/revoke": "user offer ids are made by the server",
    "GET /admin/rules": "no id",
    "GET /admin/rules/new": "no id",
    "POST /admin/rules/new": "rule ids are made by the server",
    "GET /admin/rules/{rule_id:str}/edit": "rule ids are made by the server",
    "POST /admin/rules/{rule_id:str}/edit": "rule ids are made by the server",
    "POST /admin/rules/{rule_id:str}/activate": "rule ids are made by the server",
    "POST /admin/rules/{rule_id:str}/deactivate": "rule ids are made by the server",
    "GET /admin/stores": "no id",
    "GET /admin/stores/new": "no id",
    "GET /admin/pos-clients": "no id",
    "GET /admin/pos-clients/new": "no id",
    "GET /admin/pos-clients/{client_id:str}/revoke": "the retailer's own list (tests/tenancy/test_service.py)",
    "POST /admin/pos-clients/{client_id:str}/revoke": "the retailer's own client (the POS credential tests)",
    "GET /admin/keys": "no id",
    "GET /admin/keys/new": "no id",
    "POST /admin/keys/new": "API key names stay global: docs/DECISIONS.md (tenant-scoped ids)",
    "GET /admin/keys/{key_id:str}/revoke": "key row ids are made by the server",
    "POST /admin/keys/{key_id:str}/revoke": "key row ids are made by the server",
    "GET /admin/catalog": "search text only, over the caller's own catalog",
    "GET /admin/customers/import": "no id",
    "GET /admin/dashboard": "a date range only",
    "GET /admin/dashboard/csv/{table:str}": "a date range only",
    "GET /admin/exports": "no id",
    "GET /admin/exports/csv/{name:str}": "the export's name only",
    "POST /api/2.0/reports/programme": "a date range only",
    "GET /admin/webhooks": "webhook ids are made by the server",
    "GET /admin/webhooks/new": "webhook ids are made by the server",
    "POST /admin/webhooks/new": "webhook ids are made by the server",
    "GET /admin/webhooks/{webhook_id:str}": "webhook ids are made by the server",
    "GET /admin/webhooks/{webhook_id:str}/delete": "webhook ids are made by the server",
    "POST /admin/webhooks/{webhook_id:str}/delete": "webhook ids are made by the server",
    "POST /admin/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/resend": "webhook ids are made by the server",
    "POST /admin/webhooks/{webhook_id:str}/pause": "webhook ids are made by the server",
    "POST /admin/webhooks/{webhook_id:str}/resume": "webhook ids are made by the server",
    "POST /admin/webhooks/{webhook_id:str}/rotate": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/create": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/delete": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/deliveries": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/list": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/pause": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/resend": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/resume": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/rotate_secret": "webhook ids are made by the server",
    "POST /api/2.0/webhooks/update": "webhook ids are made by the server",
    "GET /admin/audit": "filters only, over the caller's own log",
    "GET /admin/people": "no id",
    "GET /admin/people/{account_id:str}/deactivate": "account ids are made by the server",
    "POST /admin/people/{account_id:str}/deactivate": "account ids are made by the server",
    "POST /admin/people/{account_id:str}/role": "account ids are made by the server",
    "POST /admin/people/{account_id:str}/reinvite": "account ids are made by the server",
    "GET /admin/invitation/{token:str}": "invitation tokens are made by the server",
    "POST /admin/invitation/{token:str}": "invitation tokens are made by the server",
    "POST /admin/people/invite": "e-mail addresses sign in without naming a retailer: global, like API key names",
    "cli account create": "e-mail addresses sign in without naming a retailer: global, like API key names",
    "cli serve": "no id",
    "cli demo": "its own demo retailer",
    "cli maintenance": "no id",
    "cli db upgrade": "no id",
    "cli retailer create": "retailers are the operator's, not a tenant's: their ids stay global",
    "cli key create": "API key names stay global: docs/DECISIONS.md (tenant-scoped ids)",
    "cli retailer points-clawback": "retailers are the operator's, not a tenant's: their ids stay global",
    "cli retailer points-expiry": "retailers are the operator's, not a tenant's: their ids stay global",
    "cli points expire": "no id",
    "GET /admin/settings": "no id",
    "POST /admin/settings": "no id: the signed-in retailer's own settings",
}


async def _rows_of(db: Database, retailer_id: UUID) -> dict[str, list[tuple[str, ...]]]:
    """Every row of one retailer, in every table that has a retailer (and its retailers row)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            column = table.c.get("retailer_id")
            if table.name == "retailers":
                column = table.c.id
            if column is None:
                continue
            rows = await conn.execute(select(table).where(column == retailer_id))
            found[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return found


@pytest.fixture
async def world(db: Database, clock: FrozenClock, database_url: str, tmp_path: Path) -> Any:
    a = await make_tenant(db, clock, name="Caller")
    b = await make_tenant(db, clock, name="Holder")
    app = bound_app(db, clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://testserver") as http:
        w = World(db, http, clock, database_url, tmp_path, a, b, "", "", "", Browser(http, ""))
        w.a_offer = (await _ok(w.api(a, "/api/2.0/offers/management/create", _plain_offer(a))))["offer_id"]
        w.b_offer = (await _ok(w.api(b, "/api/2.0/offers/management/create", _plain_offer(b))))["offer_id"]
        reward = _plain_offer(a, common={"reward_store": True, "points_cost": 100})
        w.a_reward_offer = (await _ok(w.api(a, "/api/2.0/offers/management/create", reward)))["offer_id"]
        w.admin = await sign_in(http, a.key, a.secret)
        yield w


def _plain_offer(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body = offer_body(tenant.retailer_id, **overrides)
    del body["retailer_id"]
    return body


@pytest.mark.parametrize(("name", "act"), CASES, ids=[case[0] for case in CASES])
async def test_the_answer_is_the_same_whether_or_not_another_retailer_holds_the_id(
    world: World, name: str, act: Act
) -> None:
    held, fresh = Ids(), Ids()
    await prepare(world, held)
    await hold(world, held)
    await prepare(world, fresh)
    first = await act(world, fresh)
    # An answer, not a crash: a refusal is fine (an unknown id is NOT_FOUND either way), a 500 is not.
    assert first.get("status", 200) < 500 and first.get("exit_code", 0) == 0, first
    before = await _rows_of(world.db, world.b.retailer_id)
    answer = normalized(await act(world, held), held)
    assert answer == normalized(first, fresh)
    assert await _rows_of(world.db, world.b.retailer_id) == before


def _endpoints() -> set[str]:
    """Every API route and admin page or form of the app ("METHOD path"), and every CLI command."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    found: set[str] = set()
    for route in app.routes:
        if not route.path.startswith(("/api/", "/admin")) or "{rest:path}" in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.handler_name in ("_wrong_method", "_unknown_page") or route.path.startswith("/admin/static"):
                continue
            found |= {f"{method} {route.path}" for method in handler.http_methods if method in ("GET", "POST")}

    def walk(command: Any, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            found.add(prefix)
        for name, sub in (subcommands or {}).items():
            walk(sub, f"{prefix} {name}")

    walk(typer.main.get_command(cli_app), "cli")
    return found


def test_every_endpoint_is_covered_or_takes_no_client_chosen_id() -> None:
    covered = {name.split(" | ")[0] for name, _ in CASES}
    assert not covered & set(NOT_CLIENT_CHOSEN)
    assert _endpoints() == covered | set(NOT_CLIENT_CHOSEN)
