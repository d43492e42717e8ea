"""kit.logs' formatter: an application error is one JSON line with its trace and the request id."""

from __future__ import annotations

import io
import json
import logging

import structlog

from openoffers.kit import logs


def test_an_error_with_its_trace_is_one_json_line_with_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("openoffers.test-logs")
    logger.addHandler(handler)
    logger.propagate = False
    logs.configure_structlog()
    token = logs._request_id.set("req-42")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("unhandled error on %s %s", "POST", "/api/2.0/lookup")
        structlog.get_logger("openoffers.test-logs").warning("shed", in_flight=64)
    finally:
        logs._request_id.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["event"], first["level"], first["request_id"]) == (
        "unhandled error on POST /api/2.0/lookup",
        "error",
        "req-42",
    )
    assert first["exception"].startswith("Traceback (most recent call last)")
    assert first["exception"].endswith("ValueError: boom")
    assert {k: second[k] for k in ("event", "level", "request_id", "in_flight")} == {
        "event": "shed",
        "level": "warning",
        "request_id": "req-42",
        "in_flight": 64,
    }
