"""Apply the alembic migrations to a database (used by `make run` and the tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]


def upgrade(url: str, revision: str = "head") -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Migrations from async code: alembic's env runs its own event loop, so use a thread."""
    await asyncio.to_thread(upgrade, url, revision)
