"""How the levels perform, from the PostgreSQL records: the SQL fetches rows, `models.performance` counts.

The query only narrows the rows down (place, channel, cases alive during the period);
every definition of what counts is applied by `build_report`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.schema import cases, committees, stages
from models.performance import CaseFact, PerformanceReport, ReportQuery, StageFact, build_report, place_field

CASE_COLUMNS = ("case_id", "channel", "county", "township", "village", "grid", "closed_at", "closure_reason")
STAGE_COLUMNS = (
    "case_id",
    "stage_no",
    "committee_id",
    "level",
    "outcome",
    "cause",
    "started_at",
    "accepted_at",
    "deadline",
    "overdue",
    "ended_at",
)


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


async def fetch_rows(
    engine: AsyncEngine, query: ReportQuery
) -> tuple[list[CaseFact], list[StageFact], dict[str, tuple[str, str]]]:
    where = _case_filter(query)
    async with engine.connect() as conn:
        case_rows = await conn.execute(select(*(cases.c[c] for c in CASE_COLUMNS)).where(*where))
        stage_rows = await conn.execute(
            select(*(stages.c[c] for c in STAGE_COLUMNS))
            .join(cases, cases.c.case_id == stages.c.case_id)
            .where(*where)
            .order_by(stages.c.case_id, stages.c.stage_no)
        )
        facts = [CaseFact.model_validate(dict(r)) for r in case_rows.mappings()]
        stage_facts = [StageFact.model_validate(dict(r)) for r in stage_rows.mappings()]
        names = await _names(conn, {s.committee_id for s in stage_facts})
    return facts, stage_facts, names


async def performance_report(engine: AsyncEngine, query: ReportQuery) -> PerformanceReport:
    return build_report(query, *await fetch_rows(engine, query))
