"""The ASGI entry point for uvicorn workers: settings come from OPENOFFERS_* variables."""

from __future__ import annotations

import gc

from openoffers.app import create_app
from openoffers.kit.logs import RequestIds


def create() -> RequestIds:
    app = create_app()
    # What exists now (modules, tables, routes, compiled statements) lives as long as the process. Frozen,
    # the collector's full passes no longer walk it: one such pass over ~190,000 objects took 88 ms of a
    # Lookup's event loop, which was the Lookup's p99 (docs/BENCHMARKS.md).
    gc.collect()
    gc.freeze()
    return app
