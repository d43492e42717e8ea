"""The ASGI entry point for uvicorn workers: settings come from OPENOFFERS_* variables."""

from __future__ import annotations

from openoffers.app import create_app
from openoffers.kit.logs import RequestIds


def create() -> RequestIds:
    return create_app()
