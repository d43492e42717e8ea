"""POS client ids are unique per retailer, and the Basic header names only the id: when two retailers
have a client with the same id (and a store with the same id), each call is answered for the client
whose secret it carries, from the database and from the processes' memory of credentials alike, and a
wrong secret is the same 401 whether or not another retailer holds the id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from uuid import UUID, uuid4

import httpx
import pytest

from openoffers.app import create_app
from openoffers.kit.db import Database
from openoffers.settings import Settings
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.pos_credentials import pos_credentials
from tests.conftest import FrozenClock, Tenant, asgi_transport, basic, snapshot
from tests.pos.pos_support import LOOKUP, api, envelope

BOUND = 30


class Seconds:
    """The memory's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds(db: Database) -> Seconds:
    clock = Seconds()
    pos_credentials(db).clock = clock
    return clock


@pytest.fixture
async def client(db: Database, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=db.url, pos_credentials_cache_seconds=BOUND), database=db, clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://testserver") as http:
        yield http


async def twin(db: Database, clock: FrozenClock, tenant: Tenant, other: Tenant, secret: str) -> Tenant:
    """The other retailer with a store and a POS client of the same ids as the tenant's."""
    now = clock()
    await tenancy.create_store(db, retailer_id=other.retailer_id, name="Twin", store_id=tenant.store_id, now=now)
    await tenancy.create_pos_client(
        db,
        retailer_id=other.retailer_id,
        client_id=tenant.client_id,
        secret=secret,
        store_ids=(tenant.store_id,),
        now=now,
    )
    return replace(other, store_id=tenant.store_id, client_id=tenant.client_id, client_secret=secret)


async def who(client: httpx.AsyncClient, tenant: Tenant) -> tuple[int, str]:
    """A Lookup of customer C-1 with the tenant's POS credentials: the status and the customer's name."""
    response = await client.post(
        LOOKUP, json=envelope(tenant, {"external_customer_id": "C-1"}), headers=tenant.pos_auth
    )
    if response.status_code != 200:
        return response.status_code, response.json()["errors"]["code"]
    [found] = response.json()["payload"]
    return 200, found["first_name"]


async def test_each_call_is_answered_for_the_client_whose_secret_it_carries(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant, seconds: Seconds
) -> None:
    other = await twin(db, clock, tenant, other_tenant, "the-other-secret")
    await api(client, tenant, "/api/2.0/users/create", {"external_customer_id": "C-1", "first_name": "Mine"})
    await api(client, other, "/api/2.0/users/create", {"external_customer_id": "C-1", "first_name": "Theirs"})
    # From the database, then from memory (within the bound), in either order.
    for _ in range(2):
        assert await who(client, tenant) == (200, "Mine")
        assert await who(client, other) == (200, "Theirs")
        assert await who(client, tenant) == (200, "Mine")
        seconds.now += 1
    # The generic authentication (Offers API, admin sign-in) picks by the secret too.
    mine = await tenancy.authenticate(db, tenant.pos_auth["Authorization"])
    theirs = await tenancy.authenticate(db, other.pos_auth["Authorization"])
    assert (mine.retailer_id, theirs.retailer_id) == (tenant.retailer_id, other.retailer_id)
    # Revoking one retailer's client ends that one only, at once.
    await tenancy.revoke_pos_client(db, retailer_id=tenant.retailer_id, client_id=tenant.client_id, now=clock())
    assert await who(client, tenant) == (401, "INVALID_API_KEY")
    assert await who(client, other) == (200, "Theirs")
    seconds.now += BOUND
    assert await who(client, tenant) == (401, "INVALID_API_KEY")
    assert await who(client, other) == (200, "Theirs")


async def test_a_wrong_secret_is_the_same_401_whether_or_not_another_retailer_holds_the_id(
    client: httpx.AsyncClient, db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    await twin(db, clock, tenant, other_tenant, "the-other-secret")
    held = replace(tenant, client_secret="not-the-secret")
    nobody = replace(tenant, client_id=uuid4(), client_secret="not-the-secret")
    before = await snapshot(db)
    answers = []
    for caller in (held, nobody):
        response = await client.post(LOOKUP, json=envelope(tenant, {}), headers=caller.pos_auth)
        answers.append((response.status_code, response.json(), response.headers.get("www-authenticate")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
    assert await snapshot(db) == before


async def test_a_pos_client_never_hides_another_retailers_api_key_of_the_same_name(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    """API key names are global and may look like a UUID; a POS client id is another retailer's choice."""
    name = str(uuid4())
    await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, key=name, secret="the-key-secret", now=clock())
    await tenancy.create_pos_client(
        db, retailer_id=other_tenant.retailer_id, client_id=UUID(name), secret="the-client-secret", now=clock()
    )
    as_key = await tenancy.authenticate(db, basic(name, "the-key-secret")["Authorization"])
    as_client = await tenancy.authenticate(db, basic(name, "the-client-secret")["Authorization"])
    assert (as_key.kind, as_key.retailer_id) == ("api_key", tenant.retailer_id)
    assert (as_client.kind, as_client.retailer_id) == ("pos_client", other_tenant.retailer_id)
