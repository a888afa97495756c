"""A database of its own for the worker process the PII scan starts, so its outbox dispatcher
touches no other test's rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_registry


@pytest_asyncio.fixture(scope="session")
async def crypto_db(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    name = f"crypto_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    await upgrade_async(url)
    engine = make_engine(url, pool_size=2)
    await load_registry(engine)
    yield url, engine
    await engine.dispose()
