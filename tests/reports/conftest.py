"""A fresh database holding only the hand-made outcomes of outcomes.py (plus the registry)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import cases, stages
from tests.databases import fresh_database
from tests.reports.outcomes import case_rows, stage_rows


@pytest_asyncio.fixture(scope="session")
async def reports_database(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url, engine = await fresh_database(pg_url, "reports")
    async with engine.begin() as conn:
        await conn.execute(cases.insert(), case_rows())
        await conn.execute(stages.insert(), stage_rows())
    yield url, engine
    await engine.dispose()


@pytest.fixture
def reports_db(reports_database: tuple[str, AsyncEngine]) -> AsyncEngine:
    return reports_database[1]
