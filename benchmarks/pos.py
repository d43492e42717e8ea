"""POS load benchmark (`make bench`): Lookup, Lock and send_transaction under wrk, beside a baseline.

Seeds a retailer with 10,000 customers holding 20 offers each, and two more that differ only in
running 10 or 1,000 loyalty rules (SQLite by default; set
OPENOFFERS_BENCH_DATABASE_URL to a PostgreSQL URL to measure that), starts `openoffers serve` with
one worker, and drives each endpoint with wrk on 127.0.0.1. The baseline is a bare ASGI app
returning a fixed JSON body on the same server settings, measured in the same run. Each case runs
ROUNDS times and the medians are printed with the ratio to the baseline's median.

Usage: python benchmarks/pos.py [--customers N] [--offers N] [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.harness import Result, baseline_command, free_port, print_table, server, wrk
from benchmarks.seed import Seeded, seed, seed_rules
from openoffers import migrations
from openoffers.kit.db import Database
from openoffers.offers import repository as offers_repo

CHECK_ITEMS = [
    {"line_id": "0", "item_id": "latte", "quantity": "2", "unit_price": "4.50", "subtotal": "9.00"},
    {
        "line_id": "1",
        "item_id": "oat",
        "quantity": "1",
        "unit_price": "0.50",
        "subtotal": "0.50",
        "modifies_line_id": "0",
    },
    {"line_id": "2", "item_id": "muffin", "quantity": "1", "unit_price": "3.25", "subtotal": "3.25"},
]


def _lua_list(name: str, values: list[str]) -> str:
    return f"local {name} = {{" + ",".join(json.dumps(v) for v in values) + "}\n"


def _lua_headers(auth: str) -> str:
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "{auth}"\n'
    )


def lookup_script(s: Seeded, auth: str) -> str:
    body = {
        "store_id": str(s.store_id),
        "client_id": str(s.client_id),
        "request_id": "x",
        "request_payload": {"external_customer_id": "EXT"},
    }
    head, tail = json.dumps(body).split('"EXT"')
    return (
        _lua_list("ids", s.external_ids)
        + _lua_headers(auth)
        + "request = function()\n  local id = ids[math.random(#ids)]\n"
        + f"  return wrk.format(nil, nil, nil, {json.dumps(head)} .. '\"' .. id .. '\"' .. {json.dumps(tail)})\nend\n"
    )


def lock_script(s: Seeded, auth: str) -> str:
    # Each user offer is always locked by its own check: a re-lock that recomputes, as when the basket changes.
    template = {
        "store_id": str(s.store_id),
        "client_id": str(s.client_id),
        "request_id": "RID",
        "request_payload": {
            "offer_lookup_code": "UOID",
            "offer_lookup_type": "userofferid",
            "transaction": {
                "transaction_id": "TID",
                "channel": "STORE",
                "subtotal": "12.75",
                "items": CHECK_ITEMS,
                "discounts": [],
            },
        },
    }
    text = json.dumps(template)
    return (
        _lua_list("ids", [str(u) for u in s.user_offer_ids])
        + _lua_headers(auth)
        + "local n = 0\nrequest = function()\n  n = n + 1\n  local i = math.random(#ids)\n"
        + f"  local body = {json.dumps(text)}\n"
        + '  body = body:gsub("RID", "lock-" .. n .. "-" .. math.random(1e9))'
        + ':gsub("UOID", ids[i]):gsub("TID", "bench-" .. i)\n'
        + "  return wrk.format(nil, nil, nil, body)\nend\n"
    )


def close_script(s: Seeded, auth: str) -> str:
    # Every request closes a new check for a known customer: storage, redemption scan and earning.
    template = {
        "store_id": str(s.store_id),
        "client_id": str(s.client_id),
        "request_id": "RID",
        "request_payload": {
            "transaction_id": "TID",
            "is_closed": "true",
            "channel": "STORE",
            "subtotal": "12.75",
            "items": CHECK_ITEMS,
            "discounts": [],
            "payments": [
                {
                    "payment_id": "p1",
                    "amount": "12.75",
                    "type": "CREDIT",
                    "user_id": "UID",
                    "user_id_type": "SessionM_ID",
                }
            ],
        },
    }
    text = json.dumps(template)
    return (
        _lua_list("users", [str(u) for u in s.user_ids])
        + _lua_headers(auth)
        + "local n = 0\nlocal salt = math.random(1e9)\nrequest = function()\n  n = n + 1\n"
        + f"  local body = {json.dumps(text)}\n"
        + '  body = body:gsub("RID", "close-" .. salt .. "-" .. n):gsub("TID", "chk-" .. salt .. "-" .. n)'
        + ':gsub("UID", users[math.random(#users)])\n'
        + "  return wrk.format(nil, nil, nil, body)\nend\n"
    )


def _auth(shop: Seeded) -> str:
    return "Basic " + base64.b64encode(f"{shop.client_id}:{shop.client_secret}".encode()).decode()


def median(name: str, runs: list[Result]) -> Result:
    return Result(
        name,
        statistics.median(r.requests_per_second for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.non_2xx for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="openoffers-bench-")
    url = os.environ.get("OPENOFFERS_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir}/bench.db"
    migrations.upgrade(url)
    print(f"seeding {args.customers} customers x {args.offers} offers into {url} ...", flush=True)

    async def do_seed() -> Seeded:
        db = Database(url, pool_size=2)
        try:
            return await seed(db, customers=args.customers, offers_per_customer=args.offers)
        finally:
            await db.dispose()

    async def do_seed_rules() -> tuple[Seeded, Seeded]:
        # Two more retailers that differ only in how many loyalty rules they run.
        db = Database(url, pool_size=2)
        try:
            few = await seed(db, customers=1000, offers_per_customer=1, name="Ten rules")
            many = await seed(db, customers=1000, offers_per_customer=1, name="Thousand rules")
            offers_of = {}
            for shop in (few, many):
                async with db.read() as conn:
                    _, rows = await offers_repo.list_latest(
                        conn,
                        shop.retailer_id,
                        status=None,
                        offer_type=None,
                        search=None,
                        reward_store=None,
                        skip=0,
                        take=1,
                    )
                offers_of[shop.retailer_id] = rows[0].id
            await seed_rules(db, few.retailer_id, offers_of[few.retailer_id], 10)
            await seed_rules(db, many.retailer_id, offers_of[many.retailer_id], 1000)
            return few, many
        finally:
            await db.dispose()

    async def do_analyze() -> None:
        # A live database has planner statistics (autovacuum, or SQLite's ANALYZE); freshly bulk-loaded
        # tables do not, and PostgreSQL then picks poor plans (a phone index scan for a customer id).
        db = Database(url, pool_size=1)
        try:
            async with db.write() as conn:
                await conn.execute(text("ANALYZE"))
        finally:
            await db.dispose()

    seeded = asyncio.run(do_seed())
    print("seeding two retailers with 10 and 1,000 loyalty rules ...", flush=True)
    few_rules, many_rules = asyncio.run(do_seed_rules())
    asyncio.run(do_analyze())
    auth = _auth(seeded)
    options = {"seconds": args.seconds, "connections": args.connections, "body": b"", "headers": {}}

    port = free_port()
    with server(baseline_command(port), port) as base:
        baseline = median(
            "baseline (bare ASGI)",
            [
                wrk(
                    "baseline",
                    f"{base}/",
                    body=b"{}",
                    headers={"Content-Type": "application/json"},
                    seconds=args.seconds,
                    connections=args.connections,
                )
                for _ in range(args.rounds)
            ],
        )

    port = free_port()
    command = [
        str(Path(sys.executable).with_name("openoffers")),
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
        "--database-url",
        url,
        "--no-access-log",
    ]
    results = []
    with server(command, port) as base:
        for name, path, script in (
            ("lookup", "/api/2.0/lookup", lookup_script(seeded, auth)),
            ("lock (re-lock, recompute)", "/api/2.0/lock", lock_script(seeded, auth)),
            ("send_transaction (close)", "/api/2.0/send_transaction", close_script(seeded, auth)),
            ("close, 10 rules", "/api/2.0/send_transaction", close_script(few_rules, _auth(few_rules))),
            ("close, 1,000 rules", "/api/2.0/send_transaction", close_script(many_rules, _auth(many_rules))),
        ):
            runs = [wrk(name, base + path, script=script, **options) for _ in range(args.rounds)]  # type: ignore[arg-type]
            results.append(median(name, runs))
    print(
        f"\n{args.rounds} rounds of {args.seconds}s, {args.connections} connections, medians; "
        f"ratio = requests/s relative to the baseline"
    )
    print_table(baseline, results)
    ten, thousand = results[-2], results[-1]
    print(
        f"\nclosed checks with 1,000 rules vs 10: {thousand.requests_per_second / ten.requests_per_second:.2f}x "
        f"the throughput (p50 {thousand.p50_ms:.2f} ms vs {ten.p50_ms:.2f} ms)"
    )


if __name__ == "__main__":
    main()
