"""The `openoffers` command: serve, migrate, and create tenancy objects from a shell.

Every command takes `--database-url` (default OPENOFFERS_DATABASE_URL, else ./openoffers.db) and
`--json`, which prints one JSON object describing what was created, for scripts and tests.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from openoffers import migrations
from openoffers.cli.common import (
    DatabaseUrl,
    Json,
    emit,
    fail,
    migrate_if_sqlite,
    one_line_errors,
    run,
    settings_for,
    uuid_option,
)
from openoffers.demo import demo_text, ensure_demo
from openoffers.kit import logs, wire
from openoffers.kit.clock import iso_z, utc_now
from openoffers.kit.db import Database
from openoffers.loyalty import service as wallet
from openoffers.settings import Settings
from openoffers.tenancy import accounts as people
from openoffers.tenancy import service as tenancy
from openoffers.wallet.schemas import CreateUserRequest, UserOut

app = typer.Typer(help="OpenOffers: offers and loyalty, SessionM-compatible.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
retailer_app = typer.Typer(help="Retailers (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
store_app = typer.Typer(help="Stores.", no_args_is_help=True)
client_app = typer.Typer(help="POS clients.", no_args_is_help=True)
user_app = typer.Typer(help="Users (customers) and their wallets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(retailer_app, name="retailer")
app.add_typer(key_app, name="key")
account_app = typer.Typer(help="People who sign in to the admin UI.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(store_app, name="store")
app.add_typer(client_app, name="client")
app.add_typer(user_app, name="user")
catalog_app = typer.Typer(help="The item catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
points_app = typer.Typer(help="Customers' points.", no_args_is_help=True)
app.add_typer(points_app, name="points")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes.")] = None,
    database_url: DatabaseUrl = None,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
) -> None:
    """Start the HTTP server. On SQLite the schema is migrated first; on PostgreSQL run `db upgrade`."""
    import uvicorn

    settings = Settings.from_env(database_url=database_url, host=host, port=port, workers=workers)
    with one_line_errors(settings):
        migrate_if_sqlite(settings)
    # Workers are separate processes: they read their settings from the environment.
    os.environ["OPENOFFERS_DATABASE_URL"] = settings.database_url
    if settings.workers > 1 and not settings.secret_key:
        # Workers must agree on the admin session key; without one configured, share a random one.
        os.environ["OPENOFFERS_SECRET_KEY"] = secrets.token_urlsafe(32)
    # The server's output is JSON lines from here on (kit.logs), uvicorn's included.
    logs.configure(settings.log_level)
    base = f"http://{settings.host}:{settings.port}"
    structlog.get_logger("openoffers.serve").info(
        f"OpenOffers listening on {base}",
        database=make_url(settings.database_url).render_as_string(hide_password=True),
        admin=f"{base}/admin",
        docs=f"{base}/docs",
    )
    uvicorn.run(
        "openoffers.asgi:create",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=logs.log_config(settings.log_level),
        # X-Forwarded-For is believed only from configured proxies: anyone else could pick an address
        # for every request and so escape the sign-in throttle's count.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        access_log=access_log,
        http="openoffers.server:ReadDeadlineProtocol",
        # An idle kept-alive connection is closed after this; a request's own arrival is bounded by
        # OPENOFFERS_REQUEST_READ_TIMEOUT_SECONDS (openoffers.server).
        timeout_keep_alive=5,
        server_header=False,
    )


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None, as_json: Json = False) -> None:
    """Apply every pending migration."""
    settings = settings_for(database_url)
    with one_line_errors(settings):
        migrations.upgrade(settings.database_url)
    emit(as_json, {"upgraded": True, "heads": list(migrations.current_heads())}, "schema is up to date")


@retailer_app.command("create")
def retailer_create(
    name: Annotated[str, typer.Option(help="Retailer name.")],
    id: Annotated[str | None, typer.Option("--id", help="Keep an existing id (UUID).")] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency.")] = "USD",
    timezone: Annotated[str, typer.Option(help="Default time zone, Area/City.")] = "UTC",
    culture: Annotated[str, typer.Option(help="Default culture, e.g. en.")] = "en",
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create a retailer."""
    retailer_id = uuid_option(id, "--id")
    retailer = run(
        database_url,
        lambda db: tenancy.create_retailer(
            db,
            name=name,
            retailer_id=retailer_id,
            currency=currency,
            timezone=timezone,
            culture=culture,
            now=utc_now(),
        ),
    )
    emit(
        as_json,
        {
            "retailer_id": str(retailer.id),
            "name": retailer.name,
            "currency": retailer.currency,
            "timezone": retailer.timezone,
            "culture": retailer.culture,
        },
        f"retailer [bold]{retailer.id}[/bold] created",
    )


@retailer_app.command("points-clawback")
def retailer_points_clawback(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    set_to: Annotated[
        str | None, typer.Option("--set", help="negative (default) or floor: returns and voids of spent points.")
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Show or set what a return or void does when the customer already spent the points it takes back."""
    retailer_id = uuid_option(retailer, "--retailer")
    assert retailer_id is not None

    async def work(db: Database) -> str:
        if set_to is not None:
            await wallet.set_points_clawback(db, retailer_id, set_to.strip().lower(), utc_now())
        return await wallet.points_clawback(db, retailer_id)

    policy = run(database_url, work)
    emit(as_json, {"retailer_id": str(retailer_id), "points_clawback": policy}, f"points clawback: {policy}")


@retailer_app.command("points-expiry")
def retailer_points_expiry(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    set_to: Annotated[
        str | None,
        typer.Option("--set", help="Months after the day points were earned that they expire; 0 or never: never."),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Show or set when points expire: N calendar months after the day they were earned (default never)."""
    retailer_id = uuid_option(retailer, "--retailer")
    assert retailer_id is not None
    months = None if set_to is None else _months(set_to)

    async def work(db: Database) -> int:
        if months is not None:
            await wallet.set_loyalty_settings(db, retailer_id, utc_now(), expiry_months=months)
        return (await wallet.loyalty_settings(db, retailer_id)).points_expiry_months

    shown = run(database_url, work)
    emit(
        as_json,
        {"retailer_id": str(retailer_id), "points_expiry_months": shown},
        f"points expire {shown} months after they were earned" if shown else "points never expire",
    )


def _months(text: str) -> int:
    value = text.strip().lower()
    if value == "never":
        return 0
    if not value.isdigit():
        fail("VALIDATION: points_expiry_months: must be a whole number of months, or never")
    return int(value)


@points_app.command("expire")
def points_expire(
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=1000, help="Customer balances per transaction.")
    ] = 100,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Record every point expiry due now, for every retailer whose points expire (servers also do it in
    their housekeeping); running it again, or from several places at once, expires nothing twice."""
    lots = run(database_url, lambda db: wallet.expire_points(db, utc_now(), batch=batch_size))
    emit(as_json, {"expired_lots": lots}, f"expired the points left in {lots} lots")


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


@user_app.command("create")
def user_create(
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    external_customer_id: Annotated[
        str, typer.Option("--external-customer-id", help="The retailer's own customer id (unique per retailer).")
    ],
    id: Annotated[str | None, typer.Option("--id", help="Keep an existing user id (UUID).")] = None,
    first_name: Annotated[str, typer.Option("--first-name", help="First name.")] = "",
    last_name: Annotated[str, typer.Option("--last-name", help="Last name.")] = "",
    email: Annotated[str | None, typer.Option(help="Email (looked up case-insensitively).")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone (looked up by its digits).")] = None,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Create a user, with the same checks as api/2.0/users/create."""
    retailer_id = uuid_option(retailer, "--retailer")
    user_id = uuid_option(id, "--id")
    fields = {
        "retailer_id": str(retailer_id),
        "user_id": str(user_id) if user_id else None,
        "external_customer_id": external_customer_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
    }

    async def work(db: Database) -> UserOut:
        # Through the wire rules, so a bad email or phone is refused here exactly as over HTTP.
        return await wallet.create_user(db, wire.convert(fields, CreateUserRequest), utc_now())

    user = run(database_url, work)
    emit(as_json, wire.to_builtins(user), f"user [bold]{user.user_id}[/bold] created")


@catalog_app.command("import")
def catalog_import(
    file: Annotated[
        Path, typer.Argument(help="A .csv (item_id,name,category_ids; categories split by |) or .jsonl file.")
    ],
    retailer: Annotated[str, typer.Option(help="Retailer id.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=5000, help="Items per transaction.")] = 500,
    database_url: DatabaseUrl = None,
    as_json: Json = False,
) -> None:
    """Import catalog items, upserted by item_id (running it again is harmless). The whole file is
    checked first: a bad line imports nothing."""
    from rich.progress import Progress

    from openoffers.catalog import file as catalog_file
    from openoffers.catalog import service as catalog

    retailer_id = uuid_option(retailer, "--retailer")
    assert retailer_id is not None
    try:
        total = catalog_file.count(file)
    except catalog_file.CatalogFileError as error:
        fail(f"VALIDATION: {error}")

    async def work(db: Database) -> int:
        imported = 0
        with Progress(console=Console(stderr=True), disable=as_json) as progress:
            task = progress.add_task(f"Importing {file.name}", total=total)
            # One transaction, and so one audit row, per batch (docs/DECISIONS.md, the audit log's boundary).
            for number, batch in enumerate(catalog_file.batches(file, batch_size), start=1):
                imported += await catalog.import_batch(db, retailer_id, batch, utc_now(), file=file.name, batch=number)
                progress.advance(task, len(batch))
        return imported

    imported = run(database_url, work)
    emit(
        as_json,
        {"retailer_id": str(retailer_id), "file": str(file), "items": total, "imported": imported},
        f"imported [bold]{imported}[/bold] catalog items from {file.name}",
    )


# The guide's Lock check (its transaction_id, lines and times), reused to close it in step 6.


@app.command()
def demo(
    database_url: DatabaseUrl = None,
    as_json: Json = False,
    base_url: Annotated[
        str | None,
        typer.Option(help="Where the server listens, for the printed commands (default: OPENOFFERS_HOST and _PORT)."),
    ] = None,
) -> None:
    """Create the demo retailer once (the guide's own ids and POS credentials) and print how to use it."""
    settings = settings_for(database_url)
    base_url = base_url or f"http://{settings.host}:{settings.port}"
    info = run(database_url, lambda db: ensure_demo(db, utc_now))
    emit(
        as_json,
        {
            "created": info.created,
            "retailer_id": str(info.retailer_id),
            "api_key": info.api_key,
            "api_secret": info.api_secret,
            "account_email": info.account_email,
            "account_password": info.account_password,
            "pos_client_id": str(info.pos_client_id),
            "pos_client_secret": info.pos_client_secret,
            "store_ids": [str(s) for s in info.store_ids],
            "offer_id": str(info.offer_id) if info.offer_id else None,
            "user_id": str(info.user_id) if info.user_id else None,
            "at": iso_z(utc_now()),
        },
        demo_text(info, base_url.rstrip("/")),
    )


@app.command()
def maintenance(database_url: DatabaseUrl = None, as_json: Json = False) -> None:
    """Run one round of housekeeping now (servers also run it every OPENOFFERS_MAINTENANCE_INTERVAL_SECONDS)."""
    from openoffers.maintenance import run_once

    settings = settings_for(database_url)
    report = run(database_url, lambda db: run_once(db, settings, utc_now))
    emit(
        as_json,
        {
            "expired_user_offers": report.expired_user_offers,
            "released_locks": report.released_locks,
            "purged_replies": report.purged_replies,
            "expired_point_lots": report.expired_point_lots,
        },
        f"expired {report.expired_user_offers} user offers, released {report.released_locks} locks, "
        f"purged {report.purged_replies} stored replies, expired the points left in {report.expired_point_lots} lots",
    )


def main() -> None:
    app()
