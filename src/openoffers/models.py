"""Every table of every domain on one MetaData: what Alembic compares migrations against."""

from __future__ import annotations

from openoffers.admin import models as admin_models
from openoffers.kit.db import metadata
from openoffers.loyalty import models as loyalty_models
from openoffers.loyalty import rules_models as loyalty_rules_models
from openoffers.offers import models as offers_models
from openoffers.pos import models as pos_models
from openoffers.tenancy import models as tenancy_models
from openoffers.wallet import models as wallet_models

__all__ = [
    "admin_models",
    "loyalty_models",
    "loyalty_rules_models",
    "metadata",
    "offers_models",
    "pos_models",
    "tenancy_models",
    "wallet_models",
]
