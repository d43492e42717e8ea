"""The item catalog, imported from a file in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from openoffers.cli.common import DatabaseUrl, Json, emit, fail, run, uuid_option
from openoffers.kit.clock import utc_now
from openoffers.kit.db import Database

catalog_app = typer.Typer(help="The item catalog.", no_args_is_help=True)


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
