"""Catalog table: the retailer's items and their categories."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, PrimaryKeyConstraint, String, Table, Uuid

from openoffers.kit.columns import JsonColumn, UtcDateTime
from openoffers.kit.db import metadata

catalog_items = Table(
    "catalog_items",
    metadata,
    Column("retailer_id", Uuid, ForeignKey("retailers.id"), nullable=False),
    Column("item_id", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category_ids", JsonColumn, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("retailer_id", "item_id", name="pk_catalog_items"),
)
