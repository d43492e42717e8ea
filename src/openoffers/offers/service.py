"""Offer use cases: create, update (in place or as a revision), lifecycle, fetch, list, details.

Each public function owns exactly one database transaction. Lifecycle status belongs to the offer
(every revision of a root moves together), so "is this offer live" has one answer whichever
revision a user offer holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers import events, pricing
from openoffers.events import EventType
from openoffers.kit import culture, wire
from openoffers.kit.clock import as_utc, iso_z
from openoffers.kit.db import Database
from openoffers.kit.errors import Conflict, NotFound, ValidationFailed
from openoffers.kit.ids import new_id
from openoffers.offers import repository as repo
from openoffers.offers.presentation import definition_of, inventory_total, offer_out, summary
from openoffers.offers.repository import DEACTIVATED, DELETED, DRAFT, PUBLISHED, STATUS_NAMES, OfferRow
from openoffers.offers.schemas import (
    CreateOfferRequest,
    ListOffersRequest,
    MutationResult,
    OfferDefinition,
    OfferDetails,
    OfferDetailsList,
    OfferDetailsRequest,
    OfferList,
    OfferOut,
    UpdateOfferRequest,
)
from openoffers.offers.terms import build_terms
from openoffers.offers.validation import check_well_formed, publish_problems, resolve_type
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo

_DEFINITION_FIELDS = tuple(OfferDefinition.__struct_fields__)


def _not_found(offer_id: UUID) -> NotFound:
    return NotFound(f"offer {offer_id} not found", fields={"offer_id": ["not found"]})


def _published_type(action: str, before: int | None, after: int) -> EventType | None:
    """What the outside hears of an offer's change: going live, a live offer's new terms, or leaving
    the shelf (a deleted live offer leaves it too). A draft's edits are nobody else's business."""
    if after == PUBLISHED:
        return EventType.OFFER_REVISED if before == PUBLISHED else EventType.OFFER_PUBLISHED
    if before == PUBLISHED and action in ("deactivated", "deleted"):
        return EventType.OFFER_DEACTIVATED
    return None


async def _publish(
    conn: AsyncConnection, retailer_id: UUID, action: str, before: int | None, result: MutationResult, now: datetime
) -> None:
    """The offer's outbox event, with the management API's answer to the change as its data."""
    event_type = _published_type(action, before, result.new_status)
    if event_type is not None:
        await events.record(conn, retailer_id, event_type, now, result.root_offer_id, result)


def _transition(action: str, before: int | None, after: int) -> str:
    return f"{action}-({'unknown_status' if before is None else STATUS_NAMES[before]}>{STATUS_NAMES[after]})"


def _definition_part(request: OfferDefinition) -> OfferDefinition:
    return OfferDefinition(**{name: getattr(request, name) for name in _DEFINITION_FIELDS})


def _stored(definition: OfferDefinition, offer_type: str | None) -> dict[str, Any]:
    """Normalise for storage: one offer_type, dates as UTC with Z (naive offer dates are UTC)."""
    data: dict[str, Any] = wire.to_builtins(definition)
    data["offer_type"] = offer_type
    data["offer_config"] = {"type": offer_type}
    common = data["common_config"]
    for name in ("acquisition_start_date", "acquisition_end_date"):
        value = getattr(definition.common_config, name)
        common[name] = iso_z(as_utc(value)) if value is not None else None
    return data


def _texts(definition: OfferDefinition, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Keep a text's id across edits of the same culture, so clients holding it stay valid.
    ids = {t["culture"].lower(): t["id"] for t in previous}
    return [
        {
            "id": ids.get(t.culture.lower(), str(new_id())),
            "culture": t.culture,
            "title": t.title,
            "description": t.description,
            "terms": t.terms_and_conditions,
        }
        for t in definition.text_config
    ]


def _media(definition: OfferDefinition) -> list[dict[str, Any]]:
    return [
        {"id": str(new_id()), "culture": m.culture, "uri": m.uri, "media_type": m.media_type}
        for m in definition.media_config
    ]


def _title(texts: list[dict[str, Any]], default_culture: str) -> str:
    index = culture.pick([t["culture"] for t in texts], None, default_culture)
    return "" if index is None else str(texts[index]["title"])[:200]


async def _context(conn: AsyncConnection, retailer_id: UUID, definition: OfferDefinition) -> tuple[str, int, set[UUID]]:
    retailer = await tenancy_repo.require_retailer(conn, retailer_id)
    known: set[UUID] = set()
    if any(r.store_ids for r in definition.location_restrictions):
        known = {s.id for s in await tenancy_repo.list_stores(conn, retailer_id)}
    return retailer.culture, retailer.exponent, known


def _row_values(
    definition: OfferDefinition,
    offer_type: str | None,
    problems: dict[str, list[str]],
    texts: list[dict[str, Any]],
    default_culture: str,
) -> dict[str, Any]:
    common = definition.common_config
    start, end = common.acquisition_start_date, common.acquisition_end_date
    return {
        "offer_type": offer_type or "",
        "title": _title(texts, default_culture),
        "reward_store": common.reward_store,
        "acquisition_start": as_utc(start) if start is not None else None,
        "acquisition_end": as_utc(end) if end is not None else None,
        "definition": _stored(definition, offer_type),
        "texts": texts,
        "media": _media(definition),
        "validation_errors": problems,
    }


def audit_view(revision: int, status: int, values: dict[str, Any]) -> dict[str, Any]:
    """An offer as the audit log keeps it: its revision, status, title and stored definition (which holds
    its texts and media as they were sent)."""
    keys = ("title", "offer_type", "definition")
    return {"revision": revision, "status": STATUS_NAMES[status], **{k: values[k] for k in keys}}


def _row_view(row: OfferRow) -> dict[str, Any]:
    return audit_view(
        row.revision, row.status, {k: getattr(row, k) for k in ("title", "offer_type", "definition", "texts", "media")}
    )


async def create_offer(db: Database, request: CreateOfferRequest, now: datetime) -> MutationResult:
    definition = _definition_part(request)
    offer_type = resolve_type(definition)
    check_well_formed(definition)
    async with db.write() as conn:
        default_culture, exponent, known = await _context(conn, request.retailer_id, definition)
        problems = publish_problems(definition, offer_type, exponent, known)
        status = PUBLISHED if request.publish and not problems else DRAFT
        offer_id = new_id()
        texts = _texts(definition, [])
        values = _row_values(definition, offer_type, problems, texts, default_culture)
        await repo.insert_offer(
            conn,
            OfferRow(
                id=offer_id,
                retailer_id=request.retailer_id,
                root_offer_id=offer_id,
                revision=1,
                is_latest=True,
                status=status,
                referenced=False,
                created_at=now,
                updated_at=now,
                **values,
            ),
        )
        await audit.record(
            conn,
            retailer_id=request.retailer_id,
            object_type="offer",
            object_id=offer_id,
            action="created",
            before=None,
            after=audit_view(1, status, values),
            now=now,
        )
        # Problems are reported only when the caller asked to publish: a draft may be incomplete.
        result = MutationResult(
            offer_id=offer_id,
            root_offer_id=offer_id,
            validation_errors=problems if request.publish else {},
            revisioned=False,
            new_status=status,
            state_transition=_transition("created_new", None, status),
        )
        await _publish(conn, request.retailer_id, "created_new", None, result, now)
    return result


async def problems_of(db: Database, retailer_id: UUID, request: OfferDefinition, publish: bool) -> dict[str, list[str]]:
    """What saving `request` would refuse, and with `publish` what publishing it needs, by API path;
    reads only. The admin form shows these with its own problems in one answer."""
    definition = _definition_part(request)
    try:
        offer_type = resolve_type(definition)
        check_well_formed(definition)
    except ValidationFailed as exc:
        return {key: list(value) for key, value in exc.fields.items()} or {"": [exc.message]}
    if not publish:
        return {}
    async with db.read() as conn:
        _, exponent, known = await _context(conn, retailer_id, definition)
    return publish_problems(definition, offer_type, exponent, known)


def unsaved_terms(request: OfferDefinition, exponent: int) -> pricing.OfferTerms:
    """The pricing terms `request` would have once saved, without saving it: normalised as it would be
    stored and read back as every stored revision is (`terms_of`), so a preview of a form's unsaved
    values prices exactly what saving them would. The caller has checked that `problems_of` with
    `publish` finds nothing (pricing needs a publishable definition)."""
    definition = _definition_part(request)
    offer_type = resolve_type(definition)
    if offer_type is None:
        raise ValidationFailed.field("offer_type", "is required")
    return build_terms(wire.convert(_stored(definition, offer_type), OfferDefinition), offer_type, exponent)


async def update_offer(db: Database, request: UpdateOfferRequest, now: datetime) -> MutationResult:
    definition = _definition_part(request)
    offer_type = resolve_type(definition)
    check_well_formed(definition)
    async with db.write() as conn:
        given = await repo.get_offer(conn, request.retailer_id, request.offer_id)
        if given is None or given.status == DELETED:
            raise _not_found(request.offer_id)
        latest = await repo.get_latest(conn, request.retailer_id, given.root_offer_id)
        if latest is None:
            raise _not_found(request.offer_id)
        default_culture, exponent, known = await _context(conn, request.retailer_id, definition)
        problems = publish_problems(definition, offer_type, exponent, known)
        target = PUBLISHED if request.publish else latest.status
        if problems and latest.status != DRAFT:
            # A live (or paused) offer must stay publishable: refuse rather than silently unpublish it.
            raise ValidationFailed("this offer is published; the change would make it unpublishable", fields=problems)
        if problems:
            target = DRAFT
        values = _row_values(definition, offer_type, problems, _texts(definition, latest.texts), default_culture)
        if latest.referenced:
            if not await repo.retire_latest(conn, request.retailer_id, latest.id):
                raise Conflict("the offer was revised concurrently; fetch it and retry")
            offer_id = new_id()
            await repo.insert_offer(
                conn,
                OfferRow(
                    id=offer_id,
                    retailer_id=request.retailer_id,
                    root_offer_id=latest.root_offer_id,
                    revision=latest.revision + 1,
                    is_latest=True,
                    status=target,
                    referenced=False,
                    created_at=now,
                    updated_at=now,
                    **values,
                ),
            )
            action = "revisioned"
        else:
            offer_id = latest.id
            changed = await repo.replace_definition(
                conn,
                request.retailer_id,
                latest.id,
                latest.updated_at,
                {**values, "status": target, "updated_at": now},
            )
            if not changed:
                raise Conflict("the offer changed concurrently; fetch it and retry")
            action = "updated"
        if target != latest.status:
            await repo.set_status(conn, request.retailer_id, latest.root_offer_id, [latest.status], target, now)
        revision = latest.revision + 1 if action == "revisioned" else latest.revision
        await audit.record(
            conn,
            retailer_id=request.retailer_id,
            object_type="offer",
            object_id=latest.root_offer_id,
            action=action,
            before=_row_view(latest),
            after=audit_view(revision, target, values),
            now=now,
        )
        result = MutationResult(
            offer_id=offer_id,
            root_offer_id=latest.root_offer_id,
            # As on create: what publishing needs is reported when the request asked to publish.
            validation_errors=problems if request.publish else {},
            revisioned=action == "revisioned",
            new_status=target,
            state_transition=_transition(action, latest.status, target),
        )
        await _publish(conn, request.retailer_id, action, latest.status, result, now)
    return result


# action -> (statuses it moves from, status it moves to)
_LIFECYCLE: dict[str, tuple[tuple[int, ...], int]] = {
    "published": ((DRAFT,), PUBLISHED),
    "deactivated": ((PUBLISHED,), DEACTIVATED),
    "reactivated": ((DEACTIVATED,), PUBLISHED),
    "deleted": ((DRAFT, PUBLISHED, DEACTIVATED), DELETED),
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    result: MutationResult
    changed: bool  # False: the offer already had the target status (a repeated call)


async def change_status_in(
    conn: AsyncConnection, retailer_id: UUID, offer_id: UUID, action: str, now: datetime
) -> StatusChange:
    """publish / deactivate / reactivate / delete, in the caller's transaction. Repeating a call that
    already took effect is a no-op. `wallet.offer_status.change_status` is the use case: deleting an
    offer also revokes its unredeemed user offers, which is the wallet's business."""
    from_statuses, to_status = _LIFECYCLE[action]
    given = await repo.get_offer(conn, retailer_id, offer_id)
    if given is None or (given.status == DELETED and action != "deleted"):
        raise _not_found(offer_id)
    latest = await repo.get_latest(conn, retailer_id, given.root_offer_id)
    if latest is None:
        raise _not_found(offer_id)
    before = latest.status
    if before != to_status:
        if before not in from_statuses:
            raise Conflict(
                f"an offer that is {STATUS_NAMES[before]} cannot be {action}",
                fields={"offer_id": [f"offer is {STATUS_NAMES[before]}"]},
            )
        if to_status == PUBLISHED:
            definition = definition_of(latest)
            _, exponent, known = await _context(conn, retailer_id, definition)
            problems = publish_problems(definition, latest.offer_type or None, exponent, known)
            if problems:
                raise ValidationFailed("the offer cannot be published yet", fields=problems)
        if not await repo.set_status(conn, retailer_id, latest.root_offer_id, [before], to_status, now):
            raise Conflict("the offer changed concurrently; fetch it and retry")
        await audit.record(
            conn,
            retailer_id=retailer_id,
            object_type="offer",
            object_id=latest.root_offer_id,
            action=action,
            before={"revision": latest.revision, "status": STATUS_NAMES[before]},
            after={"revision": latest.revision, "status": STATUS_NAMES[to_status]},
            now=now,
        )
    result = MutationResult(
        offer_id=latest.id,
        root_offer_id=latest.root_offer_id,
        validation_errors={},
        revisioned=False,
        new_status=to_status,
        state_transition=_transition(action, before, to_status),
    )
    if before != to_status:
        await _publish(conn, retailer_id, action, before, result, now)
    return StatusChange(result, changed=before != to_status)


async def fetch_offer(db: Database, retailer_id: UUID, offer_id: UUID, wanted_culture: str | None) -> OfferOut:
    async with db.read() as conn:
        row = await repo.get_offer(conn, retailer_id, offer_id)
        if row is None:
            raise _not_found(offer_id)
        retailer = await tenancy_repo.require_retailer(conn, retailer_id)
        revisions = await repo.revision_ids(conn, retailer_id, row.root_offer_id)
    return offer_out(row, wanted_culture, retailer.culture, revisions)


async def list_offers(db: Database, request: ListOffersRequest, *, sort: str = "-created") -> OfferList:
    """offers/list (newest first); the admin's list passes `sort` (`repository.SORTS`)."""
    async with db.read() as conn:
        total, rows = await repo.list_latest(
            conn,
            request.retailer_id,
            status=request.status,
            offer_type=request.offer_type,
            search=request.search,
            reward_store=request.reward_store,
            skip=request.skip,
            take=request.take,
            sort=sort,
        )
    return OfferList(total_records=total, results=[summary(r) for r in rows])


async def offer_details(db: Database, request: OfferDetailsRequest) -> OfferDetailsList:
    """Counts per offer: user offers acquired and redeemed (over every revision of the offer, since
    inventory and status belong to the offer) and the inventory left."""
    async with db.read() as conn:
        if request.offer_ids:
            rows = await repo.get_many(conn, request.retailer_id, request.offer_ids)
            missing = set(request.offer_ids) - {r.id for r in rows}
            if missing:
                first = sorted(missing, key=str)[0]
                raise _not_found(first)
            total = len(rows)
            order = {offer_id: i for i, offer_id in enumerate(request.offer_ids)}
            rows = sorted(rows, key=lambda r: order[r.id])[request.skip : request.skip + request.take]
        else:
            total, rows = await repo.list_latest(
                conn,
                request.retailer_id,
                status=None,
                offer_type=None,
                search=None,
                reward_store=None,
                skip=request.skip,
                take=request.take,
            )
        counts = await repo.offer_counts(conn, request.retailer_id, [r.root_offer_id for r in rows])
    return OfferDetailsList(
        total_records=total,
        results=[
            OfferDetails(
                offer_id=r.id,
                root_offer_id=r.root_offer_id,
                title=r.title,
                status=r.status,
                acquisition_count=counts[r.root_offer_id].acquired,
                redemption_count=counts[r.root_offer_id].redeemed,
                total_inventory=inventory_total(r),
                available_inventory_remaining=counts[r.root_offer_id].remaining(inventory_total(r)),
            )
            for r in rows
        ],
    )


async def latest_revision(db: Database, retailer_id: UUID, offer_id: UUID) -> OfferRow:
    """The latest revision of the offer that `offer_id` (any of its revisions) belongs to, deleted or not.

    The admin UI shows and edits an offer's current state; `referenced` tells it that saving will
    create a revision.
    """
    async with db.read() as conn:
        given = await repo.get_offer(conn, retailer_id, offer_id)
        latest = None if given is None else await repo.get_latest(conn, retailer_id, given.root_offer_id)
    if latest is None:
        raise _not_found(offer_id)
    return latest
