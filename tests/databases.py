"""A fresh database on the test PostgreSQL server, for tests whose figures need rows of their own."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_registry


async def fresh_database(pg_url: str, prefix: str, revision: str = "head") -> tuple[str, AsyncEngine]:
    """A new database, migrated (to `revision`), with the demo county registry loaded (at head)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = pg_url.replace("/postgres?", f"/{name}?") if "/postgres?" in pg_url else pg_url + name
    await upgrade_async(url, revision)
    engine = make_engine(url, pool_size=2)
    if revision == "head":
        await load_registry(engine)
    return url, engine


async def drop_database(pg_url: str, url: str) -> None:
    """Drop a database made by `fresh_database` (one a test filled with clear rows on purpose)."""
    name = make_url(url).database
    admin = make_engine(pg_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
