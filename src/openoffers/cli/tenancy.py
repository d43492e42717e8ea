"""Who and where, for a retailer: API keys, admin accounts, stores and POS clients.

A key's or client's secret, and a generated password, is printed once and stored only as a hash.
"""

from __future__ import annotations

import base64
import secrets
from typing import Annotated

import typer

from openoffers.cli.common import DatabaseUrl, Json, emit, run, uuid_option
from openoffers.kit.clock import utc_now
from openoffers.tenancy import accounts as people
from openoffers.tenancy import service as tenancy

key_app = typer.Typer(help="API keys.", no_args_is_help=True)
account_app = typer.Typer(help="People who sign in to the admin UI.", no_args_is_help=True)
store_app = typer.Typer(help="Stores.", no_args_is_help=True)
client_app = typer.Typer(help="POS clients.", no_args_is_help=True)


@key_app.command("create")
def key_create(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    key: Annotated[str | None, typer.Option(help="Keep an existing key.")] = None,
    secret: Annotated[str | None, typer.Option(help="Keep an existing secret.")] = None,
    role: Annotated[str, typer.Option(help="admin, offers or pos.")] = "admin",
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create an API key. The secret is printed once and stored only as a hash."""
    retailer_id = uuid_option(retailer, "--retailer")
    assert retailer_id is not None
    api_key, plain = run(
        database_url,
        lambda db: tenancy.create_api_key(
            db, retailer_id=retailer_id, key=key, secret=secret, role=role, now=utc_now()
        ),
    )
    basic = base64.b64encode(f"{api_key.key}:{plain}".encode()).decode()
    emit(
        as_json,
        {
            "retailer_id": str(retailer_id),
            "key": api_key.key,
            "secret": plain,
            "role": api_key.role,
            "authorization": f"Basic {basic}",
        },
        f"key [bold]{api_key.key}[/bold] secret [bold]{plain}[/bold] (shown once)\nAuthorization: Basic {basic}",
    )


@account_app.command("create")
def account_create(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    email: Annotated[str, typer.Option(help="The person's e-mail address: what they sign in with.")],
    role: Annotated[str, typer.Option(help="admin, marketer or viewer.")] = "admin",
    password: Annotated[str | None, typer.Option(help="Their password (default: a new random one).")] = None,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create an account that signs in to the admin UI at once (the first owner). The password is
    printed once when it was generated, and stored only as an argon2 hash."""
    retailer_id = uuid_option(retailer, "--retailer")
    assert retailer_id is not None
    plain = password or secrets.token_urlsafe(12)
    account = run(
        database_url,
        lambda db: people.create_account(
            db, retailer_id=retailer_id, email=email, role=role, password=plain, now=utc_now()
        ),
    )
    shown = plain if password is None else None
    emit(
        as_json,
        {"retailer_id": str(retailer_id), "email": account.email, "role": account.role, "password": shown},
        f"account [bold]{account.email}[/bold] ({account.role})"
        + (f" password [bold]{plain}[/bold] (shown once)" if shown else ""),
    )


@store_app.command("create")
def store_create(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    name: Annotated[str, typer.Option(help="Store name.")],
    id: Annotated[str | None, typer.Option("--id", help="Keep an existing id (UUID).")] = None,
    timezone: Annotated[str | None, typer.Option(help="Area/City; default the retailer's.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeat for more).")] = None,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create a store."""
    retailer_id = uuid_option(retailer, "--retailer")
    store_id = uuid_option(id, "--id")
    assert retailer_id is not None
    store = run(
        database_url,
        lambda db: tenancy.create_store(
            db,
            retailer_id=retailer_id,
            name=name,
            store_id=store_id,
            timezone=timezone,
            tags=tuple(tag or ()),
            now=utc_now(),
        ),
    )
    emit(
        as_json,
        {
            "store_id": str(store.id),
            "retailer_id": str(retailer_id),
            "name": store.name,
            "timezone": store.timezone,
            "tags": list(store.tags),
        },
        f"store [bold]{store.id}[/bold] created",
    )


@client_app.command("create")
def client_create(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    id: Annotated[str | None, typer.Option("--id", help="Keep an existing client id (UUID).")] = None,
    secret: Annotated[str | None, typer.Option(help="Keep an existing secret.")] = None,
    store: Annotated[list[str] | None, typer.Option("--store", help="A store it may act for (repeat).")] = None,
    name: Annotated[str, typer.Option(help="A label.")] = "",
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create a POS client (its id is the POS envelope's client_id). No --store means every store."""
    retailer_id = uuid_option(retailer, "--retailer")
    client_id = uuid_option(id, "--id")
    store_ids = tuple(u for u in (uuid_option(s, "--store") for s in (store or [])) if u is not None)
    assert retailer_id is not None
    client, plain = run(
        database_url,
        lambda db: tenancy.create_pos_client(
            db,
            retailer_id=retailer_id,
            client_id=client_id,
            secret=secret,
            store_ids=store_ids,
            name=name,
            now=utc_now(),
        ),
    )
    basic = base64.b64encode(f"{client.id}:{plain}".encode()).decode()
    emit(
        as_json,
        {
            "client_id": str(client.id),
            "retailer_id": str(retailer_id),
            "secret": plain,
            "store_ids": [str(s) for s in client.store_ids],
            "authorization": f"Basic {basic}",
        },
        f"POS client [bold]{client.id}[/bold] secret [bold]{plain}[/bold] (shown once)\nAuthorization: Basic {basic}",
    )
