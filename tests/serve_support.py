"""Running `openoffers serve` as a subprocess (one or several worker processes) for end-to-end, race and
browser tests: the one place that starts, waits for and stops a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

OPENOFFERS = str(Path(sys.executable).with_name("openoffers"))


# How long a server may take to answer /health. Generous, because a loaded CI machine running the
# suite in parallel has been seen to need more than 30 s to start two workers; the wait ends as soon as
# the server answers, or at once when it exits, so a healthy run never waits for it.
STARTUP_SECONDS = float(os.environ.get("OPENOFFERS_TEST_STARTUP_SECONDS", "180"))


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    """Until /health answers 200; fails with the server's output if it exits or takes too long."""
    deadline = time.monotonic() + STARTUP_SECONDS
    pause = 0.05
    while True:
        if process.poll() is not None:
            pytest.fail(f"openoffers serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            output = log_path.read_text(errors="replace")
            pytest.fail(f"openoffers serve did not answer /health within {STARTUP_SECONDS:g} s:\n{output}")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, log_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[str]:
    """`openoffers serve --workers N` on a free port; yields its base URL once /health answers; always stopped."""
    port = free_port()
    log_path = log_dir / f"serve-{port}.log"
    environment = {**os.environ, "OPENOFFERS_LOG_LEVEL": "warning", **(env or {})}
    environment.pop("OPENOFFERS_DATABASE_URL", None)
    command = [OPENOFFERS, "serve", "--port", str(port), "--database-url", database_url, "--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(process, base_url, log_path)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            # A bug is a 500 with its trace in the server's log: show it with the test that found it.
            text = log_path.read_text(errors="replace")
            if "Traceback" in text:
                print(text)
