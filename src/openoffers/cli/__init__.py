"""The `openoffers` command: serve, migrate, and create tenancy objects from a shell.

Every command takes `--database-url` (default OPENOFFERS_DATABASE_URL, else ./openoffers.db) and
`--json`, which prints one JSON object describing what was created, for scripts and tests.

This module only assembles the command tree; the commands live in the modules beside it, and what
they share (options, running a unit of work, one-line errors, output) in `common`.
"""

from __future__ import annotations

import typer

from openoffers.cli import catalog, operations, retailers, tenancy, users

app = typer.Typer(help="OpenOffers: offers and loyalty, SessionM-compatible.", no_args_is_help=True)

# `openoffers --help` lists the top-level commands first, then the groups, each in the order added here.
app.command()(operations.serve)
app.command()(operations.demo)
app.command()(operations.maintenance)
app.add_typer(operations.db_app, name="db")
app.add_typer(retailers.retailer_app, name="retailer")
app.add_typer(tenancy.key_app, name="key")
app.add_typer(tenancy.account_app, name="account")
app.add_typer(tenancy.store_app, name="store")
app.add_typer(tenancy.client_app, name="client")
app.add_typer(users.user_app, name="user")
app.add_typer(catalog.catalog_app, name="catalog")
app.add_typer(retailers.points_app, name="points")


def main() -> None:
    app()
