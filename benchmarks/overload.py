"""Overload benchmark: what `openoffers serve` does with more concurrent requests than it admits.

Starts the demo on a fresh SQLite file with one worker, twice: with the default bound on requests in
progress (OPENOFFERS_MAX_IN_FLIGHT=64) and without one (0). Against each it holds C connections open on
127.0.0.1, each sending the partner guide's Lookup back to back for S seconds, for C in 16, 64, 256, and
prints per run: answers per second, how many were shed (503, each with Retry-After), and p50 / p99
latency of what was admitted (200). Without the bound every request is admitted and the p99 grows with
the queue; with it the excess is refused at once and the p99 of the admitted stays bounded.

The load generator is httpx in this process, which itself costs CPU on a small machine: compare the
two runs with each other, not with `benchmarks/pos.py`'s wrk figures.

Usage: python benchmarks/overload.py [--seconds S] [--connections 16,64,256]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

OPENOFFERS = str(Path(sys.executable).with_name("openoffers"))
# The guide's Lookup, with its own credentials (the demo's POS client).
LOOKUP_AUTH = "Basic " + base64.b64encode(b"d4d950af-1a37-4a10-ba8b-c2fb8ee24340:qPCFe7NqE5M9E2").decode()
LOOKUP = {
    "store_id": "136b6d16-1317-4ac6-b551-19540d53bd6c",
    "client_id": "d4d950af-1a37-4a10-ba8b-c2fb8ee24340",
    "request_id": "1",
    "culture": "en-US",
    "request_payload": {"external_customer_id": "14311211"},
}
MAX_CONNECTIONS = 256  # the load stays bounded whatever is asked on the command line
MAX_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def drive(base_url: str, connections: int, seconds: float) -> tuple[Counter[int], list[float], bool]:
    """`connections` clients sending Lookups back to back for `seconds`: statuses, latencies of the
    200s, and whether every 503 carried Retry-After."""
    statuses: Counter[int] = Counter()
    admitted: list[float] = []
    retry_after = True
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def one_client() -> None:
            nonlocal retry_after
            while time.monotonic() < deadline:
                started = time.monotonic()
                response = await client.post("/api/2.0/lookup", json=LOOKUP, headers={"Authorization": LOOKUP_AUTH})
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    admitted.append(time.monotonic() - started)
                elif response.status_code == 503:
                    retry_after = retry_after and response.headers.get("retry-after") == "1"
                    await asyncio.sleep(0.01)  # a client told to retry does not spin

        await asyncio.gather(*(one_client() for _ in range(connections)))
    return statuses, admitted, retry_after


def serve(database_url: str, port: int, max_in_flight: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OPENOFFERS_DATABASE_URL": database_url,
        "OPENOFFERS_MAX_IN_FLIGHT": str(max_in_flight),
        "OPENOFFERS_LOG_LEVEL": "warning",
        "OPENOFFERS_MAINTENANCE_INTERVAL_SECONDS": "0",
    }
    command = [OPENOFFERS, "serve", "--port", str(port), "--workers", "1", "--no-access-log"]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"openoffers serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"openoffers serve did not start in 120 s:\n{log.read_text()}")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", default="16,64,256")
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    levels = [min(int(c), MAX_CONNECTIONS) for c in args.connections.split(",")]
    rows: list[tuple[str, int, float, int, float, float, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/overload.db"
        env = {**os.environ, "OPENOFFERS_DATABASE_URL": database_url}
        subprocess.run([OPENOFFERS, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        for max_in_flight in (64, 0):
            port = free_port()
            process = serve(database_url, port, max_in_flight, Path(tmp) / f"serve-{max_in_flight}.log")
            try:
                for connections in levels:
                    statuses, admitted, retry_after = asyncio.run(
                        drive(f"http://127.0.0.1:{port}", connections, seconds)
                    )
                    total = sum(statuses.values())
                    rows.append(
                        (
                            str(max_in_flight or "none"),
                            connections,
                            total / seconds,
                            statuses.get(503, 0),
                            percentile(admitted, 0.5) * 1000,
                            percentile(admitted, 0.99) * 1000,
                            retry_after,
                        )
                    )
                    other = {s: n for s, n in statuses.items() if s not in (200, 503)}
                    if other:
                        print(f"unexpected statuses at {connections} connections: {other}")
            finally:
                process.terminate()
                process.wait(timeout=10)
    print(f"{'limit':>6} {'conns':>6} {'answers/s':>10} {'shed 503':>9} {'p50 ms':>8} {'p99 ms':>8} retry-after")
    for limit, connections, rate, shed, p50, p99, retry_after in rows:
        print(f"{limit:>6} {connections:>6} {rate:>10.0f} {shed:>9} {p50:>8.1f} {p99:>8.1f} {retry_after}")
    print(f"median admitted p99 with the limit: {statistics.median(r[5] for r in rows if r[0] != 'none'):.1f} ms")


if __name__ == "__main__":
    main()
