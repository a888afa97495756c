"""The year's performance report, written by the reports code from the simulation's records."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from models.enums import Channel
from models.performance import PerformanceReport, Period, ReportQuery
from service.report_chart import draw_chart
from service.report_output import durations_table, escalations_table, settling_table, to_csv, to_json
from service.reports import performance_report


async def write_report(
    engine: AsyncEngine, place: str, period: Period, out: Path, console: Console
) -> PerformanceReport:
    """The report for `place` and `period` (tables printed; JSON, CSV and the funnel PNG written),
    and the same for court referrals alone."""
    report = await performance_report(engine, ReportQuery(place=place, period=period))
    (out / "report.json").write_text(to_json(report) + "\n", encoding="utf-8")
    (out / "report.csv").write_text(to_csv(report), encoding="utf-8")
    draw_chart(report, out / "funnel.png")
    court = await performance_report(
        engine, ReportQuery(place=place, period=period, channel=Channel.COURT_REFERRAL.value)
    )
    (out / "court-referrals.json").write_text(to_json(court) + "\n", encoding="utf-8")
    (out / "court-referrals.csv").write_text(to_csv(court), encoding="utf-8")
    for table in (settling_table(report), durations_table(report), escalations_table(report)):
        console.print(table)
    return report


async def case_counts(engine: AsyncEngine) -> dict[str, dict[str, int]]:
    """Cases by status and by closing reason, as PostgreSQL has them."""
    async with engine.connect() as conn:
        status = await conn.execute(text("SELECT status, count(*) FROM cases GROUP BY status ORDER BY 1"))
        reasons = await conn.execute(
            text("SELECT coalesce(closure_reason, 'open'), count(*) FROM cases GROUP BY 1 ORDER BY 1")
        )
        return {"status": dict(status.tuples().all()), "closure_reason": dict(reasons.tuples().all())}


async def transitions(engine: AsyncEngine) -> dict[str, int]:
    """What the activities recorded: stage rows, case events and notifications."""
    async with engine.connect() as conn:
        counts = await conn.execute(
            text(
                "SELECT (SELECT count(*) FROM stages), (SELECT count(*) FROM case_events),"
                " (SELECT count(*) FROM outbox)"
            )
        )
        stages, events, notifications = counts.one()
        return {"stages": stages, "case_events": events, "notifications": notifications}
