"""A catalog file sent from the admin UI: every line checked first (each problem reported with its line
number), then all of it imported in one transaction, or nothing. The rows are read and checked by
`catalog.file` and written by `catalog.service.import_in`, exactly as `openoffers catalog import` does."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from openoffers.catalog.file import CSV_SUFFIXES, JSONL_SUFFIXES, CatalogFileError, checked, csv_rows
from openoffers.catalog.service import CatalogItem, import_in
from openoffers.kit.db import Database

MAX_REPORTED = 200  # problems listed; a file with more says how many more


@dataclass
class Checked:
    items: list[CatalogItem] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    more_problems: int = 0

    def refuse(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, message))
        else:
            self.more_problems += 1


def check_file(data: bytes, filename: str) -> Checked:
    """Every line of a .csv or .jsonl catalog file, checked as the API checks an item."""
    result = Checked()
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        if suffix in CSV_SUFFIXES:
            rows: list[tuple[int, dict[str, object] | bytes]] = list(
                csv_rows(io.StringIO(data.decode("utf-8-sig"), newline=""))
            )
        elif suffix in JSONL_SUFFIXES:
            rows = [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
        else:
            result.refuse(0, "give a .csv or .jsonl file")
            return result
    except UnicodeDecodeError:
        result.refuse(0, "the file is not UTF-8 text")
        return result
    except (CatalogFileError, csv.Error) as error:
        result.refuse(1, str(error).removeprefix("line 1: "))
        return result
    for number, raw in rows:
        try:
            result.items.append(checked(number, raw))
        except CatalogFileError as error:
            result.refuse(number, str(error).removeprefix(f"line {number}: "))
    if not rows:
        result.refuse(0, "the file has no items")
    return result


async def import_checked(db: Database, retailer_id: UUID, items: list[CatalogItem], now: datetime, *, file: str) -> int:
    """All the items in one transaction (a failure leaves the catalog as it was), with its audit row."""
    async with db.write() as conn:
        return await import_in(conn, retailer_id, items, now, file=file)
