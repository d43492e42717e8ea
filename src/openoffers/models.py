"""Every table of every domain on one MetaData: what Alembic compares migrations against."""

from __future__ import annotations

from openoffers.kit.db import metadata
from openoffers.offers import models as offers_models
from openoffers.tenancy import models as tenancy_models

__all__ = ["metadata", "offers_models", "tenancy_models"]
