"""The ASGI entry point for uvicorn workers: settings come from OPENOFFERS_* variables."""

from __future__ import annotations

from openoffers.app import create_app
from openoffers.kit.http import SecurityHeaders


def create() -> SecurityHeaders:
    return create_app()
