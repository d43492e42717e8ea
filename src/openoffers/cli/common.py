"""What every command shares: its two common options, one unit of work on a fresh engine, one-line
errors, and its output (one JSON object with --json, else a line for a person)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar
from uuid import UUID

import click
import typer
from rich.console import Console

from openoffers import migrations
from openoffers.kit import wire
from openoffers.kit.db import Database, unavailable
from openoffers.kit.errors import DomainError
from openoffers.settings import Settings

T = TypeVar("T")

# No wrapping: the demo's curl commands must paste as printed.
console = Console(soft_wrap=True)
error_console = Console(stderr=True, soft_wrap=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Database URL (default: OPENOFFERS_DATABASE_URL or ./openoffers.db)"),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object of what was created.")]


def settings_for(database_url: str | None) -> Settings:
    return Settings.from_env(database_url=database_url)


def run(database_url: str | None, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one async unit of work against a fresh engine. On SQLite the schema is brought up to date
    first, as `serve` does, so every command works on a new file; errors exit 1 with one line."""
    settings = settings_for(database_url)

    async def main() -> T:
        db = Database(settings.database_url, pool_size=2, timeouts=settings.db_timeouts)
        try:
            return await work(db)
        finally:
            await db.dispose()

    with one_line_errors(settings):
        migrate_if_sqlite(settings)
        return asyncio.run(main())


@contextmanager
def one_line_errors(settings: Settings) -> Iterator[None]:
    """Every failure as one line on stderr and exit status 1: a refusal with its code, a database that
    cannot be reached with why, and anything else (a bug) by its kind, its trace only at log level debug."""
    try:
        yield
    except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
        raise  # the CLI's own exits and usage errors, already one line
    except DomainError as error:
        fail(f"{error.code}: {error.message}{_unmentioned_fields(error)}")
    except Exception as error:
        reason = unavailable(error)
        if reason is not None:
            fail(f"UNAVAILABLE: the database is unavailable ({reason})")
        if settings.log_level.lower() == "debug":
            raise
        first_line = (str(error).strip().splitlines() or [""])[0][:300]
        fail(f"{type(error).__name__}: {first_line} (OPENOFFERS_LOG_LEVEL=debug shows the trace)")


def _unmentioned_fields(error: DomainError) -> str:
    """The fields and problems the message does not already say (ValidationFailed.field puts them in it)."""
    extra = [f"{k}: {', '.join(v)}" for k, v in error.fields.items() if f"{k}: {', '.join(v)}" not in error.message]
    return f" ({'; '.join(extra)})" if extra else ""


def fail(line: str) -> NoReturn:
    error_console.print(f"[red]error[/red] {line}", highlight=False)
    raise typer.Exit(1)


def emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(wire.encode(data).decode() + "\n")
    else:
        console.print(human)


def uuid_option(value: str | None, name: str) -> UUID | None:
    """An option's UUID, or None when it was not given; anything else is a usage error naming `name`."""
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a UUID", param_hint=name) from None


def migrate_if_sqlite(settings: Settings) -> None:
    if Database(settings.database_url).is_sqlite:
        migrations.upgrade(settings.database_url)
