"""tests/serve_support.py waits for a slow server as long as it starts, and fails at once, with the
server's output, when it dies."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serve_support import _wait_until_healthy, free_port

SLOW_SERVER = """
import http.server, sys, time
time.sleep(2)  # slower than a poll or two, as a loaded machine is
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


def test_a_server_that_dies_fails_at_once_with_its_output(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "print('no such table: retailers'); raise SystemExit(3)"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as failed:
        _wait_until_healthy(process, f"http://127.0.0.1:{free_port()}", log)
    assert "openoffers serve exited with 3:\nno such table: retailers" in str(failed.value)
    # Not the whole startup allowance: noticing the exit is the point (the bound is only for a stuck test).
    assert time.monotonic() - started < 60


def test_a_slow_server_is_waited_for(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", SLOW_SERVER, str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(process, f"http://127.0.0.1:{port}", log)
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
