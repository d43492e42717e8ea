"""What the sync and async clients share, free of I/O: a call's description, reading an answer into its
payload or a typed error, and the retry policy of POS calls."""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from openoffers_client.errors import ServerError, error_class

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True, slots=True)
class Call:
    """One request: its path and JSON body. `retry` only for POS calls, whose `request_id` (fixed in the
    body when the call is made, so every attempt sends the same one) makes a repeat safe: the server
    answers a repeat with the reply it stored, without doing the work again."""

    path: str
    body: dict[str, Any]
    pos: bool = False
    retry: bool = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a POS call is retried: only when no answer came (a transport failure), or the server said
    503/429 with `Retry-After`. Anything else, including a 5xx without `Retry-After`, is not retried."""

    attempts: int = 4  # in all, the first included
    backoff_seconds: float = 0.2  # after a transport failure: doubled each time, with jitter
    max_wait_seconds: float = 10.0  # never wait longer than this, whatever Retry-After says

    def delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1` (attempts count from 1), or None: do not retry.
        `response` is None when the attempt failed in transport."""
        if attempt >= self.attempts:
            return None
        if response is None:
            base = self.backoff_seconds * 2.0 ** (attempt - 1)
            return min(self.max_wait_seconds, base / 2 + random.uniform(0, base / 2))
        if response.status_code not in (429, 503):
            return None
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return None if wait is None else min(self.max_wait_seconds, wait)


NO_RETRY = RetryPolicy(attempts=1)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def payload_of(response: httpx.Response) -> Any:
    """The `payload` of a successful answer; raises the typed error of a refusal."""
    try:
        body = response.json()
    except ValueError:
        body = None
    request_id = response.headers.get(REQUEST_ID_HEADER)
    if response.is_success and isinstance(body, dict) and "payload" in body:
        return body["payload"]
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict) or not isinstance(errors.get("code"), str):
        raise ServerError(
            f"HTTP {response.status_code} without the API's JSON envelope",
            code="UNEXPECTED_RESPONSE",
            status_code=response.status_code,
            request_id=request_id,
            body=body if body is not None else response.text,
        )
    fields = errors.get("fields")
    reason = errors.get("reason")
    cls = error_class(errors["code"], response.status_code)
    raise cls(
        str(errors.get("message") or errors["code"]),
        code=errors["code"],
        status_code=response.status_code,
        fields={str(k): [str(item) for item in v] for k, v in fields.items()} if isinstance(fields, dict) else None,
        reason=reason if isinstance(reason, str) else None,
        request_id=request_id,
        body=body,
    )
