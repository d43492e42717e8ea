"""Housekeeping that runs in the background of every server process (and as `openoffers maintenance`).

Most of it is not needed for correctness: reads already show an ended window as Expired and an expired
lock as Issued, and a lock past its time is taken over on the next lock. It records those transitions
in each user offer's history, releases stale locks, and forgets POS replies past their retention
window. Points that expire (loyalty/expiry.py) leave the balances only when it records them. Every step
is a conditional update (or claims its work by a unique key), so several processes running it at once
do no harm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass

from openoffers.kit.clock import Clock
from openoffers.kit.db import Database, unavailable
from openoffers.loyalty import service as loyalty_service
from openoffers.pos import service as pos_service
from openoffers.settings import Settings
from openoffers.wallet import service as wallet_service

log = logging.getLogger("openoffers.maintenance")


@dataclass(frozen=True, slots=True)
class Report:
    expired_user_offers: int
    released_locks: int
    purged_replies: int
    expired_point_lots: int


async def run_once(db: Database, settings: Settings, clock: Clock) -> Report:
    now = clock()
    # Locks first: a released offer whose window has also ended is then expired in the same round.
    released = await pos_service.expire_locks(db, now)
    return Report(
        expired_user_offers=await wallet_service.expire_due(db, now),
        released_locks=released,
        purged_replies=await pos_service.purge_replies(db, now, settings.idempotency_ttl_hours),
        expired_point_lots=await loyalty_service.expire_points(db, now),
    )


class Housekeeper:
    """Runs `run_once` every `interval` seconds (with jitter, so workers do not all wake together)."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.maintenance_interval_seconds > 0:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        interval = self.settings.maintenance_interval_seconds
        while True:
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
            try:
                report = await run_once(self.db, self.settings, self.clock)
            except Exception as error:  # keep the loop alive: the next round retries
                reason = unavailable(error)
                if reason is None:
                    log.exception("maintenance round failed")
                else:
                    log.warning("maintenance round skipped: %s", reason)
                continue
            if report != Report(0, 0, 0, 0):
                log.info("maintenance: %s", report)
