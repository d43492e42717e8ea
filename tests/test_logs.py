"""The served process logs JSON lines only, each with the request id of the request it is about, uvicorn's
access lines and the application's warnings included; the id is the caller's `X-Request-ID` or a new one,
echoed in the response."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx

from openoffers import demo
from tests.conftest import basic
from tests.serve_support import OPENOFFERS, serving


def test_every_line_of_a_served_process_is_json_with_its_request_id(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    url = f"sqlite:///{path}"
    done = subprocess.run([OPENOFFERS, "demo", "--database-url", url, "--json"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    auth = basic(demo.API_KEY, demo.API_SECRET)
    env = {"OPENOFFERS_LOG_LEVEL": "info", "OPENOFFERS_DB_LOCK_TIMEOUT_MS": "300"}
    with serving(url, tmp_path, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        health = http.get("/health", headers={"X-Request-ID": "probe-1"})
        assert (health.status_code, health.headers["x-request-id"]) == (200, "probe-1")

        listing = http.post("/api/2.0/offers/list", json={"retailer_id": str(demo.RETAILER_ID)}, headers=auth)
        assert listing.status_code == 200
        made = listing.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)

        # An id that is not plain text is replaced, not echoed or logged.
        odd = http.get("/health", headers={"X-Request-ID": "two words"})
        replaced = odd.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced)

        # A write while another process holds SQLite's write lock: 503, and the application's warning.
        holder = sqlite3.connect(path)
        holder.execute("BEGIN IMMEDIATE")
        try:
            body = {"retailer_id": str(demo.RETAILER_ID), "external_customer_id": "logs-1"}
            stalled = http.post("/api/2.0/users/create", json=body, headers={**auth, "X-Request-ID": "stalled-1"})
        finally:
            holder.rollback()
            holder.close()
        assert (stalled.status_code, stalled.headers["x-request-id"]) == (503, "stalled-1")
        assert stalled.json()["errors"]["code"] == "UNAVAILABLE"
    [log_file] = tmp_path.glob("serve-*.log")
    lines = [line for line in log_file.read_text().splitlines() if line.strip()]
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"event", "level", "logger", "time", "request_id"} <= set(r) for r in records), lines
    by_id: dict[str | None, list[dict[str, Any]]] = {}
    for record in records:
        by_id.setdefault(record["request_id"], []).append(record)

    def access(request_id: str) -> list[tuple[str, str, int]]:
        rows = by_id.get(request_id, [])
        return [(r["method"], r["path"], r["status"]) for r in rows if r["logger"] == "uvicorn.access"]

    assert access("probe-1") == [("GET", "/health", 200)]
    assert access(made) == [("POST", "/api/2.0/offers/list", 200)]
    assert access(replaced) == [("GET", "/health", 200)]
    assert access("stalled-1") == [("POST", "/api/2.0/users/create", 503)]
    [warning] = [r for r in by_id["stalled-1"] if r["logger"] == "openoffers.errors"]
    assert warning["level"] == "warning"
    assert warning["event"].startswith("database unavailable on POST /api/2.0/users/create")
    assert "two words" not in log_file.read_text()
    # Lines about no request (startup, shutdown) say so.
    started = [r for r in records if r["event"].startswith("OpenOffers listening on")]
    assert [r["request_id"] for r in started] == [None]
