"""`openoffers serve` as a public server: a client that sends its request slowly gets 408 and its
connection closed (slowloris), responses carry no server banner, and the server runs on the standard
library's event loop."""

from __future__ import annotations

import gc
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openoffers import asgi
from tests.serve_support import serving

# The server's read deadline for these tests; the wait below allows it several times over, because
# the thing under test is that the connection is closed at all (before: never).
READ_TIMEOUT_SECONDS = 1
WAIT_AT_MOST_SECONDS = 15


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    path = tmp_path_factory.mktemp("serve") / "serve.db"
    path.write_bytes(sqlite_template.read_bytes())
    env = {"OPENOFFERS_REQUEST_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS)}
    with serving(f"sqlite:///{path}", path.parent, env=env) as base_url:
        yield base_url


def _slow_send(base_url: str, data: bytes) -> tuple[bytes, float]:
    """Send `data` and no more; everything the server sends until it closes, and after how long."""
    host, port = base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=WAIT_AT_MOST_SECONDS) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return received, time.monotonic() - started


@pytest.mark.parametrize(
    "data",
    [
        b"",  # connects and says nothing
        b"POST /api/2.0/lookup HTTP/1.1\r\nHost: x\r\nAuthori",  # headers, a byte at a time
        # A body cut short (with a well-formed Authorization, so the server does wait for the body).
        b"POST /api/2.0/lookup HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5eXl5eXl5eXk=\r\n"
        b'Content-Length: 100\r\n\r\n{"store_id"',
    ],
)
def test_a_request_that_does_not_arrive_in_time_is_408_and_closed(server: str, data: bytes) -> None:
    received, seconds = _slow_send(server, data)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout", received
    assert b"connection: close" in head.lower()
    assert body == (
        b'{"status":"error","payload":null,"errors":{"code":"REQUEST_TIMEOUT",'
        b'"message":"the request did not arrive in time"}}'
    )
    assert READ_TIMEOUT_SECONDS <= seconds < WAIT_AT_MOST_SECONDS


def test_a_request_sent_in_time_is_answered_and_the_connection_kept(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        first = client.get("/health")
        time.sleep(READ_TIMEOUT_SECONDS + 0.5)  # idle between requests is the keep-alive's business (5 s)
        second = client.get("/health")
    assert (first.status_code, second.status_code) == (200, 200)
    assert "server" not in first.headers


def test_the_served_app_freezes_what_it_built_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`openoffers serve`'s entry point moves the start-up heap out of the collector's sight (a full
    collection over it was the Lookup's p99, docs/BENCHMARKS.md)."""
    monkeypatch.setenv("OPENOFFERS_DATABASE_URL", f"sqlite:///{tmp_path}/frozen.db")
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        asgi.create()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def _pid_listening_on(port: int) -> int:
    """The process whose command line serves `port` (a single-worker `openoffers serve` is one process)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"serve" in words and b"--port" in words and words[words.index(b"--port") + 1] == str(port).encode():
            return int(cmdline.parent.name)
    raise AssertionError(f"no process serves port {port}")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the server's loaded libraries from /proc")
def test_the_server_runs_on_the_standard_event_loop(server: str) -> None:
    """uvloop took new connections one per turn of a busy event loop, so a till connecting to a busy
    server waited for every request of every turn before its own (docs/DECISIONS.md, "The server's event
    loop"). Its compiled loop is never loaded; httptools, the HTTP parser, is (so the check can see one)."""
    assert httpx.get(f"{server}/health").status_code == 200
    libraries = Path(f"/proc/{_pid_listening_on(int(server.rsplit(':', 1)[1]))}/maps").read_text()
    assert "httptools" in libraries
    assert "uvloop" not in libraries
