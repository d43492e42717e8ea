"""Offer use cases against a real database: create, update and revisions, lifecycle, fetch, list, details."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from openoffers.kit import wire
from openoffers.kit.db import Database
from openoffers.kit.errors import DomainError
from openoffers.offers import repository as repo
from openoffers.offers import service
from openoffers.offers.schemas import (
    CreateOfferRequest,
    ListOffersRequest,
    MutationResult,
    OfferDetailsRequest,
    UpdateOfferRequest,
)
from openoffers.tables.offers import offers
from openoffers.wallet import offer_status
from tests.conftest import FrozenClock, Tenant, offer_body, snapshot

MISSING = UUID("00000000-0000-4000-8000-000000000000")


def create_request(retailer_id: UUID, **overrides: Any) -> CreateOfferRequest:
    return wire.convert(offer_body(retailer_id, **overrides), CreateOfferRequest)


def update_request(retailer_id: UUID, offer_id: UUID, **overrides: Any) -> UpdateOfferRequest:
    return wire.convert({**offer_body(retailer_id, **overrides), "offer_id": str(offer_id)}, UpdateOfferRequest)


async def create(db: Database, clock: FrozenClock, tenant: Tenant, **overrides: Any) -> MutationResult:
    return await service.create_offer(db, create_request(tenant.retailer_id, **overrides), clock())


async def issue(db: Database, tenant: Tenant, offer_id: UUID) -> None:
    """What the wallet does when it issues a user offer: from then on an update revises."""
    async with db.write() as conn:
        await repo.mark_referenced(conn, tenant.retailer_id, offer_id)


async def rows(db: Database) -> list[Any]:
    async with db.read() as conn:
        return list(await conn.execute(select(offers).order_by(offers.c.revision)))


async def expect_error(code: str, work: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await work
    assert caught.value.code == code, caught.value.message
    return caught.value


# Create


async def test_create_and_publish(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    result = await create(db, clock, tenant)
    assert result == MutationResult(
        offer_id=result.offer_id,
        root_offer_id=result.offer_id,
        validation_errors={},
        revisioned=False,
        new_status=1,
        state_transition="created_new-(unknown_status>published)",
    )
    [row] = await rows(db)
    assert (row.id, row.retailer_id, row.root_offer_id, row.revision, row.is_latest) == (
        result.offer_id,
        tenant.retailer_id,
        result.offer_id,
        1,
        True,
    )
    assert (row.status, row.offer_type, row.title, row.reward_store, row.referenced) == (
        1,
        "fixed_amount_check_discount",
        "$5 off",
        False,
        False,
    )
    assert row.acquisition_start == datetime(2026, 1, 1, tzinfo=UTC)
    assert row.acquisition_end == datetime(2027, 1, 1, tzinfo=UTC)
    assert (row.created_at, row.updated_at) == (clock(), clock())
    assert row.validation_errors == {}


async def test_create_without_publish_is_a_draft_and_reports_nothing(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    result = await create(db, clock, tenant, publish=False, text_config=[], discount_config={})
    assert (result.new_status, result.validation_errors, result.state_transition) == (
        0,
        {},
        "created_new-(unknown_status>draft)",
    )
    [row] = await rows(db)
    # What publishing needs is kept with the draft, for the admin UI.
    assert row.validation_errors == {
        "text_config": ["needs at least one text with a title"],
        "discount_config.amount": ["fixed_amount_check_discount needs an amount above 0"],
    }


async def test_create_unpublishable_with_publish_is_a_draft_with_reasons(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    result = await create(
        db,
        clock,
        tenant,
        text_config=[{"title": "  ", "culture": "en"}],
        common_config={"acquisition_start_date": "2026-02-01", "acquisition_end_date": "2026-01-01"},
    )
    assert result.new_status == 0
    assert result.state_transition == "created_new-(unknown_status>draft)"
    assert result.validation_errors == {
        "text_config": ["needs at least one text with a title"],
        "common_config.acquisition_end_date": ["must be after acquisition_start_date"],
    }


async def test_create_for_a_missing_retailer_saves_nothing(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    before = await snapshot(db)
    error = await expect_error("NOT_FOUND", service.create_offer(db, create_request(MISSING), clock()))
    assert error.fields == {"retailer_id": ["not found"]}
    assert await snapshot(db) == before


# Update and revisions


async def test_update_in_place_when_nothing_references_it(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant)
    first_text_id = (await service.fetch_offer(db, tenant.retailer_id, created.offer_id, None)).offer_text[0].id
    clock.advance(minutes=5)
    result = await service.update_offer(
        db,
        update_request(
            tenant.retailer_id,
            created.offer_id,
            publish=False,
            text_config=[{"title": "$6 off", "culture": "EN"}, {"title": "6 $ de rabais", "culture": "fr"}],
            discount_config={"amount": "6"},
        ),
        clock(),
    )
    assert result == MutationResult(
        offer_id=created.offer_id,
        root_offer_id=created.offer_id,
        validation_errors={},
        revisioned=False,
        new_status=1,
        state_transition="updated-(published>published)",
    )
    [row] = await rows(db)
    assert (row.title, row.revision, row.updated_at, row.created_at) == (
        "$6 off",
        1,
        datetime(2026, 6, 15, 12, 5, tzinfo=UTC),
        datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
    )
    fetched = await service.fetch_offer(db, tenant.retailer_id, created.offer_id, None)
    assert fetched.discount_config == {"amount": 6}
    # A text of the same culture keeps its id across edits.
    assert [(t.culture, t.title) for t in fetched.offer_text] == [("EN", "$6 off"), ("fr", "6 $ de rabais")]
    assert fetched.offer_text[0].id == first_text_id
    assert fetched.offer_text[1].id != first_text_id


async def test_update_replaces_the_whole_definition(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(
        db,
        clock,
        tenant,
        media_config=[{"uri": "https://cdn/a.png"}],
        use_restrictions=[{"type": "channels", "channels": ["STORE"]}],
        exclusive=True,
        common_config={"custom_data": "x", "validity_unit": "days", "validity_period": 3},
    )
    body = offer_body(tenant.retailer_id)
    for name in ("media_config", "common_config"):
        del body[name]
    request = wire.convert({**body, "offer_id": str(created.offer_id)}, UpdateOfferRequest)
    await service.update_offer(db, request, clock())
    fetched = await service.fetch_offer(db, tenant.retailer_id, created.offer_id, None)
    assert (fetched.offer_media, fetched.use_restrictions, fetched.exclusive) == ([], [], False)
    assert (fetched.custom_data, fetched.validity_unit, fetched.validity_period) == (None, None, None)
    assert (fetched.acquisition_start_date, fetched.acquisition_end_date) == (None, None)


async def test_update_of_a_referenced_offer_makes_a_revision(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant)
    await issue(db, tenant, created.offer_id)
    clock.advance(hours=1)
    result = await service.update_offer(
        db, update_request(tenant.retailer_id, created.offer_id, discount_config={"amount": 7}), clock()
    )
    assert result.offer_id != created.offer_id
    assert result == MutationResult(
        offer_id=result.offer_id,
        root_offer_id=created.offer_id,
        validation_errors={},
        revisioned=True,
        new_status=1,
        state_transition="revisioned-(published>published)",
    )
    old, new = await rows(db)
    assert (old.id, old.revision, old.is_latest, old.referenced, old.status) == (created.offer_id, 1, False, True, 1)
    assert (new.id, new.revision, new.is_latest, new.referenced, new.status) == (result.offer_id, 2, True, False, 1)
    assert new.root_offer_id == created.offer_id
    # Issued user offers keep the terms they were issued under.
    old_out = await service.fetch_offer(db, tenant.retailer_id, created.offer_id, None)
    new_out = await service.fetch_offer(db, tenant.retailer_id, result.offer_id, None)
    assert (old_out.discount_config, old_out.revision, old_out.parent_offer_ids) == ({"amount": 5}, 1, [])
    assert (new_out.discount_config, new_out.revision, new_out.parent_offer_ids) == (
        {"amount": 7},
        2,
        [created.offer_id],
    )
    assert new_out.root_offer_id == created.offer_id

    # The new revision is not referenced yet: the next update changes it in place, even via the old id.
    again = await service.update_offer(
        db, update_request(tenant.retailer_id, created.offer_id, discount_config={"amount": 8}), clock()
    )
    assert (again.offer_id, again.revisioned, again.state_transition) == (
        result.offer_id,
        False,
        "updated-(published>published)",
    )
    assert len(await rows(db)) == 2

    # Referenced again: a third revision whose parent is the second.
    await issue(db, tenant, result.offer_id)
    third = await service.update_offer(
        db, update_request(tenant.retailer_id, result.offer_id, discount_config={"amount": 9}), clock()
    )
    assert third.revisioned is True
    third_out = await service.fetch_offer(db, tenant.retailer_id, third.offer_id, None)
    assert (third_out.revision, third_out.parent_offer_ids) == (3, [result.offer_id])
    assert [r.is_latest for r in await rows(db)] == [False, False, True]


async def test_update_publishes_a_complete_draft(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant, publish=False)
    result = await service.update_offer(db, update_request(tenant.retailer_id, created.offer_id), clock())
    assert (result.new_status, result.state_transition) == (1, "updated-(draft>published)")


async def test_update_of_a_draft_stays_draft_and_reports_only_when_publishing(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    created = await create(db, clock, tenant, publish=False)
    quiet = await service.update_offer(
        db, update_request(tenant.retailer_id, created.offer_id, publish=False, discount_config={}), clock()
    )
    assert (quiet.new_status, quiet.validation_errors, quiet.state_transition) == (0, {}, "updated-(draft>draft)")
    loud = await service.update_offer(
        db, update_request(tenant.retailer_id, created.offer_id, discount_config={}), clock()
    )
    assert (loud.new_status, loud.state_transition) == (0, "updated-(draft>draft)")
    assert loud.validation_errors == {"discount_config.amount": ["fixed_amount_check_discount needs an amount above 0"]}


@pytest.mark.parametrize("status", ["published", "deactivated"])
async def test_update_that_would_unpublish_a_live_offer_is_refused(
    db: Database, clock: FrozenClock, tenant: Tenant, status: str
) -> None:
    created = await create(db, clock, tenant)
    if status == "deactivated":
        await offer_status.change_status(db, tenant.retailer_id, created.offer_id, "deactivated", clock())
    before = await snapshot(db)
    error = await expect_error(
        "VALIDATION",
        service.update_offer(
            db, update_request(tenant.retailer_id, created.offer_id, publish=False, text_config=[]), clock()
        ),
    )
    assert error.status == 400
    assert error.fields == {"text_config": ["needs at least one text with a title"]}
    assert await snapshot(db) == before


async def test_update_of_a_missing_deleted_or_foreign_offer_is_not_found(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await create(db, clock, tenant)
    gone = await create(db, clock, tenant)
    await offer_status.change_status(db, tenant.retailer_id, gone.offer_id, "deleted", clock())
    theirs = await create(db, clock, other_tenant)
    before = await snapshot(db)
    for offer_id in (MISSING, gone.offer_id, theirs.offer_id):
        error = await expect_error(
            "NOT_FOUND", service.update_offer(db, update_request(tenant.retailer_id, offer_id), clock())
        )
        assert error.fields == {"offer_id": ["not found"]}
    # Another retailer's id with its own offer: still not found (the route refuses earlier).
    await expect_error("NOT_FOUND", service.update_offer(db, update_request(MISSING, mine.offer_id), clock()))
    assert await snapshot(db) == before


async def test_concurrent_revisions_leave_exactly_one_latest(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant)
    await issue(db, tenant, created.offer_id)

    async def update(amount: int) -> MutationResult | str:
        try:
            return await service.update_offer(
                db, update_request(tenant.retailer_id, created.offer_id, discount_config={"amount": amount}), clock()
            )
        except DomainError as error:
            return error.code

    results = await asyncio.gather(*(update(amount) for amount in range(6, 12)))
    outcomes = [r if isinstance(r, str) else r.revisioned for r in results]
    # Exactly one update made the revision; the rest either changed it in place afterwards or lost the race.
    assert outcomes.count(True) == 1
    assert set(outcomes) <= {True, False, "CONFLICT"}
    all_rows = await rows(db)
    assert [(r.revision, r.is_latest) for r in all_rows] == [(1, False), (2, True)]


# Lifecycle


async def test_lifecycle_moves_and_transitions(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant, publish=False)
    oid = created.offer_id
    steps = [
        ("published", 1, "published-(draft>published)"),
        ("deactivated", 2, "deactivated-(published>deactivated)"),
        ("reactivated", 1, "reactivated-(deactivated>published)"),
        ("deactivated", 2, "deactivated-(published>deactivated)"),
        ("deleted", 3, "deleted-(deactivated>deleted)"),
    ]
    for action, status, transition in steps:
        clock.advance(minutes=1)
        result = await offer_status.change_status(db, tenant.retailer_id, oid, action, clock())
        assert result == MutationResult(
            offer_id=oid,
            root_offer_id=oid,
            validation_errors={},
            revisioned=False,
            new_status=status,
            state_transition=transition,
        )
        [row] = await rows(db)
        assert (row.status, row.updated_at) == (status, clock())


@pytest.mark.parametrize(
    ("setup", "action", "transition"),
    [
        ([], "published", "published-(published>published)"),
        ([], "reactivated", "reactivated-(published>published)"),
        (["deactivated"], "deactivated", "deactivated-(deactivated>deactivated)"),
        (["deleted"], "deleted", "deleted-(deleted>deleted)"),
    ],
)
async def test_repeating_a_lifecycle_call_changes_nothing(
    db: Database, clock: FrozenClock, tenant: Tenant, setup: list[str], action: str, transition: str
) -> None:
    created = await create(db, clock, tenant)
    for step in setup:
        await offer_status.change_status(db, tenant.retailer_id, created.offer_id, step, clock())
    before = await snapshot(db)
    clock.advance(minutes=1)
    result = await offer_status.change_status(db, tenant.retailer_id, created.offer_id, action, clock())
    assert result.state_transition == transition
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("publish", "setup", "action", "problem"),
    [
        (False, [], "deactivated", "offer is draft"),
        (False, [], "reactivated", "offer is draft"),
        (True, ["deactivated"], "published", "offer is deactivated"),
    ],
)
async def test_impossible_moves_are_conflicts(
    db: Database, clock: FrozenClock, tenant: Tenant, publish: bool, setup: list[str], action: str, problem: str
) -> None:
    created = await create(db, clock, tenant, publish=publish)
    for step in setup:
        await offer_status.change_status(db, tenant.retailer_id, created.offer_id, step, clock())
    before = await snapshot(db)
    error = await expect_error(
        "CONFLICT", offer_status.change_status(db, tenant.retailer_id, created.offer_id, action, clock())
    )
    assert (error.status, error.fields) == (409, {"offer_id": [problem]})
    assert await snapshot(db) == before


async def test_publishing_an_incomplete_draft_is_refused(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant, publish=False, discount_config={"amount": 0})
    before = await snapshot(db)
    error = await expect_error(
        "VALIDATION", offer_status.change_status(db, tenant.retailer_id, created.offer_id, "published", clock())
    )
    assert error.fields == {"discount_config.amount": ["fixed_amount_check_discount needs an amount above 0"]}
    assert await snapshot(db) == before


async def test_lifecycle_of_deleted_missing_or_foreign_offers_is_not_found(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    gone = await create(db, clock, tenant)
    await offer_status.change_status(db, tenant.retailer_id, gone.offer_id, "deleted", clock())
    theirs = await create(db, clock, other_tenant)
    before = await snapshot(db)
    for action in ("published", "deactivated", "reactivated"):
        await expect_error(
            "NOT_FOUND", offer_status.change_status(db, tenant.retailer_id, gone.offer_id, action, clock())
        )
    for action in ("published", "deactivated", "reactivated", "deleted"):
        for offer_id in (MISSING, theirs.offer_id):
            await expect_error(
                "NOT_FOUND", offer_status.change_status(db, tenant.retailer_id, offer_id, action, clock())
            )
    assert await snapshot(db) == before


async def test_status_moves_every_revision_and_answers_the_latest(
    db: Database, clock: FrozenClock, tenant: Tenant
) -> None:
    created = await create(db, clock, tenant)
    await issue(db, tenant, created.offer_id)
    revised = await service.update_offer(db, update_request(tenant.retailer_id, created.offer_id), clock())
    result = await offer_status.change_status(db, tenant.retailer_id, created.offer_id, "deactivated", clock())
    assert (result.offer_id, result.root_offer_id) == (revised.offer_id, created.offer_id)
    assert [(r.id, r.status) for r in await rows(db)] == [(created.offer_id, 2), (revised.offer_id, 2)]
    # A revision made while deactivated is deactivated too.
    await issue(db, tenant, revised.offer_id)
    third = await service.update_offer(db, update_request(tenant.retailer_id, revised.offer_id, publish=False), clock())
    assert (third.revisioned, third.new_status, third.state_transition) == (
        True,
        2,
        "revisioned-(deactivated>deactivated)",
    )
    await offer_status.change_status(db, tenant.retailer_id, created.offer_id, "deleted", clock())
    assert [r.status for r in await rows(db)] == [3, 3, 3]


# Fetch


async def test_fetch_picks_the_culture_and_its_media(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(
        db,
        clock,
        tenant,
        text_config=[
            {"title": "Cinq dollars", "culture": "fr", "description": "d-fr", "terms_and_conditions": "t-fr"},
            {"title": "Five dollars", "culture": "en", "description": "d-en", "terms_and_conditions": "t-en"},
        ],
        media_config=[
            {"uri": "https://cdn/fr.png", "culture": "fr-CA"},
            {"uri": "https://cdn/en.png", "culture": "en-US", "media_type": "banner"},
            {"uri": "https://cdn/any.png"},
        ],
    )
    oid = created.offer_id
    english = await service.fetch_offer(db, tenant.retailer_id, oid, "en-us")
    assert english.title == "Five dollars"
    assert [(t.culture, t.title, t.description, t.terms, t.offer_id) for t in english.offer_text] == [
        ("en", "Five dollars", "d-en", "t-en", oid)
    ]
    assert [(m.uri, m.culture, m.media_type, m.offer_id) for m in english.offer_media] == [
        ("https://cdn/en.png", "en-US", "banner", oid),
        ("https://cdn/any.png", "", "image", oid),
    ]
    french = await service.fetch_offer(db, tenant.retailer_id, oid, "FR-fr")
    assert (french.title, [t.culture for t in french.offer_text]) == ("Cinq dollars", ["fr"])
    assert [m.uri for m in french.offer_media] == ["https://cdn/fr.png", "https://cdn/any.png"]
    # Unknown culture: the retailer's default (en).
    german = await service.fetch_offer(db, tenant.retailer_id, oid, "de-DE")
    assert (german.title, [t.culture for t in german.offer_text]) == ("Five dollars", ["en"])
    # No culture: every text and every medium; the title is the default culture's.
    everything = await service.fetch_offer(db, tenant.retailer_id, oid, None)
    assert everything.title == "Five dollars"
    assert [t.culture for t in everything.offer_text] == ["fr", "en"]
    assert len(everything.offer_media) == 3
    [row] = await rows(db)
    assert row.title == "Five dollars"


async def test_fetch_a_deleted_offer_shows_status_3(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant)
    await offer_status.change_status(db, tenant.retailer_id, created.offer_id, "deleted", clock())
    fetched = await service.fetch_offer(db, tenant.retailer_id, created.offer_id, None)
    assert (fetched.status, fetched.status_description) == (3, "deleted")


async def test_fetch_missing_or_foreign_is_not_found(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await create(db, clock, other_tenant)
    for offer_id in (MISSING, theirs.offer_id):
        error = await expect_error("NOT_FOUND", service.fetch_offer(db, tenant.retailer_id, offer_id, "en"))
        assert error.message == f"offer {offer_id} not found"


# List


async def make_catalogue(db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant) -> dict[str, UUID]:
    """Five offers of one retailer, a minute apart, plus one of another retailer."""
    ids: dict[str, UUID] = {}
    specs: list[tuple[str, dict[str, Any]]] = [
        ("coffee", {"text_config": [{"title": "Free Coffee", "culture": "en"}], "offer_type": "manual_fulfillment"}),
        (
            "pct",
            {
                "text_config": [{"title": "20% off_all"}],
                "offer_type": "percent_check_discount",
                "discount_config": {"percent": 20},
            },
        ),
        ("draft", {"publish": False, "text_config": [{"title": "Coffee draft"}]}),
        (
            "store",
            {
                "text_config": [{"title": "Mug"}],
                "offer_type": "manual_fulfillment",
                "common_config": {
                    "reward_store": True,
                    "points_cost": 500,
                    "acquisition_start_date": "2026-01-01 00:00:00.0",
                    "acquisition_end_date": "2026-12-31T19:00:00-05:00",
                },
            },
        ),
        ("gone", {"text_config": [{"title": "Old coffee"}]}),
    ]
    for name, overrides in specs:
        clock.advance(minutes=1)
        ids[name] = (await create(db, clock, tenant, **overrides)).offer_id
    await offer_status.change_status(db, tenant.retailer_id, ids["gone"], "deleted", clock())
    await offer_status.change_status(db, tenant.retailer_id, ids["store"], "deactivated", clock())
    clock.advance(minutes=1)
    ids["theirs"] = (await create(db, clock, other_tenant, text_config=[{"title": "Coffee elsewhere"}])).offer_id
    return ids


async def test_list_filters_pages_and_counts(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    ids = await make_catalogue(db, clock, tenant, other_tenant)

    async def listed(**filters: Any) -> tuple[int, list[UUID]]:
        request = ListOffersRequest(retailer_id=tenant.retailer_id, **filters)
        result = await service.list_offers(db, request)
        return result.total_records, [r.id for r in result.results]

    # Newest first; deleted offers only when asked for; another retailer's never.
    assert await listed() == (4, [ids["store"], ids["draft"], ids["pct"], ids["coffee"]])
    assert await listed(status=3) == (1, [ids["gone"]])
    assert await listed(status=0) == (1, [ids["draft"]])
    assert await listed(status=1) == (2, [ids["pct"], ids["coffee"]])
    assert await listed(status=2) == (1, [ids["store"]])
    assert await listed(offer_type="manual_fulfillment") == (2, [ids["store"], ids["coffee"]])
    assert await listed(offer_type="buy_x_get_y_fixed") == (0, [])
    assert await listed(reward_store=True) == (1, [ids["store"]])
    assert await listed(reward_store=False) == (3, [ids["draft"], ids["pct"], ids["coffee"]])
    # Search is a case-insensitive substring of the title; % and _ are literal.
    assert await listed(search="COFFEE") == (2, [ids["draft"], ids["coffee"]])
    assert await listed(search="%") == (1, [ids["pct"]])
    assert await listed(search="f_a") == (1, [ids["pct"]])
    assert await listed(search="o_f") == (0, [])
    assert await listed(search="coffee", status=3) == (1, [ids["gone"]])
    # Paging: total_records counts every match, results hold one page.
    assert await listed(skip=1, take=2) == (4, [ids["draft"], ids["pct"]])
    assert await listed(skip=3, take=2) == (4, [ids["coffee"]])
    assert await listed(skip=10, take=2) == (4, [])

    page = await service.list_offers(db, ListOffersRequest(retailer_id=tenant.retailer_id, take=1))
    [summary] = page.results
    assert summary.id == ids["store"]
    assert (summary.title, summary.offer_type, summary.status, summary.status_description, summary.reward_store) == (
        "Mug",
        "manual_fulfillment",
        2,
        "deactivated",
        True,
    )
    assert (summary.revision, summary.root_offer_id) == (1, ids["store"])
    assert (summary.acquisition_start_date, summary.acquisition_end_date) == (
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    )


async def test_list_shows_only_the_latest_revision(db: Database, clock: FrozenClock, tenant: Tenant) -> None:
    created = await create(db, clock, tenant)
    await issue(db, tenant, created.offer_id)
    revised = await service.update_offer(
        db, update_request(tenant.retailer_id, created.offer_id, text_config=[{"title": "Renamed"}]), clock()
    )
    result = await service.list_offers(db, ListOffersRequest(retailer_id=tenant.retailer_id))
    assert result.total_records == 1
    assert [(r.id, r.root_offer_id, r.revision, r.title) for r in result.results] == [
        (revised.offer_id, created.offer_id, 2, "Renamed")
    ]


# Details


async def test_details_start_at_zero_with_inventory_totals(
    db: Database, clock: FrozenClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    limited = await create(db, clock, tenant, issuance_restrictions=[{"type": "inventory", "total": 100}])
    clock.advance(minutes=1)
    unlimited = await create(db, clock, tenant)
    theirs = await create(db, clock, other_tenant)

    result = await service.offer_details(
        db, OfferDetailsRequest(retailer_id=tenant.retailer_id, offer_ids=[limited.offer_id, unlimited.offer_id])
    )
    assert result.total_records == 2
    assert [
        (
            d.offer_id,
            d.root_offer_id,
            d.title,
            d.status,
            d.acquisition_count,
            d.redemption_count,
            d.total_inventory,
            d.available_inventory_remaining,
        )
        for d in result.results
    ] == [
        (limited.offer_id, limited.offer_id, "$5 off", 1, 0, 0, 100, 100),
        (unlimited.offer_id, unlimited.offer_id, "$5 off", 1, 0, 0, None, None),
    ]
    # In the order asked, paged.
    paged = await service.offer_details(
        db,
        OfferDetailsRequest(
            retailer_id=tenant.retailer_id, offer_ids=[unlimited.offer_id, limited.offer_id], skip=1, take=1
        ),
    )
    assert (paged.total_records, [d.offer_id for d in paged.results]) == (2, [limited.offer_id])
    # No ids: every live offer, newest first.
    everything = await service.offer_details(db, OfferDetailsRequest(retailer_id=tenant.retailer_id))
    assert (everything.total_records, [d.offer_id for d in everything.results]) == (
        2,
        [unlimited.offer_id, limited.offer_id],
    )
    for missing in (MISSING, theirs.offer_id):
        error = await expect_error(
            "NOT_FOUND",
            service.offer_details(
                db, OfferDetailsRequest(retailer_id=tenant.retailer_id, offer_ids=[limited.offer_id, missing])
            ),
        )
        assert error.fields == {"offer_id": ["not found"]}
