"""How many SQL statements each POS hot path runs (ARCHITECTURE.md rule 9), pinned exactly so a change
that adds a round trip is seen here (docs/BENCHMARKS.md has what they cost). The counts are the same on
SQLite and PostgreSQL; SQLite's own `BEGIN` (which `kit.db` emits itself) is not counted, as PostgreSQL's
is not a statement either. Offer revisions come from the per-process cache, and the POS client with its
store and retailer from the credentials memory (tenancy/pos_credentials.py, within its bound): a warm-up
Lookup fills both.

A count that goes down is good news: lower the number here, and say why in the comment beside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import httpx
from sqlalchemy import event

from openoffers.app import create_app
from openoffers.kit.db import Database
from openoffers.settings import Settings
from tests.conftest import FrozenClock, Tenant, asgi_transport, make_tenant
from tests.pos.pos_support import (
    LOCK,
    LOOKUP,
    SEND,
    api,
    as_discount,
    check,
    create_offer,
    create_user,
    envelope,
    issue,
    lock_body,
)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements run inside the block, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def counted(
    client: httpx.AsyncClient, db: Database, tenant: Tenant, path: str, payload: dict[str, Any]
) -> tuple[Any, list[str]]:
    with statements(db) as seen:
        response = await client.post(path, json=envelope(tenant, payload), headers=tenant.pos_auth)
    assert response.status_code == 200, response.text
    return response.json()["payload"], seen


async def customer(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, list[str]]:
    """A customer holding two user offers, at a retailer earning 1 point per $1, after a warm-up Lookup."""
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant, external_customer_id="C-1", first_name="Ada")
    held = [await issue(client, tenant, user_id, offer_id) for _ in range(2)]
    response = await client.post(
        LOOKUP, json=envelope(tenant, {"external_customer_id": "C-1"}), headers=tenant.pos_auth
    )
    assert response.status_code == 200, response.text
    return user_id, held


async def test_lookup_statements(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    await customer(client, tenant)
    # The POS client's credentials, with the envelope's store and the retailer, come from memory (the
    # warm-up read them); then 1. the customer (by the key given) with the retailer's point accounts and
    # their balances; 2. the wallet, each user offer with its revision key and lock row.
    [found], seen = await counted(client, db, tenant, LOOKUP, {"external_customer_id": "C-1"})
    assert len(found["offers"]) == 2
    assert len(seen) == 2, seen
    # With a check: the same two. The check's locks on the offers it names come from the wallet's
    # rows; max_uses counts and catalog categories are read only when an offer has them (these do not).
    [found], seen = await counted(
        client, db, tenant, LOOKUP, {"external_customer_id": "C-1", "transaction": check("T-1")}
    )
    assert len(found["offers"]) == 2
    assert len(seen) == 2, seen


async def test_lock_statements(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    _, held = await customer(client, tenant)
    # Credentials, store and retailer from memory;  1. claim the request_id (insert-ignore);
    # 2. the user offer with its revision key, its lock row, whether the check is closed and whether the
    #    owner has expiries due (none: the expiry sweep is skipped);
    # 3. Issued -> Locked (conditional update, returning the row);  4. its `locked` event;
    # 5. the lock row (upsert);  6. save the reply for replays;  7. its `user_offer.locked` outbox event
    #    (written just before COMMIT, with any other event of the transaction: `kit.at_commit`).
    locked, seen = await counted(client, db, tenant, LOCK, lock_body(held[0], check("T-1")))
    assert locked["status"] == "LOCKED"
    assert len(seen) == 7, seen
    # The same check again (its basket changed): 1-2 as above, 3. the lock recomputed (conditional
    # update on this check's lock), 4. save the reply.
    locked, seen = await counted(client, db, tenant, LOCK, lock_body(held[0], check("T-1")))
    assert locked["status"] == "LOCKED"
    assert len(seen) == 4, seen


async def test_closed_send_transaction_statements(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    user_id, held = await customer(client, tenant)
    payment = {"payment_id": "p1", "amount": "11", "type": "CREDIT", "user_id": user_id, "user_id_type": "SessionM_ID"}
    # A new check closed for a paying customer, no discounts (the benchmark's close):
    # Credentials, store and retailer from memory;  1. claim the request_id, with the reply stored at
    # once (send_transaction's is the same for every check it takes; it was saved last, a statement);
    # 2. the check's row (insert-ignore; new, so it is ours without reading it back);
    # 3. every lock the check holds (to release the ones it does not redeem);
    # 4. the catalog categories of its items (earning may go by category);
    # 5. the customer exists, and whether they have expiries due (none: no sweep);
    # 6. claim the loyalty event (insert-ignore);  7. the customer's loyalty row, counted (upsert returning);
    # 8. the rules a closed check can fire (one query);  9. the customer's balances (FOR UPDATE on PostgreSQL);
    # 10. the default point account (insert-ignore);  11. the customer's balance row (insert-ignore);
    # 12. the earn ledger entry (insert-ignore on its reference, returning its id);
    # 13. the balance changed (update returning it);  14. the applied effects saved on the event;
    # 15. the check marked closed;  16. its outbox events, `points.earned` and `transaction.closed`, in
    # one statement just before COMMIT (`kit.at_commit`; they were two).
    result, seen = await counted(client, db, tenant, SEND, check("T-9", is_closed=True, payments=[payment]))
    assert result is None
    assert len(seen) == 16, seen
    assert not any(s.startswith("UPDATE pos_requests") for s in seen), seen
    assert sum(s.startswith("INSERT INTO outbox_events") for s in seen) == 1, seen

    # A check closing with an offer it locked: as above, except that 3, 4 and 5 are one read, right after
    # 2: the check's offers with their lock rows, the owner's due flag, how many locks the check holds
    # (all of them are among its offers: 3 is not run) and whether the retailer has a catalog (none: 4
    # is not run). Redeeming adds three: this check's lock deleted (conditional), Locked -> Redeemed
    # (conditional update) and its `redeemed` event; its `user_offer.redeemed` outbox event joins the
    # others in 16 (three events, one statement). The customer is the offer's owner: the engine reads
    # nothing more about them. They earned on the first check, so 9 finds their balance row and 10 and
    # 11 are not run (the account and the row exist; `ledger.post(balance_read)`). It was 17.
    locked, _ = await counted(client, db, tenant, LOCK, lock_body(held[0], check("T-1")))
    result, seen = await counted(
        client, db, tenant, SEND, check("T-1", is_closed=True, discounts=[as_discount(locked)])
    )
    assert result is None
    assert len(seen) == 15, seen
    assert sum(s.startswith("INSERT INTO outbox_events") for s in seen) == 1, seen
    assert not any("FROM pos_locks" in s and s.startswith("SELECT pos_locks") for s in seen), seen
    assert not any(s.startswith("SELECT catalog_items") for s in seen), seen

    # With a catalog, the items' categories are read (4 again), and a lock the check holds on an offer
    # it does not name makes it read all its locks (3 again), to release that one: 17, plus the release
    # (the lock deleted, Locked -> Issued, its `unlocked` event): 20.
    await api(client, tenant, "/api/2.0/catalog/import", {"items": [{"item_id": "1", "category_ids": ["c"]}]})
    kept, _ = await counted(client, db, tenant, LOCK, lock_body(held[1], check("T-2")))
    other = await issue(client, tenant, user_id, await create_offer(client, tenant))
    await counted(client, db, tenant, LOCK, lock_body(other, check("T-2", discounts=[as_discount(kept)])))
    result, seen = await counted(client, db, tenant, SEND, check("T-2", is_closed=True, discounts=[as_discount(kept)]))
    assert result is None
    assert len(seen) == 20, seen
    assert sum(s.startswith("SELECT catalog_items") for s in seen) == 1, seen
    assert sum(s.startswith("SELECT pos_locks") for s in seen) == 1, seen


@contextmanager
def hand_offs(db: Database) -> Iterator[list[str]]:
    """On SQLite, each time a call hands work to aiosqlite's thread (every aiosqlite call goes through
    `Connection._execute`): what a Lookup waits on, besides its statements."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def spy(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__qualname__", repr(fn)))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    aiosqlite.Connection._execute = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


async def test_sqlite_hand_offs(sqlite_url: str, clock: FrozenClock) -> None:
    """SQLite only: asyncpg runs on the event loop, with no thread to hand work to."""
    # The WAL checkpoint after a write is a hand-off of its own, at most once an hour here (the first
    # write's, while the tenant is made): tests/kit/test_db.py covers it.
    db = Database(sqlite_url, pool_size=5, checkpoint_seconds=3600)
    tenant = await make_tenant(db, clock)
    app = create_app(Settings(database_url=db.url, max_in_flight=0), database=db, clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://testserver") as client:
        await _hand_offs(client, db, tenant)
    await db.dispose()


async def _hand_offs(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    _, held = await customer(client, tenant)
    await counted(client, db, tenant, LOCK, lock_body(held[0], check("T-1")))
    # Lookup: none. Its statements (BEGIN with the customer and wallet reads in one `kit.driver.all_of`,
    # then COMMIT) run on the event loop's thread (`Database.read(inline=True)`, kit/inline_sqlite.py).
    # Through SQLAlchemy's adapter it was thirteen hand-offs; on the driver, two.
    for payload in ({"external_customer_id": "C-1"}, {"external_customer_id": "C-1", "transaction": check("T-1")}):
        with hand_offs(db) as seen:
            await counted(client, db, tenant, LOOKUP, payload)
        assert seen == [], seen
    # Re-lock: none either. BEGIN IMMEDIATE is tried without waiting (no other process holds the lock
    # here), COMMIT syncs nothing and checkpoints nothing (tests/kit/test_db.py covers both). It was
    # eighteen, then six, then two.
    with hand_offs(db) as seen:
        locked, _ = await counted(client, db, tenant, LOCK, lock_body(held[0], check("T-1")))
    assert seen == [], seen
    # A closing check redeeming its locked offer (15 statements): none (was 24, then 2).
    closing = check("T-1", is_closed=True, discounts=[as_discount(locked)])
    with hand_offs(db) as seen:
        await counted(client, db, tenant, SEND, closing)
    assert seen == [], seen
    # Anything else keeps the driver's thread for every statement: the wallet's own read of a user offer.
    with hand_offs(db) as seen:
        found = await api(client, tenant, "/api/2.0/offers/get_user_offer", {"user_offer_id": str(held[1])})
    assert str(held[1]) in str(found)
    assert len(seen) >= 3, seen


COUNTS_READ = "SELECT loyalty_rule_counters.rule_id, loyalty_rule_counters.issued FROM"


async def test_a_close_reads_issue_counts_only_for_rules_with_a_limit(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    # The rules core compares a user's issue count only with a limit (a once rule, a per-user cap): under
    # a threshold rule that issues every time, a close does not read the counters.
    user_id, _ = await customer(client, tenant)
    offer_id = await create_offer(client, tenant)
    every_time = {"type": "points_threshold", "threshold": 1000}
    body = {"kind": "issuance", "name": "$5 at 1,000", "offer_id": offer_id, "trigger": every_time}
    await api(client, tenant, "/api/2.0/rules/create", {**body, "recurrence": "every_time"})
    payment = {"payment_id": "p1", "amount": "11", "type": "CREDIT", "user_id": user_id, "user_id_type": "SessionM_ID"}
    _, seen = await counted(client, db, tenant, SEND, check("T-1", is_closed=True, payments=[payment]))
    assert not any(s.startswith(COUNTS_READ) for s in seen), seen

    once = {
        "kind": "issuance",
        "name": "second visit",
        "offer_id": offer_id,
        "trigger": {"type": "visit_count", "every": 2},
    }
    await api(client, tenant, "/api/2.0/rules/create", once)
    _, seen = await counted(client, db, tenant, SEND, check("T-2", is_closed=True, payments=[payment]))
    assert sum(s.startswith(COUNTS_READ) for s in seen) == 1, seen
