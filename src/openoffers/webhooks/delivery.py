"""The webhook worker, run by every server process (`Dispatcher`, like the housekeeping in
`maintenance.py`): it turns committed outbox events into deliveries, claims the due ones, sends them
signed per Standard Webhooks, and records each attempt.

Nothing is sent twice for one attempt, with any number of processes: a claim is a short transaction
that moves each chosen delivery's `next_attempt_at` past a lease and counts the attempt, choosing rows
`FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's one writer does the same by itself); the request is
sent after that commits, and its result is recorded only if the attempt is still the one claimed.
A process that dies mid-send leaves its claim to run out, and the delivery is tried again (at least
once). Events with one ordering key (a customer, an offer) go to an endpoint in order: a delivery is
not claimed while an earlier one of its key is pending there (being tried or waiting for its retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
from sqlalchemy import Integer, Uuid, and_, exists, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from standardwebhooks import Webhook

from openoffers import __version__, events
from openoffers.kit import metrics
from openoffers.kit.clock import Clock
from openoffers.kit.columns import UtcDateTime
from openoffers.kit.db import Database, unavailable
from openoffers.settings import Settings
from openoffers.tables.events import (
    DeliveryStatus,
    EndpointStatus,
    outbox_events,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from openoffers.webhooks.urls import refusal

log = logging.getLogger("openoffers.webhooks")

D = webhook_deliveries.c
E = webhook_endpoints.c
O = outbox_events.c  # noqa: E741

# The delay before each retry (Standard Webhooks' suggested schedule): the 8th and last attempt comes
# about 27.5 hours after the first, so a receiver that is down for a day still gets every event.
SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
ATTEMPTS = len(SCHEDULE) + 1
# Each delay is stretched or shrunk by up to this fraction, so retries from one outage spread out.
JITTER = 0.1
BATCH = 200
# Requests one process has in flight at once, so a burst does not overrun a receiver's accept queue.
CONCURRENCY = 8
# PostgreSQL advisory lock key of the fan-out: one process at a time turns events into deliveries, so a
# customer's later event never gets its delivery before an earlier one does.
DISPATCH_LOCK = 0x0FFE_12_0B


def retry_delay(failed_attempt: int) -> timedelta | None:
    """How long after the `failed_attempt`-th attempt (1-based) to try again, jittered; None when that
    was the last."""
    if failed_attempt >= ATTEMPTS:
        return None
    base = SCHEDULE[failed_attempt - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    attempt: int
    retailer_id: Any
    endpoint_id: Any
    url: str
    secret: str
    event_id: Any
    event_type: str
    occurred_at: datetime
    data: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class Round:
    dispatched: int
    delivered: int
    failed: int


# --------------------------------------------------------------------------------------- fan-out


async def dispatch(db: Database, now: datetime, limit: int = BATCH) -> int:
    """Make the deliveries of up to `limit` undispatched events, in `seq` order: one per active, paused
    or disabled endpoint of the event's retailer that wants its type (a paused one receives them on
    resume). Answers how many events were dispatched."""
    async with db.write() as conn:
        if conn.dialect.name == "postgresql" and not await conn.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK}
        ):
            return 0
        rows = (
            await conn.execute(
                select(O.seq, O.retailer_id, O.type, O.ordering_key)
                .where(O.dispatched.is_(False))
                .order_by(O.seq)
                .limit(limit)
            )
        ).all()
        if not rows:
            return 0
        retailers = {row.retailer_id for row in rows}
        wanted: dict[Any, list[tuple[Any, set[str]]]] = {}
        for endpoint in await conn.execute(
            select(E.id, E.retailer_id, E.event_types).where(E.retailer_id.in_(retailers))
        ):
            wanted.setdefault(endpoint.retailer_id, []).append((endpoint.id, set(endpoint.event_types)))
        deliveries = [
            {
                "retailer_id": row.retailer_id,
                "endpoint_id": endpoint_id,
                "event_seq": row.seq,
                "ordering_key": row.ordering_key,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
            for row in rows
            for endpoint_id, types in wanted.get(row.retailer_id, [])
            if not types or row.type in types
        ]
        if deliveries:
            await conn.execute(insert(webhook_deliveries), deliveries)
        await conn.execute(update(outbox_events).where(O.seq.in_([row.seq for row in rows])).values(dispatched=True))
    return len(rows)


# ----------------------------------------------------------------------------------------- claims


def _earlier_pending() -> Any:
    earlier = webhook_deliveries.alias("earlier")
    return exists().where(
        earlier.c.endpoint_id == D.endpoint_id,
        earlier.c.ordering_key == D.ordering_key,
        earlier.c.status == DeliveryStatus.PENDING,
        earlier.c.event_seq < D.event_seq,
    )


async def claim(db: Database, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    """Up to `limit` due deliveries of active endpoints, each counted as one more attempt and hidden from
    every other claim until `lease` has passed (or its result is recorded)."""
    async with db.write() as conn:
        chosen = (
            select(D.id)
            .join(webhook_endpoints, and_(E.id == D.endpoint_id, E.retailer_id == D.retailer_id))
            .where(
                D.status == DeliveryStatus.PENDING,
                D.next_attempt_at <= now,
                E.status == EndpointStatus.ACTIVE,
                ~_earlier_pending(),
            )
            .order_by(D.event_seq)
            .limit(limit)
            .with_for_update(of=webhook_deliveries, skip_locked=True)
        )
        ids = list(await conn.scalars(chosen))
        if not ids:
            return []
        # Conditional as every state change is: only rows still due are taken.
        taken = await conn.execute(
            update(webhook_deliveries)
            .where(D.id.in_(ids), D.status == DeliveryStatus.PENDING, D.next_attempt_at <= now)
            .values(attempts=D.attempts + 1, next_attempt_at=now + lease, last_attempt_at=now)
            .returning(D.id, D.attempts)
        )
        attempts: dict[int, int] = {row.id: row.attempts for row in taken}
        rows = await conn.execute(
            select(
                D.id,
                D.retailer_id,
                D.endpoint_id,
                E.url,
                E.secret,
                O.id.label("event_id"),
                O.type,
                O.occurred_at,
                O.data,
            )
            .join(webhook_endpoints, E.id == D.endpoint_id)
            .join(outbox_events, O.seq == D.event_seq)
            .where(D.id.in_(list(attempts)))
            .order_by(D.event_seq)
        )
        return [
            Claimed(
                r.id,
                attempts[r.id],
                r.retailer_id,
                r.endpoint_id,
                r.url,
                r.secret,
                r.event_id,
                r.type,
                r.occurred_at,
                r.data,
            )
            for r in rows
        ]


# ------------------------------------------------------------------------------------------ sends


def signed_request(item: Claimed, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt, signed with the endpoint's secret by `standardwebhooks`."""
    body = msgspec.json.encode(
        events.envelope(item.event_id, item.retailer_id, item.event_type, item.occurred_at, item.data)
    )
    message_id = str(item.event_id)
    signature = Webhook(item.secret).sign(message_id, now, body.decode())
    headers = {
        "content-type": "application/json",
        "user-agent": f"openoffers-webhooks/{__version__}",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


async def send(http: httpx.AsyncClient, item: Claimed, now: datetime, *, allow_private: bool) -> Outcome:
    started = time.perf_counter()
    refused = await refusal(item.url, allow_private=allow_private)
    if refused is not None:
        return Outcome(None, refused, 0)
    body, headers = signed_request(item, now)
    try:
        response = await http.post(item.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], elapsed)
    elapsed = int((time.perf_counter() - started) * 1000)
    problem = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(response.status_code, problem, elapsed)


async def record(db: Database, item: Claimed, outcome: Outcome, now: datetime, disable_after: timedelta) -> bool:
    """The attempt's result; a failure schedules the next attempt (or ends the schedule) and, after
    `disable_after` of failures with no success between, disables the endpoint. Answers whether this
    attempt was still the claimed one (a result that comes after its lease ran out changes nothing but
    the attempts log)."""
    async with db.write() as conn:
        # Logged only while the delivery exists: its endpoint may have been deleted meanwhile.
        logged = select(
            literal(item.retailer_id, Uuid()),
            D.id,
            literal(item.attempt),
            literal(now, UtcDateTime()),
            literal(outcome.status_code, Integer()),
            literal(outcome.error[:500]),
            literal(outcome.duration_ms),
        ).where(D.id == item.delivery_id)
        columns = ["retailer_id", "delivery_id", "attempt", "at", "status_code", "error", "duration_ms"]
        await conn.execute(insert(webhook_attempts).from_select(columns, logged))
        current = (D.id == item.delivery_id, D.status == DeliveryStatus.PENDING, D.attempts == item.attempt)
        result = {"last_status_code": outcome.status_code, "last_error": outcome.error[:500]}
        if outcome.ok:
            changed = await conn.execute(
                update(webhook_deliveries).where(*current).values(status=DeliveryStatus.DELIVERED, **result)
            )
            await conn.execute(
                update(webhook_endpoints)
                .where(E.id == item.endpoint_id, E.failing_since.is_not(None))
                .values(failing_since=None)
            )
            return bool(changed.rowcount)
        delay = retry_delay(item.attempt)
        values: dict[str, Any] = (
            {"status": DeliveryStatus.FAILED} if delay is None else {"next_attempt_at": now + delay}
        )
        changed = await conn.execute(update(webhook_deliveries).where(*current).values(**values, **result))
        await _note_failure(conn, item, outcome, now, disable_after)
        return bool(changed.rowcount)


async def _note_failure(
    conn: AsyncConnection, item: Claimed, outcome: Outcome, now: datetime, disable_after: timedelta
) -> None:
    await conn.execute(
        update(webhook_endpoints).where(E.id == item.endpoint_id, E.failing_since.is_(None)).values(failing_since=now)
    )
    disabled = await conn.execute(
        update(webhook_endpoints)
        .where(
            E.id == item.endpoint_id,
            E.status == EndpointStatus.ACTIVE,
            E.failing_since <= now - disable_after,
        )
        .values(
            status=EndpointStatus.DISABLED,
            disabled_reason=f"deliveries failed for more than {_hours(disable_after)}; last: {outcome.error}"[:500],
            updated_at=now,
        )
    )
    if disabled.rowcount:
        metrics.WEBHOOK_ENDPOINTS_DISABLED.inc()
        log.warning("webhook endpoint %s disabled after sustained failure", item.endpoint_id)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hours"


# ----------------------------------------------------------------------------------------- rounds


async def backlog(db: Database, now: datetime) -> tuple[int, int, int]:
    """(events not yet dispatched, deliveries pending, of which due now) for /metrics."""
    async with db.read() as conn:
        undispatched = await conn.scalar(select(func.count()).select_from(outbox_events).where(O.dispatched.is_(False)))
        pending = (
            await conn.execute(
                select(func.count(), func.count().filter(D.next_attempt_at <= now))
                .select_from(webhook_deliveries)
                .where(D.status == DeliveryStatus.PENDING)
            )
        ).one()
    return int(undispatched or 0), int(pending[0]), int(pending[1])


async def run_once(db: Database, settings: Settings, clock: Clock, http: httpx.AsyncClient) -> Round:
    """Dispatch new events, then claim and send due deliveries until none is left (or a claim comes
    back empty: another process has the rest)."""
    dispatched = await dispatch(db, clock())
    delivered = failed = 0
    lease = timedelta(seconds=settings.webhook_timeout_seconds + 30)
    disable_after = timedelta(hours=settings.webhook_disable_after_hours)
    allow_private = bool(settings.webhook_allow_private_urls)
    while True:
        # A claim no bigger than what is sent at once, so each request starts as soon as it is claimed
        # and finishes (or times out) well within its lease.
        claimed = await claim(db, clock(), lease, CONCURRENCY)
        if not claimed:
            break
        # One request at a time per ordering key is what `claim` guarantees: within a claim they are
        # different keys (or endpoints), so they go out together.
        now = clock()
        outcomes = await asyncio.gather(*(send(http, item, now, allow_private=allow_private) for item in claimed))
        for item, outcome in zip(claimed, outcomes, strict=True):
            await record(db, item, outcome, clock(), disable_after)
            if outcome.ok:
                delivered += 1
                metrics.WEBHOOK_ATTEMPTS.labels("delivered").inc()
            else:
                failed += 1
                metrics.WEBHOOK_ATTEMPTS.labels("failed").inc()
        dispatched += await dispatch(db, clock())
    undispatched, pending, due = await backlog(db, clock())
    metrics.WEBHOOK_BACKLOG.labels("undispatched_events").set(undispatched)
    metrics.WEBHOOK_BACKLOG.labels("pending_deliveries").set(pending)
    metrics.WEBHOOK_BACKLOG.labels("due_deliveries").set(due)
    return Round(dispatched, delivered, failed)


class Dispatcher:
    """Runs `run_once` every `webhook_poll_ms` (with jitter, so processes do not all wake together)."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self.settings.webhook_poll_ms > 0:
            # Redirects are not followed: a 3xx is the receiver's answer, and following one could lead
            # to an address the URL check refused.
            self._http = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            )
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.aclose()

    async def _loop(self) -> None:
        assert self._http is not None
        interval = self.settings.webhook_poll_ms / 1000
        while True:
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
            try:
                done = await run_once(self.db, self.settings, self.clock, self._http)
            except Exception as error:  # keep the loop alive: the next round retries
                reason = unavailable(error)
                if reason is None:
                    log.exception("webhook round failed")
                else:
                    log.warning("webhook round skipped: %s", reason)
                continue
            if done != Round(0, 0, 0):
                log.info("webhooks: %s", done)
