"""How the levels perform, from the PostgreSQL records: the SQL fetches rows, `models.performance` counts.

The query only narrows the rows down (place, channel, cases alive during the period);
every definition of what counts is applied by `build_report`. The rows are read through the
driver straight into plain rows (a county's year is some 350,000 of them).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.schema import cases, committees, stages
from models.performance import CaseRow, PerformanceReport, ReportQuery, StageRow, build_report, place_field

CASE_COLUMNS = CaseRow._fields
STAGE_COLUMNS = StageRow._fields


def _case_filter(query: ReportQuery) -> list[Any]:
    """Cases of the place (and channel) that were open at some time during the period."""
    where = [
        cases.c[place_field(query.place)] == query.place,
        cases.c.opened_at < query.period.end,
        or_(cases.c.closed_at.is_(None), cases.c.closed_at >= query.period.start),
    ]
    if query.channel is not None:
        where.append(cases.c.channel == query.channel)
    return where


async def _names(conn: AsyncConnection, ids: set[str]) -> dict[str, tuple[str, str]]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(committees.c.id, committees.c.name, committees.c.name_en).where(committees.c.id.in_(ids))
    )
    return {r.id: (r.name, r.name_en or r.id) for r in rows}


def case_query(query: ReportQuery) -> Select[Any]:
    return select(*(cases.c[c] for c in CASE_COLUMNS)).where(*_case_filter(query))


def stage_query(query: ReportQuery) -> Select[Any]:
    return (
        select(*(stages.c[c] for c in STAGE_COLUMNS))
        .join(cases, cases.c.case_id == stages.c.case_id)
        .where(*_case_filter(query))
        .order_by(stages.c.case_id, stages.c.stage_no)
    )


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while the rows are turned into the report: a county's year
    is some 350,000 rows (none in a cycle), which the collector would otherwise walk over and over
    as they are built. Only around code that does not await, so nothing else runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _fetch(conn: AsyncConnection, statement: Select[Any]) -> list[Any]:
    """The statement's rows as the driver returns them (asyncpg records), without SQLAlchemy's
    result processing."""
    compiled = statement.compile(dialect=conn.dialect)
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    pg = (await conn.get_raw_connection()).driver_connection
    assert pg is not None
    return list(await pg.fetch(str(compiled), *params))


async def fetch_rows(
    engine: AsyncEngine, query: ReportQuery
) -> tuple[list[CaseRow], list[StageRow], dict[str, tuple[str, str]]]:
    async with engine.connect() as conn:
        found = await _fetch(conn, case_query(query))
        with _bulk():
            case_rows = [CaseRow.of(r) for r in found]
        found = await _fetch(conn, stage_query(query))
        with _bulk():
            stage_rows = [StageRow.of(r) for r in found]
        del found
        names = await _names(conn, {s.committee_id for s in stage_rows})
    return case_rows, stage_rows, names


async def performance_report(engine: AsyncEngine, query: ReportQuery) -> PerformanceReport:
    rows = await fetch_rows(engine, query)
    with _bulk():
        return build_report(query, *rows)
