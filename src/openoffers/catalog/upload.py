"""A catalog file sent from the admin UI: every line checked first (each problem reported with its line
number), then all of it imported in one transaction, or nothing. The rows are read and checked by
`catalog.file` and written by `catalog.service.upsert`, exactly as `openoffers catalog import` does, with
the import's one audit row (`catalog.service.record_import`).

`import_file` tells its progress as it goes (`kit.file_import`); the admin page either streams it to the
browser or only waits for the report."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from openoffers.catalog.file import CSV_SUFFIXES, JSONL_SUFFIXES, CatalogFileError, checked, csv_rows
from openoffers.catalog.service import BATCH, CatalogItem, known_count, record_import, upsert
from openoffers.kit.db import Database
from openoffers.kit.file_import import CHECKING, WRITING, ImportReport, Progress, due


@dataclass
class Checked(ImportReport):
    items: list[CatalogItem] = field(default_factory=list)


Row = tuple[int, dict[str, object] | bytes]  # (line number, the line as the API's item or JSON text)


def _rows(data: bytes, filename: str, result: Checked) -> list[Row]:
    """The file's non-blank lines, or none with the reason the whole file is refused."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        if suffix in CSV_SUFFIXES:
            return list(csv_rows(io.StringIO(data.decode("utf-8-sig"), newline="")))
        if suffix in JSONL_SUFFIXES:
            return [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
        result.refuse(0, "give a .csv or .jsonl file")
    except UnicodeDecodeError:
        result.refuse(0, "the file is not UTF-8 text")
    except (CatalogFileError, csv.Error) as error:
        result.refuse(1, str(error).removeprefix("line 1: "))
    return []


async def import_file(
    db: Database, retailer_id: UUID, data: bytes, filename: str, now: datetime
) -> AsyncGenerator[Progress | Checked, None]:
    """Check every line of a .csv or .jsonl catalog file as the API checks an item; then, when all are
    good, upsert them all in one transaction (a failure leaves the catalog as it was). Yields progress,
    then the report: how many distinct items were imported, or every bad line and nothing imported."""
    result = Checked()
    rows = _rows(data, filename, result)
    if not rows and not result.problems:
        result.refuse(0, "the file has no items")
    if result.problems:
        yield result
        return
    yield Progress(CHECKING, 0, len(rows))
    for done, (number, raw) in enumerate(rows, start=1):
        try:
            result.items.append(checked(number, raw))
        except CatalogFileError as error:
            result.refuse(number, str(error).removeprefix(f"line {number}: "))
        if due(done, len(rows)):
            yield Progress(CHECKING, done, len(rows))
    if result.problems:
        yield result
        return
    # The last of repeated ids wins, as `upsert` has it; distinct first, so the batches count exactly.
    items = list({item.item_id: item for item in result.items}.values())
    known = 0
    async with db.write() as conn:
        yield Progress(WRITING, 0, len(items))
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            known += await known_count(conn, retailer_id, batch)
            result.imported += await upsert(conn, retailer_id, batch, now)
            yield Progress(WRITING, result.imported, len(items))
        await record_import(
            conn, retailer_id, imported=result.imported, new=result.imported - known, now=now, file=filename
        )
    yield result
