"""Running the service: the HTTP server, the schema, one round of housekeeping, and the demo retailer.

`serve`, `demo` and `maintenance` are top-level commands (`openoffers.cli` registers them); `db` is a group.
"""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import structlog
import typer
from sqlalchemy.engine import make_url

from openoffers import migrations
from openoffers.cli.common import DatabaseUrl, Json, emit, migrate_if_sqlite, one_line_errors, run, settings_for
from openoffers.demo import demo_text, ensure_demo
from openoffers.kit import logs
from openoffers.kit.clock import iso_z, utc_now
from openoffers.settings import Settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


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
        # The standard library's event loop, not uvloop: under load uvloop took new connections one per
        # turn of a busy loop, so a till connecting while others were served waited for every request
        # of every turn before its own (16 connections spread over 185 ms; that wait was the p99 of the
        # POS benchmarks). asyncio takes them all at once and served as many requests per second
        # (docs/DECISIONS.md, "The server's event loop").
        loop="asyncio",
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
