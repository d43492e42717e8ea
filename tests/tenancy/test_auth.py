"""Basic authentication (API keys and POS clients) and the guards routes call before any work."""

from __future__ import annotations

import base64
from uuid import UUID

import pytest

from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.tenancy import repository as repo
from openoffers.tenancy import service as tenancy
from openoffers.tenancy.guards import ADMIN_ROLES, READ_ROLES, WRITE_ROLES, require_api_key, require_pos_client
from openoffers.tenancy.secrets import hash_secret, secret_matches
from openoffers.tenancy.service import Principal, Role, authenticate, parse_basic
from tests.conftest import FrozenClock, Tenant, basic


def header(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing Authorization header (Basic key:secret)"),
        ("", "missing Authorization header (Basic key:secret)"),
        ("Bearer abc", "Authorization must be Basic key:secret"),
        ("Basic", "Authorization must be Basic key:secret"),
        ("Basic !!!not-base64!!!", "Authorization is not valid base64 of key:secret"),
        ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Authorization is not valid base64 of key:secret"),
        ("Basic \u00e9t\u00e9", "Authorization is not valid base64 of key:secret"),  # not even ASCII
        (header("no-colon-here"), "Authorization must be Basic key:secret"),
        (header(":secret-without-key"), "Authorization must be Basic key:secret"),
    ],
)
def test_parse_basic_refuses(value: str | None, message: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_basic(value)
    assert (caught.value.code, caught.value.status, caught.value.message) == ("INVALID_API_KEY", 401, message)


def test_parse_basic_accepts_any_scheme_case_and_splits_on_the_first_colon() -> None:
    assert parse_basic(header("key:secret")) == ("key", "secret")
    assert parse_basic("basic " + base64.b64encode(b"k:s").decode()) == ("k", "s")
    assert parse_basic("  BASIC   " + base64.b64encode(b"k:s:t").decode() + " ") == ("k", "s:t")
    assert parse_basic(header("key:")) == ("key", "")


def test_secret_hashing() -> None:
    digest = hash_secret("secret", "salt")
    # Salted SHA-256 of "salt:secret" (docs/DECISIONS.md: machine secrets need no slow hash).
    assert digest == "e0daae7ddca6117bae5f642d182bf4c456a16fe195e74ccb38714372c533f828"
    assert digest != hash_secret("secret", "pepper")
    assert secret_matches("secret", "salt", digest) is True
    assert secret_matches("Secret", "salt", digest) is False


async def test_api_key_authenticates(db: Database, tenant: Tenant) -> None:
    principal = await authenticate(db, tenant.auth["Authorization"])
    assert principal == Principal(tenant.retailer_id, "api_key", role=Role.ADMIN, key=tenant.key)


async def test_pos_client_authenticates_with_its_id_in_any_case(db: Database, tenant: Tenant) -> None:
    expected = Principal(
        tenant.retailer_id, "pos_client", client_id=tenant.client_id, store_ids=frozenset({tenant.store_id})
    )
    assert await authenticate(db, tenant.pos_auth["Authorization"]) == expected
    upper = basic(str(tenant.client_id).upper(), tenant.client_secret)
    assert await authenticate(db, upper["Authorization"]) == expected


@pytest.mark.parametrize(
    "credentials",
    [
        "wrong_key_secret",  # right key, wrong secret
        "unknown_key",  # no such key
        "client_wrong_secret",
        "unknown_client",
        "key_with_client_secret",
    ],
)
async def test_wrong_credentials_are_refused(db: Database, tenant: Tenant, credentials: str) -> None:
    key, secret = {
        "wrong_key_secret": (tenant.key, tenant.secret + "x"),
        "unknown_key": ("nobody", tenant.secret),
        "client_wrong_secret": (str(tenant.client_id), tenant.secret),
        "unknown_client": ("00000000-0000-4000-8000-000000000000", tenant.client_secret),
        "key_with_client_secret": (tenant.key, tenant.client_secret),
    }[credentials]
    with pytest.raises(DomainError) as caught:
        await authenticate(db, basic(key, secret)["Authorization"])
    assert (caught.value.code, caught.value.status, caught.value.message) == (
        "INVALID_API_KEY",
        401,
        "invalid credentials",
    )


async def test_revoked_credentials_are_refused(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    async with db.read() as conn:
        [key] = await repo.list_api_keys(conn, tenant.retailer_id)
    async with db.write() as conn:
        assert await repo.revoke_api_key(conn, tenant.retailer_id, key.id, clock())
        assert await repo.revoke_pos_client(conn, tenant.retailer_id, tenant.client_id, clock())
    for credentials in (tenant.auth, tenant.pos_auth):
        with pytest.raises(DomainError) as caught:
            await authenticate(db, credentials["Authorization"])
        assert caught.value.code == "INVALID_API_KEY"


async def test_roles_are_kept(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    for role in ("admin", "offers", "pos"):
        _, secret = await tenancy.create_api_key(
            db, retailer_id=tenant.retailer_id, key=f"{role}-key", secret="secret-" + role, role=role, now=clock()
        )
        principal = await authenticate(db, basic(f"{role}-key", secret)["Authorization"])
        assert principal.role == Role(role)


def test_role_sets() -> None:
    assert WRITE_ROLES == {Role.ADMIN, Role.OFFERS}
    assert READ_ROLES == {Role.ADMIN, Role.OFFERS, Role.POS}
    assert ADMIN_ROLES == {Role.ADMIN}


RETAILER = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
OTHER = UUID("11111111-1111-4111-8111-111111111111")


def test_require_api_key() -> None:
    admin = Principal(RETAILER, "api_key", role=Role.ADMIN, key="k")
    pos_key = Principal(RETAILER, "api_key", role=Role.POS, key="p")
    client = Principal(RETAILER, "pos_client", client_id=OTHER)
    assert require_api_key(admin, RETAILER, WRITE_ROLES) is admin
    assert require_api_key(pos_key, RETAILER, READ_ROLES) is pos_key
    cases = [
        (admin, OTHER, WRITE_ROLES, "NOT_FOUND", "retailer not found"),
        (pos_key, RETAILER, WRITE_ROLES, "ACCESS_DENIED", "the key's role pos may not call this endpoint"),
        (client, RETAILER, READ_ROLES, "ACCESS_DENIED", "this endpoint needs an API key, not POS client credentials"),
    ]
    for principal, retailer_id, roles, code, message in cases:
        with pytest.raises(DomainError) as caught:
            require_api_key(principal, retailer_id, roles)
        assert (caught.value.code, caught.value.message) == (code, message)


async def test_require_pos_client(db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant) -> None:
    second = await tenancy.create_store(db, retailer_id=tenant.retailer_id, name="Second", now=clock())
    limited = await authenticate(db, tenant.pos_auth["Authorization"])
    everywhere_client, secret = await tenancy.create_pos_client(db, retailer_id=tenant.retailer_id, now=clock())
    everywhere = await authenticate(db, basic(str(everywhere_client.id), secret)["Authorization"])
    key = await authenticate(db, tenant.auth["Authorization"])
    async with db.read() as conn:
        store, retailer = await require_pos_client(conn, limited, tenant.client_id, tenant.store_id)
        assert (store.id, store.retailer_id, retailer.id) == (tenant.store_id, tenant.retailer_id, tenant.retailer_id)
        assert (retailer.name, retailer.timezone) == ("Test Retailer", "America/New_York")
        # A client with no store list may act for every store of its retailer.
        store, _ = await require_pos_client(conn, everywhere, everywhere_client.id, second.id)
        assert store.id == second.id
        cases = [
            (key, tenant.client_id, tenant.store_id, "ACCESS_DENIED", {}),
            (limited, everywhere_client.id, tenant.store_id, "ACCESS_DENIED", {"client_id": ["mismatch"]}),
            (limited, tenant.client_id, second.id, "ACCESS_DENIED", {"store_id": ["not allowed"]}),
            (limited, tenant.client_id, other_tenant.store_id, "NOT_FOUND", {"store_id": ["not found"]}),
            (everywhere, everywhere_client.id, other_tenant.store_id, "NOT_FOUND", {"store_id": ["not found"]}),
        ]
        for principal, client_id, store_id, code, fields in cases:
            with pytest.raises(DomainError) as caught:
                await require_pos_client(conn, principal, client_id, store_id)
            assert (caught.value.code, caught.value.fields) == (code, fields)
