"""Reading catalog files for `openoffers catalog import`: CSV or JSON Lines, validated before import.

CSV has a header row with `item_id` (required), `name` and `category_ids`, categories separated by `|`
(`drinks|hot`). JSON Lines has one object per line, as `api/2.0/catalog/import` takes in `items`. Every
row goes through the API's own wire struct, so a file is refused for what the API would refuse.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from openoffers.catalog.schemas import CatalogItemIn
from openoffers.catalog.service import CatalogItem, normalize
from openoffers.kit import wire
from openoffers.kit.errors import ValidationFailed

CSV_SUFFIXES = frozenset({".csv"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


class CatalogFileError(ValueError):
    """A file that cannot be imported: its line number and what is wrong."""


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv_rows(handle)


def csv_rows(handle: Iterable[str]) -> Iterator[tuple[int, dict[str, object]]]:
    """(line number, row as the API's item) for each non-blank row of a catalog CSV."""
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    if "item_id" not in header:
        raise CatalogFileError("line 1: the CSV header needs an item_id column (item_id,name,category_ids)")
    reader.fieldnames = header
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        categories = [c.strip() for c in (row.get("category_ids") or "").split("|") if c.strip()]
        yield (
            reader.line_num,
            {"item_id": row.get("item_id") or "", "name": row.get("name") or "", "category_ids": categories},
        )


def _jsonl_rows(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def items(path: Path) -> Iterator[CatalogItem]:
    """The file's items in order; CatalogFileError at the first bad line."""
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            for number, row in _csv_rows(path):
                yield checked(number, row)
        elif suffix in JSONL_SUFFIXES:
            for number, line in _jsonl_rows(path):
                yield checked(number, line)
        else:
            raise CatalogFileError(f"{path.name}: give a .csv or .jsonl file")
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CatalogFileError(f"{path}: {error}") from None


def checked(number: int, raw: dict[str, object] | bytes) -> CatalogItem:
    try:
        item = wire.decode(raw, CatalogItemIn) if isinstance(raw, bytes) else wire.convert(raw, CatalogItemIn)
        return normalize(item, "item")
    except ValidationFailed as error:
        raise CatalogFileError(f"line {number}: {error.message}") from None


def count(path: Path) -> int:
    """Validate the whole file (nothing is imported from a file with a bad line); how many items."""
    return sum(1 for _ in items(path))


def batches(path: Path, size: int) -> Iterator[list[CatalogItem]]:
    batch: list[CatalogItem] = []
    for item in items(path):
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
