"""Customers imported from a CSV file (the admin's Customers > Import): every line checked as
users/create checks a request, then all of them created in one transaction with their enrolment rules,
exactly as users/create does one, or none of them.

The CSV header names the columns it has among `user_id`, `external_customer_id`, `first_name`,
`last_name`, `email` and `phone`; other columns are refused (a typo would silently drop data).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator
from datetime import datetime
from uuid import UUID

from openoffers.kit import wire
from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.kit.file_import import CHECKING, WRITING, ImportReport, Progress, due
from openoffers.loyalty.rules import engine
from openoffers.wallet import audited
from openoffers.wallet import service as users
from openoffers.wallet.lifecycle import SYSTEM_ACTOR
from openoffers.wallet.schemas import CreateUserRequest

COLUMNS = ("user_id", "external_customer_id", "first_name", "last_name", "email", "phone")
MAX_ROWS = 20_000


class _RollBack(Exception):
    """Raised inside the transaction when a line was refused, so nothing of the file is kept."""


def _lines(data: bytes, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """(line number, its non-blank values) for each non-blank line, or none with the reason the whole
    file is refused."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
    except UnicodeDecodeError:
        report.refuse(0, "the file is not UTF-8 text")
        return []
    unknown = [name for name in header if name not in COLUMNS]
    if not header or unknown:
        what = f"unknown columns {', '.join(unknown)}" if unknown else "no header"
        report.refuse(1, f"{what}; the header may name {', '.join(COLUMNS)}")
        return []
    reader.fieldnames = header
    lines: list[tuple[int, dict[str, str]]] = []
    try:
        for raw in reader:
            values = {k: v.strip() for k, v in raw.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}
            if not values:
                continue
            if len(lines) >= MAX_ROWS:
                report.refuse(reader.line_num, f"more than {MAX_ROWS} customers: split the file")
                return []
            lines.append((reader.line_num, values))
    except csv.Error as error:
        report.refuse(reader.line_num, str(error))
        return []
    if not lines:
        report.refuse(0, "the file has no customers")
    return lines


async def import_customers(
    db: Database, retailer_id: UUID, data: bytes, now: datetime, *, file: str
) -> AsyncGenerator[Progress | ImportReport, None]:
    """Check every line, then create every customer (and run their enrolment rules) in one transaction;
    with any problem, the report lists each and nothing is created. Yields progress, then the report.
    The audit log gets one row for the import (how many, and the file's name), not one per customer."""
    report = ImportReport()
    lines = _lines(data, report)
    if report.problems:
        yield report
        return
    total = len(lines)
    rows: list[tuple[int, CreateUserRequest]] = []
    seen: dict[str, int] = {}
    yield Progress(CHECKING, 0, total)
    for done, (line, values) in enumerate(lines, start=1):
        try:
            request = wire.convert({**values, "retailer_id": str(retailer_id)}, CreateUserRequest)
        except DomainError as error:
            report.refuse(line, error.message)
        else:
            key = request.external_customer_id
            if key and key in seen:
                report.refuse(line, f"external_customer_id {key} is also on line {seen[key]}")
            else:
                if key:
                    seen[key] = line
                rows.append((line, request))
        if due(done, total):
            yield Progress(CHECKING, done, total)
    if report.problems:
        yield report
        return
    try:
        async with db.write() as conn:
            yield Progress(WRITING, 0, total)
            for done, (line, request) in enumerate(rows, start=1):
                try:
                    user = await users.create_user_in(conn, request, now)
                except DomainError as error:  # an id already taken: checked before any write, so go on
                    report.refuse(line, error.message)
                else:
                    await engine.on_user_enrolled(
                        conn, retailer_id=retailer_id, user_id=user.id, now=now, actor=SYSTEM_ACTOR
                    )
                if due(done, total):
                    yield Progress(WRITING, done, total)
            if report.problems:
                raise _RollBack
            await audited.customers_imported(conn, retailer_id, file=file, created=len(rows), now=now)
    except _RollBack:
        yield report
        return
    report.imported = total
    yield report
