"""POS calls in process: the ASGI app called directly (no sockets, no server), CPU and wall time per call.

What a profile of the hot paths is taken from (docs/BENCHMARKS.md): one customer holding 20 offers,
then Lookup, Lookup with the 20-line check, a re-lock, a closing send_transaction (a new check for
the paying customer, earning under one rule), and `redeem`, what `make bench` closes (a check with its
locked offer redeemed, under 10 rules; customers seeded as pos.py seeds them), each called `--calls`
times after a warm-up;
prints the median CPU (the process's, the driver's thread included) and wall milliseconds per call.
With `--profile CASE` it writes a cProfile of that case (`--profile-out`, default /tmp/pos-CASE.prof);
with `--case CASE` it runs that case alone. Instructions per call, which do not drift with the machine's
load as time does: the difference between two runs under `valgrind --tool=callgrind` of one case at two
`--calls` (docs/BENCHMARKS.md).

Usage: python benchmarks/inprocess.py [--engine sqlite|postgresql] [--calls N]
       [--case CASE] [--profile lookup|check|lock|close|redeem]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import logging

import httpx

from benchmarks import seed as seeding
from benchmarks.databases import BenchDatabase, fresh
from benchmarks.pos import CHECK
from openoffers.app import create_app
from openoffers.kit.db import Database
from openoffers.settings import Settings

CASES = ["lookup", "check", "lock", "close", "redeem"]


async def _setup(url: str, offers: int) -> tuple[Any, seeding.Api, Database, str]:
    shop = await seeding.create_shop(BenchDatabase(url))
    db = Database(url, pool_size=5)
    app = create_app(Settings(database_url=db.url, max_in_flight=0), database=db)
    api = seeding.Api("http://testserver", shop)
    await api.client.aclose()
    api.client = httpx.AsyncClient(transport=seeding.asgi_transport(app), base_url="http://testserver")
    offer_ids = await seeding.create_offers(api, offers)
    await seeding.create_template_customer(api, offer_ids)
    wallet = (await api.pos("/api/2.0/lookup", "w", {"external_customer_id": "TEMPLATE"}))[0]["offers"]
    first = wallet[-1]["reference_id"]
    await api.pos(
        "/api/2.0/lock",
        "lock-0",
        {
            "offer_lookup_code": first,
            "offer_lookup_type": "userofferid",
            "transaction": {**CHECK, "transaction_id": "T-1"},
        },
    )
    await api.admin("/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    return app, api, db, first


def _cases(api: seeding.Api, first: str) -> dict[str, Callable[[int], Awaitable[Any]]]:
    async def lookup(_n: int) -> Any:
        return await api.pos("/api/2.0/lookup", "l", {"external_customer_id": "TEMPLATE"})

    async def check(_n: int) -> Any:
        payload = {"external_customer_id": "TEMPLATE", "transaction": {**CHECK, "transaction_id": "T-2"}}
        return await api.pos("/api/2.0/lookup", "c", payload)

    async def lock(n: int) -> Any:
        payload = {
            "offer_lookup_code": first,
            "offer_lookup_type": "userofferid",
            "transaction": {**CHECK, "transaction_id": "T-1"},
        }
        return await api.pos("/api/2.0/lock", f"relock-{n}", payload)

    async def close(n: int) -> Any:
        # A new check closed by the paying customer (no offer): the loyalty engine earns on it.
        payment = {"payment_id": "p1", "amount": "11", "type": "CREDIT", "user_id": "@", "user_id_type": "SessionM_ID"}
        user = (await api.pos("/api/2.0/lookup", f"u{n}", {"external_customer_id": "TEMPLATE"}))[0]
        payment["user_id"] = user["user_reference_id"]
        payload = {**CHECK, "transaction_id": f"close-{n}", "is_closed": True, "payments": [payment]}
        started = time.process_time(), time.perf_counter()
        await api.pos("/api/2.0/send_transaction", f"close-{n}", payload)
        return started

    return {"lookup": lookup, "check": check, "lock": lock, "close": close}


async def _redeem_case(app: Any, url: str, calls: int) -> tuple[seeding.Api, Callable[[int], Awaitable[Any]]]:
    """Closes as `benchmarks/pos.py` sends them, in a shop of their own: check n redeems customer n's
    locked offer, under 10 rules."""
    bench = BenchDatabase(url)
    api = seeding.Api("http://testserver", await seeding.create_shop(bench, "Redeem Coffee"))
    await api.client.aclose()
    api.client = httpx.AsyncClient(transport=seeding.asgi_transport(app), base_url="http://testserver")
    # At least 100 customers, whatever the calls: two runs of one case at different `--calls` then differ
    # only in the calls (the callgrind difference in docs/BENCHMARKS.md).
    seeded = await seeding.seed(api, bench, customers=max(calls, 100) + 20, offers=1)
    await seeding.create_rules(api, seeded.offer_ids[0], 10)
    locked = await seeding.lock_first_offers(api, bench, seeded, CHECK, "redeem")
    customers = seeded.customers

    async def redeem(n: int) -> Any:
        i = n + 10  # the warm-up calls -10..-1 take checks 0..9
        discount = {
            **locked.discount,
            "reference_id": str(customers.first_offers[i]),
            "user_id": str(customers.user_ids[i]),
            "discount_source": "sessionm",
        }
        payload = {
            **CHECK,
            "transaction_id": f"redeem-{i}",
            "is_closed": "true",
            "discounts": [discount],
            "payments": [{"payment_id": "p1", "amount": CHECK["subtotal"], "type": "CREDIT"}],
        }
        return await api.pos("/api/2.0/send_transaction", f"redeem-{i}", payload)

    return api, redeem


async def _run(url: str, calls: int, profile: str | None, out: str, only: str | None) -> None:
    app, api, db, first = await _setup(url, 20)
    redeem_api, redeem = await _redeem_case(app, url, calls)
    try:
        cases = _cases(api, first)
        cases["redeem"] = redeem
        for name, case in cases.items():
            if only is not None and name != only:
                continue
            for n in range(10):
                await case(-n - 1)
            profiler = cProfile.Profile() if name == profile else None
            times, walls = [], []
            for n in range(calls):
                started, wall = time.process_time(), time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                answer = await case(n)
                if name == "close":  # timed from the send_transaction, after its set-up Lookup
                    started, wall = answer
                if profiler is not None:
                    profiler.disable()
                times.append(time.process_time() - started)
                walls.append(time.perf_counter() - wall)
            cpu, elapsed = statistics.median(times) * 1000, statistics.median(walls) * 1000
            tail = statistics.quantiles(walls, n=100)[98] * 1000 if calls >= 100 else float("nan")
            print(f"{name:8} {cpu:7.2f} ms CPU {elapsed:7.2f} ms wall (medians of {calls}); wall p99 {tail:7.2f} ms")
            if profiler is not None:
                profiler.dump_stats(out)
                print(f"  profile written to {out}")
    finally:
        await api.close()
        await redeem_api.close()
        await db.dispose()


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", choices=CASES)
    parser.add_argument("--case", choices=CASES, help="run this case alone")
    parser.add_argument("--profile-out")
    args = parser.parse_args()
    out = args.profile_out or f"/tmp/pos-{args.profile}.prof"
    base = os.environ["OPENOFFERS_BENCH_DATABASE_URL"] if args.engine == "postgresql" else None
    with fresh(base, "inprocess") as bench:
        asyncio.run(_run(bench.url, args.calls, args.profile, out, args.case))
    print(f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
