"""Every table of every domain, on one MetaData: the bottom layer above `kit`.

Tables live below the domains (as Polar's `models/` do) so that a domain may read another's table on
purpose (a read model, documented where it does) without importing that domain's code. Writes still
go through the owning domain: a user offer's status, for example, changes only in
`openoffers.wallet.lifecycle`. Alembic compares migrations against `metadata`.
"""

from __future__ import annotations

from openoffers.kit.db import metadata
from openoffers.tables import accounts, admin, catalog, events, offers, points, pos, rules, tenancy, wallet

__all__ = [
    "accounts",
    "admin",
    "catalog",
    "events",
    "metadata",
    "offers",
    "points",
    "pos",
    "rules",
    "tenancy",
    "wallet",
]
