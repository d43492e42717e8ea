"""Shared benchmark plumbing: start a server process, drive it with wrk, read wrk's numbers.

Load targets only 127.0.0.1, with a bounded duration and connection count. On a machine with two or
more cores the server is pinned to core 0 and wrk to core 1 (`taskset`), every server alike, so the
load generator does not steal the server's core.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PINNED = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
SERVER_CORE, WRK_CORE = "0", "1"


def pinned(core: str, command: Sequence[str]) -> list[str]:
    return ["taskset", "-c", core, *command] if PINNED else list(command)


def uvicorn_command(app: str, port: int, *, factory: bool = False) -> list[str]:
    """An ASGI app under uvicorn as `openoffers serve` runs it: one process, the standard library's
    event loop, httptools, proxy headers on, no access log."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    return [
        *command,
        *(["--factory"] if factory else []),
        "--loop",
        "asyncio",
        "--proxy-headers",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


@contextmanager
def server(command: Sequence[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server command (pinned to the server core) until the block ends; yields its base URL
    once it answers. Its stderr goes to a file (a pipe nobody reads would fill and stall it)."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            pinned(SERVER_CORE, command), env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=errors
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    errors.seek(0)
                    raise RuntimeError(f"server exited: {errors.read().decode(errors='replace')[-3000:]}")
                try:
                    httpx.get(base + "/health", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not start in 60 s") from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int = 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"cannot read latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _number(pattern: str, out: str) -> str:
    match = re.search(pattern, out)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output ({pattern}):\n{out}")
    return match.group(1)


def wrk(name: str, url: str, script: str, *, seconds: int, connections: int) -> Result:
    """Run the Lua `script` against `url` (127.0.0.1 only) for `seconds` with one wrk thread (one Lua
    state, so a counter in the script numbers requests exactly) and read wrk's summary."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"benchmarks load 127.0.0.1 only, not {url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            lua.name,
            url,
        ]
        out = subprocess.run(
            pinned(WRK_CORE, command), capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    finally:
        os.unlink(lua.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Result(
        name,
        float(_number(r"Requests/sec:\s+([\d.]+)", out)),
        _ms(_number(r"\s50%\s+(\S+)", out)),
        _ms(_number(r"\s99%\s+(\S+)", out)),
        (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
        int(_number(r"(\d+) requests in", out)),
    )


def median(name: str, runs: Sequence[Result]) -> Result:
    """Medians of the rounds; errors and requests are summed."""
    return Result(
        name,
        statistics.median(r.requests_per_second for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.non_2xx for r in runs),
        sum(r.requests for r in runs),
    )


def lua_post(auth: str, prelude: str, statements: str) -> str:
    """A wrk script that POSTs JSON with `auth`. `prelude` defines Lua values once; `statements` run
    per request, with the request counter `n` (1 for the first), and end in `return post(body)`."""
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = {json.dumps(auth)}\n'
        "local function post(body) return wrk.format(nil, nil, nil, body) end\n"
        f"{prelude}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f"  {statements}\n"
        "end\n"
    )


def lua_string(value: str) -> str:
    """A Lua string literal (JSON's escapes are Lua's for what we write)."""
    return json.dumps(value)


def lua_list(name: str, values: Sequence[str]) -> str:
    return f"local {name} = {{" + ",".join(lua_string(v) for v in values) + "}"
