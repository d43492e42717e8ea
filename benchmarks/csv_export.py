"""Memory of a CSV export of 100,000 redemptions: streamed (what the admin's Exports page does) against
a baseline that holds the same rows in memory and writes the document at once.

A retailer, one offer and its customers come from the product (tenancy service, the Offers API in
process); the redemptions are copied in bulk: each customer's user offer Redeemed with its `redeemed`
event (store, transaction, amount), as the POS writes them. Both runs read the same query
(`reports.exports`) and write the same cells; only the streaming differs. Peak memory is Python's
allocations during the export (tracemalloc), after the seed.

Usage: python benchmarks/csv_export.py [--rows N] [--database-url postgresql://.../bench_x]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.databases import BenchDatabase, Row, fresh, insert_rows
from benchmarks.seed import asgi_transport
from openoffers.app import create_app
from openoffers.kit.db import Database
from openoffers.reports import exports
from openoffers.reports.csv_stream import csv_bytes
from openoffers.reports.period import custom
from openoffers.settings import Settings
from openoffers.tenancy import service as tenancy

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
FIRST = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # a year of redemptions


async def seed(bench: BenchDatabase, rows: int) -> UUID:
    db = Database(bench.url)
    try:
        retailer = await tenancy.create_retailer(db, name="Bench", now=FIRST, timezone="America/New_York")
        key, secret = await tenancy.create_api_key(db, retailer_id=retailer.id, role="admin", now=FIRST)
        store = await tenancy.create_store(db, retailer_id=retailer.id, name="Main St", now=FIRST)
        app = create_app(Settings(database_url=bench.url, max_in_flight=0), database=db, clock=lambda: FIRST)
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://bench") as http:
            body = {
                "retailer_id": str(retailer.id),
                "offer_type": "fixed_amount_check_discount",
                "publish": True,
                "text_config": [{"title": "$5 off", "description": "d", "terms_and_conditions": "t", "culture": "en"}],
                "media_config": [],
                "common_config": {
                    "acquisition_start_date": "2025-01-01T00:00:00Z",
                    "acquisition_end_date": "2027-01-01T00:00:00Z",
                    "validity_unit": "days",
                    "validity_period": 30,
                },
                "discount_config": {"amount": 5},
            }
            response = await http.post(
                "/api/2.0/offers/management/create", json=body, auth=httpx.BasicAuth(key.key, secret)
            )
            response.raise_for_status()
            offer_id = UUID(response.json()["payload"]["offer_id"])
    finally:
        await db.dispose()

    step = (NOW - FIRST) / rows

    def users() -> Iterator[Row]:
        for n in range(rows):
            yield {
                "id": UUID(int=n + 1),
                "retailer_id": retailer.id,
                "external_customer_id": f"ext-{n}",
                "first_name": "Ada",
                "last_name": f"Customer {n}",
                "email": None,
                "email_key": None,
                "phone": None,
                "phone_key": None,
                "profile_fields": {},
                "created_at": FIRST,
                "updated_at": FIRST,
            }

    def wallet() -> Iterator[Row]:
        for n in range(rows):
            at = FIRST + step * n
            yield {
                "id": UUID(int=10**9 + n),
                "retailer_id": retailer.id,
                "user_id": UUID(int=n + 1),
                "offer_id": offer_id,
                "root_offer_id": offer_id,
                "status": 3,
                "acquired_at": at - timedelta(hours=1),
                "redemption_start": at - timedelta(hours=1),
                "redemption_end": at + timedelta(days=30),
                "source": "api",
                "updated_at": at,
            }

    def events() -> Iterator[Row]:
        for n in range(rows):
            yield {
                "user_offer_id": UUID(int=10**9 + n),
                "retailer_id": retailer.id,
                "kind": "redeemed",
                "at": FIRST + step * n,
                "actor": "pos_client:bench",
                "reason": "",
                "detail": {"store_id": str(store.id), "transaction_id": f"T-{n}", "amount": 500},
            }

    await insert_rows(bench, [("users", users()), ("user_offers", wallet()), ("user_offer_events", events())])
    return retailer.id


async def export(bench: BenchDatabase, retailer_id: UUID, *, streamed: bool) -> tuple[int, int, float]:
    """(bytes written, peak bytes allocated, seconds) of one export of the whole year."""
    db = Database(bench.url)
    spec = exports.EXPORTS["redemptions"]
    period = custom(date(2025, 7, 1), date(2026, 6, 30), "America/New_York")
    try:
        reader = await exports.reader_for(db, retailer_id, "America/New_York", 2)
        tracemalloc.start()
        started = time.perf_counter()
        size = 0
        if streamed:
            async for chunk in exports.stream(db, spec, reader, retailer_id, period):
                size += len(chunk)  # a web server sends it on and lets it go
        else:
            async with db.read() as conn:
                rows: list[Any] = list((await conn.execute(spec.query(retailer_id, period))).all())
            size = len(csv_bytes(spec.header, [spec.cells(reader, row) for row in rows]))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return size, peak, seconds
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database named bench* (dropped first)")
    args = parser.parse_args()
    with fresh(args.database_url, "csv_export") as bench:
        retailer_id = asyncio.run(seed(bench, args.rows))
        streamed = asyncio.run(export(bench, retailer_id, streamed=True))
        held = asyncio.run(export(bench, retailer_id, streamed=False))
    engine = "PostgreSQL" if args.database_url else "SQLite"
    mib = 1024 * 1024
    print(f"CSV export of {args.rows:,} redemptions ({engine}), peak Python memory during the export:")
    for label, (size, peak, seconds) in (("streamed (Exports page)", streamed), ("held in memory (baseline)", held)):
        print(f"  {label:<26} peak {peak / mib:7.1f} MiB   {size / mib:5.1f} MiB of CSV   {seconds:5.1f} s")
    print(f"  streamed / held: {streamed[1] / held[1]:.3f}")
    if streamed[0] != held[0]:
        raise SystemExit(f"the two exports differ in size: {streamed[0]} != {held[0]}")


if __name__ == "__main__":
    main()
