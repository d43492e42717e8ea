"""CSV written as it is read: rows come from a server-side cursor and leave in chunks, so an export of
a year of redemptions never sits in memory (benchmarks/csv_export.py measures it).

Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with
an apostrophe (OWASP's CSV injection advice); numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.sql import Select

from openoffers.kit.db import Database
from openoffers.kit.money import to_decimal

CHUNK_ROWS = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | None


def money_text(minor: int, exponent: int) -> str:
    """Minor units as the major-unit text a spreadsheet reads as a number, every decimal shown ("10.00")."""
    return format(to_decimal(minor, exponent), f".{exponent}f")


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class _Writer:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def row(self, cells: Iterable[Cell]) -> None:
        self.writer.writerow([safe_cell(c) for c in cells])

    def take(self) -> bytes:
        data = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A small table (the dashboard's aggregates) as one CSV document."""
    out = _Writer()
    out.row(header)
    for row in rows:
        out.row(row)
    return out.take()


async def stream_query(
    db: Database, header: Sequence[str], query: Select[Any], to_cells: Callable[[Any], Sequence[Cell]]
) -> AsyncIterator[bytes]:
    """The header, then every row of `query` as CSV, `CHUNK_ROWS` rows a chunk, from one read
    transaction with a server-side cursor (rows are fetched as they are written)."""
    out = _Writer()
    out.row(header)
    yield out.take()
    async with db.read() as conn:
        result = await conn.stream(query.execution_options(yield_per=CHUNK_ROWS))
        async for partition in result.partitions(CHUNK_ROWS):
            for row in partition:
                out.row(to_cells(row))
            yield out.take()
