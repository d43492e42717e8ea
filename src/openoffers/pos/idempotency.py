"""`request_id` idempotency for mutating POS calls, stored in the same transaction as the work.

The key is (client, route, request_id, subject): the subject is what the call acts on (the check, the
user offer), because public clients send the same request_id ("1") for every call. It is claimed with
INSERT ... ON CONFLICT DO NOTHING inside the request's own transaction. Whoever inserts it does the
work and saves the reply before commit; a duplicate either waits on the key (PostgreSQL's unique index,
SQLite's write lock) and then finds the saved reply, or, if the first attempt rolled back, claims the
key itself. So concurrent duplicates run once, and a failed attempt leaves nothing behind to block a
retry.

The same body again is a retry: it gets the saved reply, byte for byte. Another body under the same key
(the basket of the same check changed, a return re-sends the closed check) is a new request: it takes
the key over (the row held while it reads the body, then a conditional update from that body), does
the work, and its reply replaces the stored one when it commits. A rollback gives the key back to the
previous body and reply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import Command, insert_ignore
from openoffers.kit.errors import PendingProcessing
from openoffers.tables.pos import pos_requests


@dataclass(frozen=True, slots=True)
class RequestKey:
    retailer_id: UUID
    client_id: UUID
    route: str
    request_id: str
    subject: str
    body_hash: str


def body_hash(canonical_body: bytes) -> str:
    return hashlib.sha256(canonical_body).hexdigest()


def _where(key: RequestKey) -> Any:
    return and_(
        pos_requests.c.retailer_id == key.retailer_id,
        pos_requests.c.client_id == key.client_id,
        pos_requests.c.route == key.route,
        pos_requests.c.request_id == key.request_id,
        pos_requests.c.subject == key.subject,
    )


async def claim(conn: AsyncConnection, key: RequestKey, now: datetime, answer: bytes | None = None) -> bytes | None:
    """None when this call owns the key and must do the work; else the reply to send again.

    `answer`: the reply, when the call knows it before doing the work (send_transaction answers the same
    body whatever it did). It is stored with the claim, so no `save` follows: the key and its reply
    commit, or roll back, together with the work, as a reply saved at the end would."""
    status_code = None if answer is None else 200
    inserted = await insert_ignore(
        conn,
        pos_requests,
        {
            "retailer_id": key.retailer_id,
            "client_id": key.client_id,
            "route": key.route,
            "request_id": key.request_id,
            "subject": key.subject,
            "body_hash": key.body_hash,
            "status_code": status_code,
            "response": answer,
            "created_at": now,
        },
        ["retailer_id", "client_id", "route", "request_id", "subject"],
    )
    if inserted:
        return None
    # Held until commit (FOR UPDATE on PostgreSQL; SQLite's write lock), so the body read is the one
    # this call replays or takes the key over from: a concurrent request under the key waits here.
    row = (
        await conn.execute(
            select(pos_requests.c.body_hash, pos_requests.c.response).where(_where(key)).with_for_update()
        )
    ).one()
    if row.body_hash == key.body_hash:
        if row.response is None:
            # Only reachable if a reply was never saved; kept so a client never gets a half answer.
            raise PendingProcessing(f"request_id {key.request_id!r} is still being processed; retry shortly")
        return bytes(row.response)
    # Another body under this key: a new request, which takes the key over from the body read.
    await conn.execute(
        update(pos_requests)
        .where(_where(key), pos_requests.c.body_hash == row.body_hash)
        .values(body_hash=key.body_hash, status_code=status_code, response=answer, created_at=now)
    )
    return None


# Built once (every mutating POS call runs it), run on the driver (kit.driver.Command); the SET columns
# come from the execute parameters.
_SAVE = Command(
    update(pos_requests).where(
        pos_requests.c.retailer_id == bindparam("key_retailer_id"),
        pos_requests.c.client_id == bindparam("key_client_id"),
        pos_requests.c.route == bindparam("key_route"),
        pos_requests.c.request_id == bindparam("key_request_id"),
        pos_requests.c.subject == bindparam("key_subject"),
    )
)


async def save(conn: AsyncConnection, key: RequestKey, status_code: int, response: bytes) -> None:
    await _SAVE.run(
        conn,
        {
            "key_retailer_id": key.retailer_id,
            "key_client_id": key.client_id,
            "key_route": key.route,
            "key_request_id": key.request_id,
            "key_subject": key.subject,
            "status_code": status_code,
            "response": response,
        },
    )


async def purge_older_than(conn: AsyncConnection, now: datetime, hours: int) -> int:
    """Forget replies older than the retention window (API.md: at least 24 hours)."""
    result = await conn.execute(delete(pos_requests).where(pos_requests.c.created_at < now - timedelta(hours=hours)))
    return int(result.rowcount)
