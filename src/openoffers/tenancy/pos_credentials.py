"""POS credentials held in process memory for a bounded time (OPENOFFERS_POS_CREDENTIALS_CACHE_SECONDS).

Every POS call authenticates: reading the POS client with the envelope's store and the retailer was
one statement of a Lookup's three. A client, with the store and retailer it was read with, is kept for
at most `max_age` seconds after it was read from the database; within that time a call whose secret
matches the held client needs no statement for its credentials.

What the bound means (docs/DECISIONS.md):
- A wrong secret is never answered from memory: it is checked against the database again, so a
  rotated secret works at once, and a client the database refuses is dropped from memory.
- A POS client revoked by this process (`tenancy.service.revoke_pos_client`) is dropped once the
  revocation commits (a call already in flight that read the client before that commit may hold it
  again, for at most `max_age` seconds); one revoked by another process (the CLI, another worker) is
  refused within `max_age` seconds. The same holds for a secret replaced behind our back: the old
  secret works for at most `max_age` seconds.
- A store or retailer renamed or moved to another time zone is seen within `max_age` seconds.
- `max_age` 0 reads the database on every call, as before this cache.
Client ids are unique per retailer, not globally, so one (client id, store id) may name clients of
several retailers: the memory holds all of them (every one the database had with that store, in the
order authentication tries them), so a secret that matches none of them goes to the database, and one
that matches is answered as the database would have answered it.
Ages are measured with a monotonic clock (injectable for tests), not the request clock, because the
bound is about real time since the read, whatever time a request claims.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID
from weakref import WeakKeyDictionary

from openoffers.kit.db import Database
from openoffers.tenancy.repository import PosClient, Retailer, Store

# Enough for every till of a large retailer; past it the memory is cleared and refilled, which costs
# one statement per call for a moment rather than unbounded memory.
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Held:
    client: PosClient
    store: Store
    retailer: Retailer
    read_at: float


class PosCredentials:
    """POS clients by (client id, store id), with the store and retailer read with them: every
    retailer's client with that id and a store with that id, read in one query."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._held: dict[tuple[UUID, UUID], tuple[Held, ...]] = {}

    def get(self, client_id: UUID, store_id: UUID, max_age: float) -> tuple[Held, ...]:
        held = self._held.get((client_id, store_id), ())
        if not held or self.clock() - held[0].read_at >= max_age:
            return ()
        return held

    def put(
        self, client_id: UUID, store_id: UUID, found: list[tuple[PosClient, Store, Retailer]], max_age: float
    ) -> None:
        if max_age <= 0 or not found:
            return
        if len(self._held) >= MAX_ENTRIES:
            self._held.clear()
        read_at = self.clock()
        self._held[(client_id, store_id)] = tuple(Held(c, s, r, read_at) for c, s, r in found)

    def forget(self, client_id: UUID) -> None:
        for key in [key for key in self._held if key[0] == client_id]:
            del self._held[key]


# One memory per database (per engine): a process serves one database, but tests and tools open many,
# and a client id from one must never answer for another. Weak keys: a disposed database takes its
# memory with it.
_per_database: WeakKeyDictionary[Database, PosCredentials] = WeakKeyDictionary()


def pos_credentials(db: Database) -> PosCredentials:
    held = _per_database.get(db)
    if held is None:
        held = _per_database[db] = PosCredentials()
    return held
