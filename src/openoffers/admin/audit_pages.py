"""The audit log page (admins only, `admin.access`): every change, filtered by person, object and date;
and the revision history an offer's page shows (`offer_history`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import get
from litestar.response import Response

from openoffers.admin.web import Req, page_number, render, require_admin
from openoffers.context import context
from openoffers.kit.db import Database
from openoffers.tenancy import audit
from openoffers.tenancy.audit import ACTION_LABELS, OBJECT_TYPES, Entry, Filter

PAGE_SIZE = 50


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


@get("/audit", include_in_schema=False)
async def audit_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    params = request.query_params
    zone = ZoneInfo(admin.retailer.timezone)
    since, until = _day(params.get("from")), _day(params.get("to"))
    object_type = params.get("object_type") if params.get("object_type") in OBJECT_TYPES else None
    wanted = Filter(
        actor=(params.get("actor") or "").strip()[:200] or None,
        object_type=object_type,
        object_id=(params.get("object_id") or "").strip().lower()[:64] or None,
        since=_start_of(since, zone) if since else None,
        # The "to" day is included: entries before the start of the next day, in the retailer's zone.
        until=_start_of(until + timedelta(days=1), zone) if until else None,
    )
    page = page_number(params.get("page"))
    db = context(request).db
    total, found = await audit.entries(db, admin.retailer.id, wanted, skip=(page - 1) * PAGE_SIZE, take=PAGE_SIZE)
    filters = {
        "actor": wanted.actor or "",
        "object_type": object_type or "",
        "object_id": wanted.object_id or "",
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
    }
    return render(
        "audit.html",
        admin=admin,
        entries=found,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        actors=await audit.actors(db, admin.retailer.id),
        object_types=OBJECT_TYPES,
        actions=ACTION_LABELS,
    )


async def offer_history(db: Database, retailer_id: UUID, root_offer_id: UUID) -> list[Entry]:
    """An offer's audited changes, newest first: every revision shares the root offer's id."""
    _, found = await audit.entries(db, retailer_id, Filter(object_type="offer", object_id=str(root_offer_id)), take=100)
    return found


ROUTES = [audit_page]
