"""Users (customers), created with the same checks as the API's users/create."""

from __future__ import annotations

from typing import Annotated

import typer

from openoffers.cli.common import DatabaseUrl, Json, emit, run, uuid_option
from openoffers.kit import wire
from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database
from openoffers.loyalty import service as wallet
from openoffers.wallet.schemas import CreateUserRequest, UserOut

user_app = typer.Typer(help="Users (customers) and their wallets.", no_args_is_help=True)


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
