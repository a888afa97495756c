"""The year's performance report, written by the reports code from the simulation's records."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from bench.scenarios import count_history
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


SAMPLE_SQL = text("SELECT case_id, township FROM cases WHERE status = 'closed' ORDER BY case_id LIMIT :n")


async def histories(engine: AsyncEngine, client_of: dict[str, Client], n: int) -> dict[str, float]:
    """A whole case's history, averaged over the first `n` closed cases: events, bytes (the
    serialised events, payloads sealed), workflow tasks, updates and timers that fired.
    `client_of` gives the client of the server that ran each township's cases (by place code)."""
    async with engine.connect() as conn:
        sample = (await conn.execute(SAMPLE_SQL, {"n": n})).all()
    if not sample:
        return {}
    size = 0
    counts = []
    for case_id, township in sample:
        handle = client_of[township].get_workflow_handle(case_id)
        async for event in handle.fetch_history_events():
            size += event.ByteSize()
        counts.append(await count_history(handle))
    per = {
        key: round(sum(getattr(c, key) for c in counts) / len(counts), 1)
        for key in ("events", "workflow_tasks", "updates", "timers_fired", "activities")
    }
    return {"cases": len(sample), **per, "bytes": round(size / len(sample))}
