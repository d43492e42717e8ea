"""Queries of a closed check's versions (`pos_check_versions`) and of its stored content, for returns
and voids (`returns.py`). The caller holds the check's row (`repository.claim_check`), so versions of one
check are written one at a time and numbered without gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.tables.pos import pos_check_versions, pos_transactions


@dataclass(frozen=True, slots=True)
class Version:
    version: int
    kind: str
    content_hash: str
    check: dict[str, Any]
    quantities: dict[str, str]
    points: list[dict[str, Any]]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCheck:
    content_hash: str
    check: dict[str, Any]
    closed_at: datetime | None


async def stored_check(conn: AsyncConnection, retailer_id: UUID, check_id: UUID) -> StoredCheck:
    row = (
        await conn.execute(
            select(pos_transactions.c.content_hash, pos_transactions.c.check, pos_transactions.c.closed_at).where(
                pos_transactions.c.retailer_id == retailer_id, pos_transactions.c.id == check_id
            )
        )
    ).one()
    return StoredCheck(row.content_hash, dict(row.check), row.closed_at)


async def versions(conn: AsyncConnection, retailer_id: UUID, check_id: UUID) -> list[Version]:
    """Oldest first."""
    rows = await conn.execute(
        select(pos_check_versions)
        .where(pos_check_versions.c.retailer_id == retailer_id, pos_check_versions.c.check_id == check_id)
        .order_by(pos_check_versions.c.version)
    )
    return [
        Version(r.version, r.kind, r.content_hash, dict(r.check), dict(r.quantities), list(r.points), r.created_at)
        for r in rows
    ]


async def insert_version(conn: AsyncConnection, retailer_id: UUID, check_id: UUID, version: Version) -> None:
    """A plain insert on the (retailer, check, version) key: a second writer of the same number would
    fail rather than overwrite (the check's row lock makes that impossible)."""
    await conn.execute(
        insert(pos_check_versions).values(
            retailer_id=retailer_id,
            check_id=check_id,
            version=version.version,
            kind=version.kind,
            content_hash=version.content_hash,
            check=version.check,
            quantities=version.quantities,
            points=version.points,
            created_at=version.created_at,
        )
    )
