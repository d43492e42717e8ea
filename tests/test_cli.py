"""The `openoffers` command: every tenancy command with --database-url and --json, db upgrade, demo."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from openoffers import demo, migrations
from openoffers.cli import app
from openoffers.kit.db import Database
from openoffers.offers import service as offers
from openoffers.tables import metadata
from openoffers.tenancy import repository as repo
from openoffers.tenancy.service import Principal, Role, authenticate

T = TypeVar("T")

runner = CliRunner()

RETAILER = "2D5B5A08-BECD-4837-A69A-2AB967C7773A"
# The Authorization header of the guide's Lookup request, verbatim.
GUIDE_LOOKUP_AUTHORIZATION = "Basic ZDRkOTUwYWYtMWEzNy00YTEwLWJhOGItYzJmYjhlZTI0MzQwOnFQQ0ZlN05xRTVNOUUy"


def run(*args: str) -> tuple[int, str]:
    """Exit code and output with whitespace collapsed (rich wraps long lines)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(url, pool_size=1)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_retailer_create(database_url: str) -> None:
    created = run_json(
        "retailer",
        "create",
        "--name",
        "Guide Retailer",
        "--id",
        RETAILER,
        "--currency",
        "eur",
        "--timezone",
        "Europe/Paris",
        "--culture",
        "fr-FR",
        "--database-url",
        database_url,
    )
    assert created == {
        "retailer_id": RETAILER.lower(),
        "name": "Guide Retailer",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "culture": "fr-fr",
    }
    stored = with_db(database_url, lambda db: _retailer(db, UUID(RETAILER)))
    assert (stored.name, stored.currency, stored.timezone, stored.culture) == (
        "Guide Retailer",
        "EUR",
        "Europe/Paris",
        "fr-fr",
    )
    # Defaults, and the human output.
    code, output = run("retailer", "create", "--name", "Plain", "--database-url", database_url)
    assert code == 0
    assert output.startswith("retailer ") and output.rstrip().endswith(" created")


def test_retailer_points_clawback(database_url: str) -> None:
    """The per-retailer choice for returns and voids of points already spent (DECISIONS.md, Returns)."""
    run_json("retailer", "create", "--name", "Shop", "--id", RETAILER, "--database-url", database_url)
    shown = run_json("retailer", "points-clawback", "--retailer", RETAILER, "--database-url", database_url)
    assert shown == {"retailer_id": RETAILER.lower(), "points_clawback": "negative"}
    changed = run_json(
        "retailer", "points-clawback", "--retailer", RETAILER, "--set", "FLOOR", "--database-url", database_url
    )
    assert changed["points_clawback"] == "floor"
    code, output = run(
        "retailer", "points-clawback", "--retailer", RETAILER, "--set", "never", "--database-url", database_url
    )
    assert (code, output) == (1, "error VALIDATION: points_clawback: must be one of negative, floor")
    other = "00000000-0000-4000-8000-000000000001"
    for extra in ((), ("--set", "floor")):
        code, output = run("retailer", "points-clawback", "--retailer", other, *extra, "--database-url", database_url)
        assert (code, output) == (1, "error NOT_FOUND: retailer not found (retailer_id: not found)")
    shown = run_json("retailer", "points-clawback", "--retailer", RETAILER, "--database-url", database_url)
    assert shown["points_clawback"] == "floor"


def test_retailer_points_expiry_and_points_expire(database_url: str) -> None:
    """When points expire (DECISIONS.md, Points expiry), and the run that records it."""
    run_json("retailer", "create", "--name", "Shop", "--id", RETAILER, "--database-url", database_url)
    shown = run_json("retailer", "points-expiry", "--retailer", RETAILER, "--database-url", database_url)
    assert shown == {"retailer_id": RETAILER.lower(), "points_expiry_months": 0}
    code, output = run("retailer", "points-expiry", "--retailer", RETAILER, "--database-url", database_url)
    assert (code, output) == (0, "points never expire")
    changed = run_json(
        "retailer", "points-expiry", "--retailer", RETAILER, "--set", "12", "--database-url", database_url
    )
    assert changed["points_expiry_months"] == 12
    code, output = run("retailer", "points-expiry", "--retailer", RETAILER, "--database-url", database_url)
    assert (code, output) == (0, "points expire 12 months after they were earned")
    for wrong, problem in (
        ("121", "must be a whole number of months from 1 to 120, or 0 for never"),
        ("soon", "must be a whole number of months, or never"),
    ):
        code, output = run(
            "retailer", "points-expiry", "--retailer", RETAILER, "--set", wrong, "--database-url", database_url
        )
        assert (code, output) == (1, f"error VALIDATION: points_expiry_months: {problem}")
    assert run_json("points", "expire", "--database-url", database_url) == {"expired_lots": 0}
    off = run_json(
        "retailer", "points-expiry", "--retailer", RETAILER, "--set", "never", "--database-url", database_url
    )
    assert off["points_expiry_months"] == 0


async def _retailer(db: Database, retailer_id: UUID) -> Any:
    async with db.read() as conn:
        return await repo.get_retailer(conn, retailer_id)


def test_retailer_create_refusals(database_url: str) -> None:
    run_json("retailer", "create", "--name", "First", "--id", RETAILER, "--database-url", database_url)
    code, output = run("retailer", "create", "--name", "Again", "--id", RETAILER, "--database-url", database_url)
    assert code == 1
    assert f"CONFLICT: retailer {RETAILER.lower()} already exists (id: already exists)" in output
    code, output = run("retailer", "create", "--name", "X", "--timezone", "Mars/Base", "--database-url", database_url)
    assert code == 1
    assert "VALIDATION" in output and "timezone" in output
    code, output = run("retailer", "create", "--name", "X", "--currency", "DOLLARS", "--database-url", database_url)
    assert (code, "VALIDATION" in output) == (1, True)
    code, output = run("retailer", "create", "--name", "X", "--id", "not-a-uuid", "--database-url", database_url)
    assert code == 2
    assert "is not a UUID" in output
    retailers = with_db(database_url, _all_retailers)
    assert [r.name for r in retailers] == ["First"]


async def _all_retailers(db: Database) -> Any:
    async with db.read() as conn:
        return await repo.list_retailers(conn)


def test_key_create(database_url: str) -> None:
    run_json("retailer", "create", "--name", "Shop", "--id", RETAILER, "--database-url", database_url)
    generated = run_json("key", "create", "--retailer", RETAILER, "--database-url", database_url)
    assert set(generated) == {"retailer_id", "key", "secret", "role", "authorization"}
    assert (generated["retailer_id"], generated["role"]) == (RETAILER.lower(), "admin")
    principal = with_db(database_url, lambda db: authenticate(db, generated["authorization"]))
    assert principal == Principal(UUID(RETAILER), "api_key", role=Role.ADMIN, key=generated["key"])

    explicit = run_json(
        "key",
        "create",
        "--retailer",
        RETAILER.lower(),
        "--key",
        "partner-key",
        "--secret",
        "partner-secret",
        "--role",
        "pos",
        "--database-url",
        database_url,
    )
    assert explicit == {
        "retailer_id": RETAILER.lower(),
        "key": "partner-key",
        "secret": "partner-secret",
        "role": "pos",
        "authorization": "Basic cGFydG5lci1rZXk6cGFydG5lci1zZWNyZXQ=",  # base64("partner-key:partner-secret")
    }
    principal = with_db(database_url, lambda db: authenticate(db, explicit["authorization"]))
    assert principal.role == Role.POS
    # The secret is shown once and never stored.
    keys = with_db(database_url, lambda db: _keys(db, UUID(RETAILER)))
    assert [k.key for k in keys] == [generated["key"], "partner-key"]
    assert all(
        secret not in {k.secret_hash, k.salt} for k in keys for secret in ("partner-secret", generated["secret"])
    )


async def _keys(db: Database, retailer_id: UUID) -> Any:
    async with db.read() as conn:
        return await repo.list_api_keys(conn, retailer_id)


def test_key_create_refusals(database_url: str) -> None:
    code, output = run("key", "create", "--retailer", RETAILER, "--database-url", database_url)
    assert code == 1
    assert "NOT_FOUND: retailer not found" in output
    run_json("retailer", "create", "--name", "Shop", "--id", RETAILER, "--database-url", database_url)
    code, output = run("key", "create", "--retailer", RETAILER, "--role", "superuser", "--database-url", database_url)
    assert code == 1
    assert "VALIDATION" in output and "role" in output
    run_json("key", "create", "--retailer", RETAILER, "--key", "taken", "--database-url", database_url)
    code, output = run("key", "create", "--retailer", RETAILER, "--key", "taken", "--database-url", database_url)
    assert code == 1
    assert "CONFLICT" in output
    assert len(with_db(database_url, lambda db: _keys(db, UUID(RETAILER)))) == 1


def test_store_and_client_create(database_url: str) -> None:
    run_json("retailer", "create", "--name", "Shop", "--id", RETAILER, "--timezone", "America/Denver",
             "--database-url", database_url)  # fmt: skip
    store = run_json(
        "store", "create", "--retailer", RETAILER, "--name", "Downtown", "--tag", "Downtown", "--tag", "mall",
        "--database-url", database_url,
    )  # fmt: skip
    store_id = store["store_id"]
    assert store == {
        "store_id": store_id,
        "retailer_id": RETAILER.lower(),
        "name": "Downtown",
        "timezone": "America/Denver",
        "tags": ["downtown", "mall"],
    }
    fixed_store = "136b6d16-1317-4ac6-b551-19540d53bd6c"
    airport = run_json(
        "store", "create", "--retailer", RETAILER, "--name", "Airport", "--id", fixed_store.upper(),
        "--timezone", "America/New_York", "--database-url", database_url,
    )  # fmt: skip
    assert (airport["store_id"], airport["timezone"], airport["tags"]) == (fixed_store, "America/New_York", [])

    client = run_json(
        "client", "create", "--retailer", RETAILER, "--id", "D4D950AF-1A37-4A10-BA8B-C2FB8EE24340",
        "--secret", "qPCFe7NqE5M9E2", "--store", store_id, "--store", fixed_store, "--name", "till",
        "--database-url", database_url,
    )  # fmt: skip
    assert client == {
        "client_id": "d4d950af-1a37-4a10-ba8b-c2fb8ee24340",
        "retailer_id": RETAILER.lower(),
        "secret": "qPCFe7NqE5M9E2",
        "store_ids": [store_id, fixed_store],
        # Explicit id and secret: the guide's Lookup credentials work unchanged.
        "authorization": GUIDE_LOOKUP_AUTHORIZATION,
    }
    everywhere = run_json("client", "create", "--retailer", RETAILER, "--database-url", database_url)
    assert everywhere["store_ids"] == []
    principal = with_db(database_url, lambda db: authenticate(db, everywhere["authorization"]))
    assert (principal.kind, principal.client_id, principal.store_ids) == (
        "pos_client",
        UUID(everywhere["client_id"]),
        frozenset(),
    )

    # Refusals: a taken store id, another retailer's store, a bad zone.
    code, output = run("store", "create", "--retailer", RETAILER, "--name", "Dup", "--id", fixed_store,
                       "--database-url", database_url)  # fmt: skip
    assert (code, "CONFLICT" in output) == (1, True)
    other = run_json("retailer", "create", "--name", "Other", "--database-url", database_url)["retailer_id"]
    code, output = run("client", "create", "--retailer", other, "--store", store_id, "--database-url", database_url)
    assert code == 1
    assert f"NOT_FOUND: store {store_id} not found" in output
    code, output = run("store", "create", "--retailer", RETAILER, "--name", "X", "--timezone", "Nowhere",
                       "--database-url", database_url)  # fmt: skip
    assert (code, "VALIDATION" in output) == (1, True)
    code, output = run("client", "create", "--retailer", RETAILER, "--store", "nope", "--database-url", database_url)
    assert (code, "is not a UUID" in output) == (2, True)


def test_db_upgrade_on_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    result = run_json("db", "upgrade", "--database-url", f"sqlite:///{path}")
    heads = list(migrations.current_heads())
    assert result == {"upgraded": True, "heads": heads}
    assert len(heads) == 1

    async def tables(db: Database) -> set[str]:
        async with db.read() as conn:
            names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return set(names)

    assert with_db(f"sqlite:///{path}", tables) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    # Running it again changes nothing and says so.
    assert run_json("db", "upgrade", "--database-url", f"sqlite:///{path}") == {"upgraded": True, "heads": heads}


def test_db_upgrade_on_postgresql(pg_migrated: str) -> None:
    assert run_json("db", "upgrade", "--database-url", pg_migrated) == {
        "upgraded": True,
        "heads": list(migrations.current_heads()),
    }


def basic_header(key: object, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_demo_twice_and_the_guides_lookup_credentials(database_url: str) -> None:
    first = run_json("demo", "--database-url", database_url)
    second = run_json("demo", "--database-url", database_url)
    assert (first["created"], second["created"]) == (True, False)
    expected = {
        "retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a",
        "api_key": "demo-admin",
        "api_secret": "demo-secret",
        "pos_client_id": "d4d950af-1a37-4a10-ba8b-c2fb8ee24340",
        "pos_client_secret": "qPCFe7NqE5M9E2",
        "store_ids": ["136b6d16-1317-4ac6-b551-19540d53bd6c", "332b6ee0-e981-4f96-8047-d0d358cfb3e0"],
    }
    for info in (first, second):
        assert {key: info[key] for key in expected} == expected
    assert first["offer_id"] is not None
    assert second["offer_id"] == first["offer_id"]

    principal = with_db(database_url, lambda db: authenticate(db, GUIDE_LOOKUP_AUTHORIZATION))
    assert principal == Principal(
        demo.RETAILER_ID,
        "pos_client",
        client_id=UUID("d4d950af-1a37-4a10-ba8b-c2fb8ee24340"),
        store_ids=frozenset({demo.LOOKUP_STORE_ID, demo.LOCK_STORE_ID}),
    )
    # The guide's Lock and send_transaction name client 686ed454-...; the demo gives it a known secret.
    lock_client = with_db(
        database_url, lambda db: authenticate(db, basic_header(demo.LOCK_CLIENT_ID, "demo-lock-secret"))
    )
    assert lock_client == Principal(
        demo.RETAILER_ID,
        "pos_client",
        client_id=UUID("686ed454-ecab-4e86-8abe-c9470e8dd787"),
        store_ids=frozenset({demo.LOCK_STORE_ID}),
    )
    admin = with_db(database_url, lambda db: authenticate(db, "Basic ZGVtby1hZG1pbjpkZW1vLXNlY3JldA=="))
    assert (admin.kind, admin.role, admin.retailer_id) == ("api_key", Role.ADMIN, demo.RETAILER_ID)
    offer = with_db(database_url, lambda db: offers.fetch_offer(db, demo.RETAILER_ID, UUID(first["offer_id"]), "en"))
    assert (offer.title, offer.status, offer.offer_type_id, offer.discount_config) == (
        "$5 off Check",
        1,
        "fixed_amount_check_discount",
        {"amount": 5},
    )


def test_demo_prints_how_to_use_it(database_url: str) -> None:
    code, output = run("demo", "--database-url", database_url, "--base-url", "http://localhost:9999/")
    assert code == 0
    assert "Demo retailer" in output
    assert "http://localhost:9999/api/2.0/offers/management/create" in output
    assert "Basic ZGVtby1hZG1pbjpkZW1vLXNlY3JldA==" in output
    # Steps 4 to 6 with the guide's own ids and headers, each command on one unwrapped line.
    for expected in (
        "http://localhost:9999/api/2.0/Lookup -H 'Authorization: Basic "
        "ZDRkOTUwYWYtMWEzNy00YTEwLWJhOGItYzJmYjhlZTI0MzQwOnFQQ0ZlN05xRTVNOUUy'",
        '"request_payload": {"external_customer_id": "14311211"}',
        '"offer_lookup_code": "757144c2-6693-4a29-9f2c-f1d3aa2fa24f"',
        "http://localhost:9999/api/2.0/send_transaction",
    ):
        assert expected in output, expected


def test_the_installed_command_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'installed.db'}"
    executable = str(Path(sys.executable).with_name("openoffers"))
    done = subprocess.run(
        [executable, "demo", "--database-url", url, "--json"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] is True
    done = subprocess.run([executable, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    for command in ("serve", "db", "demo", "retailer", "key", "store", "client"):
        assert command in done.stdout


@pytest.mark.parametrize(
    "command",
    [["retailer", "create"], ["key", "create"], ["store", "create"], ["client", "create"], ["db", "upgrade"], ["demo"]],
)
def test_every_command_takes_database_url_and_json(command: list[str]) -> None:
    code, output = run(*command, "--help")
    assert code == 0
    assert "--database-url" in output
    assert "--json" in output


# --- A fresh database, and errors as one line -------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("retailer", "create", "--name", "Fresh"),
        ("maintenance",),
        ("demo",),
        ("user", "create", "--retailer", RETAILER, "--external-customer-id", "C-1"),
    ],
)
def test_every_command_sets_up_a_fresh_sqlite_file(tmp_path: Path, command: tuple[str, ...]) -> None:
    """As `serve` does: no "no such table", no traceback, and the file has the whole schema afterwards."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = runner.invoke(app, [*command, "--database-url", url])
    if command[0] == "user":  # the schema is there; the retailer is not
        assert (result.exit_code, result.output) == (
            1,
            "error NOT_FOUND: retailer not found (retailer_id: not found)\n",
        )
    else:
        assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert with_db(url, _tables) >= {t.name for t in metadata.sorted_tables}


async def _tables(db: Database) -> set[str]:
    async with db.read() as conn:
        return await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))


def test_a_refusal_is_one_line_and_says_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = runner.invoke(app, ["retailer", "create", "--name", "X", "--currency", "DOLLARS", "--database-url", url])
    assert (result.exit_code, result.output) == (
        1,
        "error VALIDATION: currency: must be an ISO 4217 code such as USD\n",
    )


@pytest.mark.parametrize("command", [("maintenance",), ("db", "upgrade"), ("retailer", "create", "--name", "X")])
def test_an_unreachable_database_is_one_line(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
    assert (result.exit_code, result.output) == (
        1,
        "error UNAVAILABLE: the database is unavailable (the database refused the connection)\n",
    )


def test_demo_prints_the_configured_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENOFFERS_PORT", "9123")
    monkeypatch.setenv("OPENOFFERS_HOST", "0.0.0.0")
    code, output = run("demo", "--database-url", f"sqlite:///{tmp_path / 'demo.db'}")
    assert code == 0
    assert "http://0.0.0.0:9123/api/2.0/Lookup" in output
    assert ":8000" not in output
