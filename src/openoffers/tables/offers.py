"""Offer tables. One row per revision; revisions of one offer share `root_offer_id`."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, Table, Uuid, false

from openoffers.kit.columns import JsonColumn, UtcDateTime
from openoffers.kit.db import metadata

offers = Table(
    "offers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("root_offer_id", Uuid, nullable=False),
    Column("revision", Integer, nullable=False),
    # Exactly one revision per root is the latest: the one that lists, updates and new issuance use.
    Column("is_latest", Boolean, nullable=False),
    # Lifecycle status is the offer's, so every revision of a root carries the same value.
    Column("status", SmallInteger, nullable=False),
    Column("offer_type", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("reward_store", Boolean, nullable=False),
    Column("acquisition_start", UtcDateTime, nullable=True),
    Column("acquisition_end", UtcDateTime, nullable=True),
    # The definition as sent (normalised): custom_data and restrictions come back exactly.
    Column("definition", JsonColumn, nullable=False),
    # [{id, culture, title, description, terms}] and [{id, culture, uri, media_type}].
    Column("texts", JsonColumn, nullable=False),
    Column("media", JsonColumn, nullable=False),
    Column("validation_errors", JsonColumn, nullable=False),
    # Set once a user offer references this revision: from then on an update makes a new revision.
    Column("referenced", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_offers_retailer_root", offers.c.retailer_id, offers.c.root_offer_id)
Index("ix_offers_retailer_latest_status", offers.c.retailer_id, offers.c.is_latest, offers.c.status)
