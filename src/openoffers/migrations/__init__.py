"""Alembic migrations, shipped inside the package so `openoffers db upgrade` works after pip install."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from openoffers.kit.db import normalize_url

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`. Call it outside a running event loop."""
    command.upgrade(alembic_config(database_url), revision)


def current_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config("sqlite:///unused.db")).get_heads())
