"""What every request handler needs: the database, the settings and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from openoffers.kit.clock import Clock, utc_now
from openoffers.kit.db import Database
from openoffers.settings import Settings


@dataclass(slots=True)
class AppContext:
    settings: Settings
    db: Database
    clock: Clock = field(default=utc_now)


def context(request: Request[Any, Any, Any]) -> AppContext:
    ctx: AppContext = request.app.state["ctx"]
    return ctx
