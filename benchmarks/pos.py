"""POS load benchmark (`make bench`): each POS case as a ratio to a minimal Lookup measured in the same run.

Per engine (SQLite; and PostgreSQL when OPENOFFERS_BENCH_DATABASE_URL names a `bench*` database, which
is dropped and created again for every case), each case on a fresh, `ANALYZE`d database, served by
`openoffers serve` with one process (pinned to core 0, wrk to core 1), wrk at 16 connections on
127.0.0.1:

- minimal Lookup (`benchmarks/minimal_lookup.py`), the reference, rounds interleaved with
- Lookup without a check, and with a 20-line check (customers holding 20 offers each);
- Lock: a re-lock of the check each offer is already locked to, which recomputes the discount;
- send_transaction closing a check that redeems its locked offer and earns points, under 10 and under
  1,000 loyalty rules (two servers, their rounds alternating): request n closes check n, whose
  customer's offer was locked to it while seeding, so no request repeats another's work (a request
  past the seeded budget goes to a 404 path and shows as an error, never as a cheap replay);
- with --scale, Lookup at 1,000,000 user offers against 10,000 (20 per customer either way), their
  rounds alternating.

Every case runs --rounds rounds of --seconds after a warm-up; medians are printed. A bare ASGI app
answering a fixed body is kept as an extra reference row.

Usage: python benchmarks/pos.py [--customers N] [--seconds S] [--rounds R] [--scale] [--engine sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks import seed as seeding
from benchmarks.databases import BenchDatabase, analyze, count_rows, fresh
from benchmarks.harness import (
    Result,
    free_port,
    lua_list,
    lua_post,
    lua_string,
    median,
    server,
    uvicorn_command,
    wrk,
)
from benchmarks.report import Row, print_table

# A 20-line check: ten items, one to three units a line, every fourth line a modifier of the one before.
CHECK_ITEMS = [
    {
        "line_id": str(n),
        "item_id": f"item-{n % 10}",
        "quantity": str(1 + n % 3),
        "unit_price": str(Decimal(2 + n % 5) + Decimal("0.50")),
        "subtotal": str((1 + n % 3) * (Decimal(2 + n % 5) + Decimal("0.50"))),
        **({"modifies_line_id": str(n - 1)} if n % 4 == 3 else {}),
    }
    for n in range(20)
]
CHECK = {
    "channel": "STORE",
    "subtotal": str(sum(Decimal(item["subtotal"]) for item in CHECK_ITEMS)),
    "items": CHECK_ITEMS,
    "discounts": [],
    "payments": [],
}
LOOKUP, LOCK, CLOSE = "/api/2.0/lookup", "/api/2.0/lock", "/api/2.0/send_transaction"
SCALE_SMALL, SCALE_LARGE = 10_000, 1_000_000

# (name, url, script): `script(start)` is the wrk Lua of a run, `start` as in `Runner.rounds`.
Case = tuple[str, str, Callable[[int], str]]


@dataclass(frozen=True)
class Reference:
    """The minimal Lookup as a case, and how to check that it still answers as it did."""

    case: Case
    still_answers: Callable[[], None]


@dataclass(frozen=True)
class Options:
    customers: int
    offers: int
    seconds: int
    rounds: int
    connections: int
    warmup: int
    close_budget: int
    scale: bool


def _body_template(value: dict[str, Any], holes: dict[str, str]) -> str:
    """`value` as JSON in a Lua expression, each string in `holes` replaced by its Lua expression."""
    text = lua_string(json.dumps(value))
    for marker, expression in holes.items():
        text = text.replace(marker, f'" .. {expression} .. "')
    return text


def lookup_script(shop: seeding.Shop, external_ids: list[str], transaction: dict[str, Any] | None) -> str:
    payload: dict[str, Any] = {"external_customer_id": "@ID@"}
    if transaction is not None:
        payload["transaction"] = {**transaction, "transaction_id": "@TID@"}
    body = _body_template(shop.envelope("1", payload), {"@ID@": "ids[i]", "@TID@": '"look-" .. n'})
    prelude = lua_list("ids", external_ids)
    return lua_post(shop.pos_auth, prelude, f"local i = math.random(#ids)\n  return post({body})")


def lock_script(shop: seeding.Shop, customers: seeding.Customers, locked: seeding.Locked) -> str:
    # Customer i's first offer is locked to check `{prefix}-i`: locking it there again recomputes.
    payload = {
        "offer_lookup_code": "@UO@",
        "offer_lookup_type": "userofferid",
        "transaction": {**CHECK, "transaction_id": f"{locked.prefix}-@I@"},
    }
    holes = {"@UO@": "offers[i]", "@I@": "(i - 1)", "@RID@": '"relock-" .. n'}
    body = _body_template(shop.envelope("@RID@", payload), holes)
    prelude = lua_list("offers", [str(u) for u in customers.first_offers])
    return lua_post(shop.pos_auth, prelude, f"local i = math.random(#offers)\n  return post({body})")


def close_script(shop: seeding.Shop, customers: seeding.Customers, locked: seeding.Locked, start: int) -> str:
    # Request n closes check start + n - 1, redeeming the offer locked to it; past the budget, a 404.
    discount = {**locked.discount, "reference_id": "@UO@", "user_id": "@U@", "discount_source": "sessionm"}
    payload = {
        **CHECK,
        "transaction_id": f"{locked.prefix}-@I@",
        "is_closed": "true",
        "discounts": [discount],
        "payments": [{"payment_id": "p1", "amount": CHECK["subtotal"], "type": "CREDIT"}],
    }
    holes = {"@UO@": "offers[i + 1]", "@U@": "users[i + 1]", "@I@": "i", "@RID@": '"close-" .. i'}
    body = _body_template(shop.envelope("@RID@", payload), holes)
    prelude = "\n".join(
        (
            lua_list("offers", [str(u) for u in customers.first_offers]),
            lua_list("users", [str(u) for u in customers.user_ids]),
            f"local start = {start}",
        )
    )
    statements = (
        "local i = start + n - 1\n"
        '  if i >= #offers then return wrk.format(nil, "/budget-exhausted", nil, "{}") end\n'
        f"  return post({body})"
    )
    return lua_post(shop.pos_auth, prelude, statements)


def openoffers_command(port: int, db: BenchDatabase) -> list[str]:
    binary = str(Path(sys.executable).with_name("openoffers"))
    return [binary, "serve", "--port", str(port), "--workers", "1", "--database-url", db.url, "--no-access-log"]


# uvicorn's own log level for `openoffers serve`, as the minimal app gets on its command line.
SERVER_ENV = {"OPENOFFERS_LOG_LEVEL": "warning"}


@contextmanager
def openoffers(db: BenchDatabase) -> Iterator[str]:
    port = free_port()
    with server(openoffers_command(port, db), port, SERVER_ENV) as base:
        yield base


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class Runner:
    def __init__(self, options: Options) -> None:
        self.options = options

    def rounds(self, name: str, url: str, script: Callable[[int], str]) -> Result:
        """A warm-up, then the rounds; `script(start)` gives each run its Lua, `start` being how many
        requests the runs before it may have sent (completed ones plus one in flight per connection)."""
        o, start, runs = self.options, 0, []
        for index in range(o.rounds + 1):
            seconds = o.warmup if index == 0 else o.seconds
            result = wrk(name, url, script(start), seconds=seconds, connections=o.connections)
            start += result.requests + o.connections
            if index:
                runs.append(result)
        return median(name, runs)

    def interleaved(self, cases: list[Case]) -> list[Result]:
        """Cases whose warm-ups, then rounds, alternate, so drift on a shared machine hits all alike.
        Each case's `script(start)` is told how many requests its own runs before may have sent."""
        o = self.options
        starts = {name: 0 for name, _, _ in cases}
        runs: dict[str, list[Result]] = {name: [] for name, _, _ in cases}
        for index in range(o.rounds + 1):
            for name, url, script in cases:
                seconds = o.warmup if index == 0 else o.seconds
                result = wrk(name, url, script(starts[name]), seconds=seconds, connections=o.connections)
                starts[name] += result.requests + o.connections
                if index:
                    runs[name].append(result)
        return [median(name, results) for name, results in runs.items()]


def minimal_env(db: BenchDatabase, shop: seeding.Shop) -> dict[str, str]:
    clients = {str(shop.client_id): [shop.client_secret, str(shop.retailer_id), [str(shop.store_id)]]}
    url = f"sqlite:///{db.sqlite_path}" if db.is_sqlite else db.asyncpg_dsn
    return {"MINIMAL_DATABASE_URL": url, "MINIMAL_CLIENTS": json.dumps(clients)}


def _counts(answer: Any) -> tuple[int, int]:
    return len(answer["payload"][0]["offers"]), len(answer["payload"][0]["accounts"])


def reference_unchanged(minimal: str, shop: seeding.Shop, external_id: str, expected: tuple[int, int]) -> None:
    """Refuse a ratio unless the minimal Lookup, after a case's rounds, still answers the customer as
    it did at the start (its database is the Lookup case's, and must not have gone from under it)."""
    body = shop.envelope("1", {"external_customer_id": external_id})
    answer = httpx.post(minimal + LOOKUP, json=body, headers={"Authorization": shop.pos_auth}, timeout=30)
    if not answer.is_success or _counts(answer.json()) != expected:
        raise SystemExit(f"the minimal Lookup changed its answer during the run: {answer.status_code} {answer.text}")


def same_shape(minimal: str, ours: str, shop: seeding.Shop, external_id: str) -> None:
    """Refuse to compare unless both Lookups answer 2xx with the same keys and the same offers."""
    body = shop.envelope("1", {"external_customer_id": external_id})
    headers = {"Authorization": shop.pos_auth}
    answers = [httpx.post(base + LOOKUP, json=body, headers=headers, timeout=30) for base in (minimal, ours)]
    for answer in answers:
        answer.raise_for_status()
    mine, theirs = (answer.json() for answer in answers)

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):
            return [shape(item) for item in value[:1]]
        return type(value).__name__ if value is not None else None

    counts = [_counts(a) for a in (mine, theirs)]
    if shape(mine) != shape(theirs) or counts[0] != counts[1]:
        raise SystemExit(
            f"the minimal Lookup does not answer as OpenOffers does: {shape(mine)} {shape(theirs)} {counts}"
        )


@contextmanager
def lookup_cases(o: Options, runner: Runner, engine: str | None) -> Iterator[tuple[Reference, Result, list[Result]]]:
    """The minimal Lookup with our two Lookups, rounds interleaved; then the minimal Lookup keeps
    serving (our server for these cases stops) so that every later case interleaves its rounds with
    the reference's own: on this shared machine the speed of both can drift by half within minutes,
    and a ratio to a reference measured minutes earlier carried that drift."""
    with fresh(engine, "bench_lookup") as db:
        shop = run(seeding.create_shop(db))
        ours = ExitStack()
        with ours:
            base = ours.enter_context(openoffers(db))
            seeded = run(_seed(base, db, shop, customers=o.customers, offers=o.offers))
            run(analyze(db))
            port = free_port()
            command = uvicorn_command("benchmarks.minimal_lookup:create_app", port, factory=True)
            with server(command, port, minimal_env(db, shop)) as minimal:
                ids = seeded.customers.external_ids
                same_shape(minimal, base, shop, ids[0])
                first = httpx.post(
                    minimal + LOOKUP,
                    json=shop.envelope("1", {"external_customer_id": ids[0]}),
                    headers={"Authorization": shop.pos_auth},
                    timeout=30,
                )
                expected = _counts(first.json())
                plain, checked = lookup_script(shop, ids, None), lookup_script(shop, ids, CHECK)
                reference_case: Case = ("minimal Lookup", minimal + LOOKUP, lambda _: plain)
                reference, *results = runner.interleaved(
                    [
                        reference_case,
                        ("Lookup", base + LOOKUP, lambda _: plain),
                        ("Lookup, 20-line check", base + LOOKUP, lambda _: checked),
                    ]
                )
                ours.close()
                yield (
                    Reference(reference_case, lambda: reference_unchanged(minimal, shop, ids[0], expected)),
                    reference,
                    results,
                )


async def _seed(base: str, db: BenchDatabase, shop: seeding.Shop, **sizes: int) -> seeding.Seeded:
    api = seeding.Api(base, shop)
    try:
        return await seeding.seed(api, db, **sizes)
    finally:
        await api.close()


async def _seed_locked(
    base: str, db: BenchDatabase, shop: seeding.Shop, prefix: str, rules: int, **sizes: int
) -> tuple[seeding.Seeded, seeding.Locked]:
    api = seeding.Api(base, shop)
    try:
        seeded = await seeding.seed(api, db, **sizes)
        if rules:
            await seeding.create_rules(api, seeded.offer_ids[0], rules)
        return seeded, await seeding.lock_first_offers(api, db, seeded, CHECK, prefix)
    finally:
        await api.close()


def lock_case(o: Options, runner: Runner, engine: str | None, reference: Reference) -> tuple[Result, Result]:
    """The Lock case and the reference's rounds interleaved with it: (reference, Lock)."""
    with fresh(engine, "bench_lock") as db:
        shop = run(seeding.create_shop(db))
        with openoffers(db) as base:
            seeded, locked = run(_seed_locked(base, db, shop, "lock", 0, customers=o.customers, offers=o.offers))
            run(analyze(db))
            script = lock_script(shop, seeded.customers, locked)
            ref, lock = runner.interleaved(
                [reference.case, ("Lock (re-lock, recompute)", base + LOCK, lambda _: script)]
            )
            reference.still_answers()
            return ref, lock


def close_cases(o: Options, runner: Runner, engine: str | None, reference: Reference) -> tuple[Result, Result, Result]:
    """The close under 10 and under 1,000 rules, each on a database and server of its own, both seeded
    first, then their rounds interleaved with each other's and the reference's: (reference, 10 rules,
    1,000 rules). The two closes are compared with each other, so they take turns minute by minute
    rather than one running after the other on a machine whose speed drifts."""
    with ExitStack() as stack:
        cases: list[Case] = []
        checks: list[tuple[str, BenchDatabase]] = []
        for rules in (10, 1000):
            db = stack.enter_context(fresh(engine, f"bench_close_{rules}"))
            shop = run(seeding.create_shop(db))
            base = stack.enter_context(openoffers(db))
            # One offer per customer: the close reads only the offers on the check.
            seeded, locked = run(_seed_locked(base, db, shop, "close", rules, customers=o.close_budget, offers=1))
            run(analyze(db))
            name = f"close + redeem, {rules:,} rules"
            script = partial(close_script, shop, seeded.customers, locked)
            cases.append((name, base + CLOSE, script))
            checks.append((name, db))
        ref, *results = runner.interleaved([reference.case, *cases])
        reference.still_answers()
        for (name, db), result in zip(checks, results, strict=True):
            if result.requests + (o.rounds + 1) * o.connections > o.close_budget:
                print(f"  {name}: the {o.close_budget:,} seeded checks ran out; raise --close-budget", flush=True)
            # The truth of the case: every answered close redeemed its offer (status 3 is Redeemed, API.md 4).
            redeemed = run(count_rows(db, "user_offers", status=3))
            if redeemed < result.requests - result.non_2xx:
                answered = result.requests - result.non_2xx
                raise SystemExit(f"{name}: {answered} closes answered 2xx but {redeemed} redeemed")
        close_10, close_1000 = results
        return ref, close_10, close_1000


def scale_cases(o: Options, runner: Runner, engine: str | None) -> tuple[Result, Result]:
    """Lookup at SCALE_SMALL and at SCALE_LARGE user offers (20 per customer either way), each on a
    database and server of its own, both seeded first, then their rounds interleaved: the two are
    compared with each other, so they take turns rather than run minutes apart."""
    with ExitStack() as stack:
        cases: list[Case] = []
        for user_offers in (SCALE_SMALL, SCALE_LARGE):
            db = stack.enter_context(fresh(engine, f"bench_scale_{user_offers}"))
            shop = run(seeding.create_shop(db))
            base = stack.enter_context(openoffers(db))
            seeded = run(_seed(base, db, shop, customers=user_offers // o.offers, offers=o.offers))
            run(analyze(db))
            script = lookup_script(shop, seeded.customers.external_ids, None)
            cases.append((f"Lookup, {user_offers:,} user offers", base + LOOKUP, partial(_same, script)))
        small, large = runner.interleaved(cases)
        return small, large


def _same(script: str, _start: int) -> str:
    """A Lookup's script, which does not depend on how many requests ran before."""
    return script


def bare_asgi(runner: Runner) -> Result:
    port = free_port()
    with server(uvicorn_command("benchmarks.baseline_app:app", port), port) as base:
        return runner.rounds("bare ASGI, fixed body", base + "/", lambda _: lua_post("", "", 'return post("{}")'))


def engine_run(o: Options, engine: str | None) -> None:
    label = "PostgreSQL" if engine else "SQLite"
    runner = Runner(o)
    print(f"\n== {label}: {o.customers:,} customers x {o.offers} offers; {o.rounds} rounds of {o.seconds}s", flush=True)
    started = time.monotonic()

    def done(what: str) -> None:
        print(f"  {what} done at {time.monotonic() - started:.0f} s", flush=True)

    with lookup_cases(o, runner, engine) as (minimal, reference, (lookup, with_check)):
        done("minimal Lookup and Lookups")
        lock_ref, lock = lock_case(o, runner, engine, minimal)
        done("Lock")
        close_ref, close_10, close_1000 = close_cases(o, runner, engine, minimal)
        done("close, 10 and 1,000 rules")
    rows = [
        Row(bare_asgi(runner), None, None),
        Row(reference, reference, None),
        Row(lookup, reference, 0.5),
        Row(with_check, reference, 0.3),
        Row(lock, lock_ref, 0.35),
        Row(close_10, close_ref, 0.2),
        Row(close_1000, close_ref, None),
    ]
    # Requests/s of the two closes themselves, whose rounds alternate: a ratio to the reference would
    # add its own swing (it reads PostgreSQL where the close is mostly the server's CPU; they drift apart).
    comparisons = [("close, 1,000 rules vs 10 rules", close_10, close_1000, 1.1)]
    if o.scale:
        small, large = scale_cases(o, runner, engine)
        done("scale")
        rows += [Row(small, reference, None), Row(large, reference, None)]
        comparisons.append(("Lookup, 1,000,000 vs 10,000 user offers", small, large, 1.2))
    print(f"\n{label}, {o.connections} connections, medians of {o.rounds} rounds of {o.seconds}s")
    print_table(rows, comparisons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2_000, help="customers of the Lookup and Lock cases")
    parser.add_argument("--offers", type=int, default=20, help="offers per customer")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--close-budget", type=int, default=0, help="checks seeded per close case (default: 800 req/s worth)"
    )
    parser.add_argument("--scale", action="store_true", help="also Lookup at 1,000,000 vs 10,000 user offers")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    budget = args.close_budget or int(800 * (args.rounds * args.seconds + args.warmup))
    options = Options(
        args.customers,
        args.offers,
        args.seconds,
        args.rounds,
        args.connections,
        args.warmup,
        budget,
        args.scale,
    )
    postgres = os.environ.get("OPENOFFERS_BENCH_DATABASE_URL") or None
    if args.engine in ("sqlite", "both"):
        engine_run(options, None)
    if args.engine in ("postgresql", "both"):
        if postgres is None:
            print("\nPostgreSQL skipped: set OPENOFFERS_BENCH_DATABASE_URL to a bench* database to measure it")
        else:
            engine_run(options, postgres)


if __name__ == "__main__":
    main()
