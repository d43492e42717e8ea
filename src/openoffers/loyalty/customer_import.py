"""Customers imported from a CSV file (the admin's Customers > Import): every line checked as
users/create checks a request, then all of them created in one transaction with their enrolment rules,
exactly as users/create does one, or none of them.

The CSV header names the columns it has among `user_id`, `external_customer_id`, `first_name`,
`last_name`, `email` and `phone`; other columns are refused (a typo would silently drop data).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from openoffers.kit import wire
from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.loyalty.rules import engine
from openoffers.wallet import audited
from openoffers.wallet import service as users
from openoffers.wallet.lifecycle import SYSTEM_ACTOR
from openoffers.wallet.schemas import CreateUserRequest

COLUMNS = ("user_id", "external_customer_id", "first_name", "last_name", "email", "phone")
MAX_ROWS = 20_000
MAX_REPORTED = 200


@dataclass
class CustomerImport:
    created: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    more_problems: int = 0

    def refuse(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, message))
        else:
            self.more_problems += 1


class _RollBack(Exception):
    """Raised inside the transaction when a line was refused, so nothing of the file is kept."""


def _rows(data: bytes, report: CustomerImport, retailer_id: UUID) -> list[tuple[int, CreateUserRequest]]:
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
    rows: list[tuple[int, CreateUserRequest]] = []
    seen: dict[str, int] = {}
    try:
        for raw in reader:
            values = {k: v.strip() for k, v in raw.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}
            if not values:
                continue
            if len(rows) >= MAX_ROWS:
                report.refuse(reader.line_num, f"more than {MAX_ROWS} customers: split the file")
                return []
            try:
                request = wire.convert({**values, "retailer_id": str(retailer_id)}, CreateUserRequest)
            except DomainError as error:
                report.refuse(reader.line_num, error.message)
                continue
            key = request.external_customer_id
            if key and key in seen:
                report.refuse(reader.line_num, f"external_customer_id {key} is also on line {seen[key]}")
                continue
            if key:
                seen[key] = reader.line_num
            rows.append((reader.line_num, request))
    except csv.Error as error:
        report.refuse(reader.line_num, str(error))
    return rows


async def import_customers(db: Database, retailer_id: UUID, data: bytes, now: datetime, *, file: str) -> CustomerImport:
    """Check every line, then create every customer (and run their enrolment rules) in one transaction;
    with any problem, the report lists each and nothing is created. The audit log gets one row for the
    import (how many, and the file's name), not one per customer."""
    report = CustomerImport()
    rows = _rows(data, report, retailer_id)
    if not rows and not report.problems:
        report.refuse(0, "the file has no customers")
    if report.problems:
        return report
    try:
        async with db.write() as conn:
            for line, request in rows:
                try:
                    user = await users.create_user_in(conn, request, now)
                except DomainError as error:  # an id already taken: checked before any write, so go on
                    report.refuse(line, error.message)
                    continue
                await engine.on_user_enrolled(
                    conn, retailer_id=retailer_id, user_id=user.id, now=now, actor=SYSTEM_ACTOR
                )
            if report.problems:
                raise _RollBack
            await audited.customers_imported(conn, retailer_id, file=file, created=len(rows), now=now)
    except _RollBack:
        return report
    report.created = len(rows)
    return report
