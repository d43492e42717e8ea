"""Catalog wire structs: the items a retailer imports (`api/2.0/catalog/import`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

Name = Annotated[str, Meta(max_length=200)]
Ident = Annotated[str, Meta(min_length=1, max_length=100)]


class CatalogItemIn(Struct, kw_only=True):
    item_id: Annotated[str, Meta(min_length=1, max_length=100)] | int
    name: Name = ""
    category_ids: Annotated[list[Ident | int], Meta(max_length=100)] = []


class CatalogImportRequest(Struct, kw_only=True):
    retailer_id: UUID
    items: Annotated[list[CatalogItemIn], Meta(min_length=1, max_length=5000)]


class CatalogImportResult(Struct, kw_only=True):
    imported: int
