"""Retailers (tenants) and what they decide about points, and the run that expires customers' points."""

from __future__ import annotations

from typing import Annotated

import typer

from openoffers.cli.common import DatabaseUrl, Json, emit, fail, run, uuid_option
from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.loyalty import service as wallet
from openoffers.tenancy import service as tenancy

retailer_app = typer.Typer(help="Retailers (tenants).", no_args_is_help=True)
points_app = typer.Typer(help="Customers' points.", no_args_is_help=True)


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
