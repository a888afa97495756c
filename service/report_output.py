"""The performance report as a supervisor reads it: rich tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from rich.table import Table

from models.enums import Level, Outcome
from models.labels import ReportTerm, both
from models.performance import ALL, OPEN, PerformanceReport

CSV_HEADER = ("section", "key", "metric", "value")


def to_json(report: PerformanceReport) -> str:
    return report.model_dump_json(indent=2)


def to_csv(report: PerformanceReport) -> str:
    """One figure per line (section, key, metric, value): easy to filter in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(report))
    return buffer.getvalue()


def csv_rows(report: PerformanceReport) -> Iterator[tuple[str, str, str, Any]]:
    q, s = report.query, report.settling
    yield from (
        ("query", "place", "code", q.place),
        ("query", "period", "start", q.period.start.isoformat()),
        ("query", "period", "end", q.period.end.isoformat()),
        ("query", "channel", "code", q.channel or ALL),
    )
    yield from _metrics("settling", ALL, s, exclude={"levels"})
    for level in s.levels:
        yield from _metrics("settling", level.level, level, exclude={"level"})
    for c in report.committees:
        yield from (("outcomes", c.committee_id, outcome, n) for outcome, n in c.outcomes.items())
        yield ("outcomes", c.committee_id, "past_deadline", c.past_deadline)
    for d in report.durations:
        yield from _metrics("durations", d.level, d, exclude={"level"})
    for e in report.escalations:
        yield from _metrics("escalations", e.level, e, exclude={"level"})
    yield ("past_deadline", ALL, "stages", report.past_deadline)


def _metrics(
    section: str, key: str, model: BaseModel, exclude: set[str]
) -> Iterator[tuple[str, str, str, Any]]:
    for metric, value in model.model_dump(mode="json", exclude=exclude).items():
        yield (section, key, metric, "" if value is None else value)


def _level(value: str) -> str:
    return both(ReportTerm.ALL_LEVELS) if value == ALL else both(Level(value))


def _n(value: float | int | None) -> str:
    return "—" if value is None else str(value)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def settling_table(report: PerformanceReport) -> Table:
    s = report.settling
    terms = (ReportTerm.REACHED, ReportTerm.SETTLED, ReportTerm.AGREED)
    table = Table("level", *(both(t) for t in terms), title=both(ReportTerm.SETTLED_BY_LEVEL))
    for row in s.levels:
        table.add_row(_level(row.level), str(row.reached), str(row.settled), str(row.agreed))
    table.add_section()
    table.add_row(both(ReportTerm.ALL_LEVELS), "", str(s.settled), str(sum(r.agreed for r in s.levels)))
    table.add_row(both(ReportTerm.CLOSED), str(s.closed), "", "")
    table.add_row(both(ReportTerm.VILLAGE_SHARE), "", _share(s.village_share), "")
    table.add_row(both(ReportTerm.TOWNSHIP_SHARE), "", _share(s.township_share), "")
    return table


def committees_table(report: PerformanceReport) -> Table:
    columns = [o.value for o in Outcome]
    table = Table("committee", "level", *columns, OPEN, both(ReportTerm.PAST_DEADLINE))
    table.title = both(ReportTerm.OUTCOMES_BY_COMMITTEE)
    for c in report.committees:
        counts = [str(c.outcomes.get(k, 0)) for k in (*columns, OPEN)]
        name = c.committee_id if c.name == c.committee_id else f"{c.name} ({c.committee_id})"
        table.add_row(name, c.level.value, *counts, str(c.past_deadline))
    return table


def durations_table(report: PerformanceReport) -> Table:
    table = Table("level", "stages", "median", "p90", "accepted", "median to accept", "p90 to accept")
    table.title = both(ReportTerm.DAYS)
    for d in report.durations:
        table.add_row(
            _level(d.level),
            str(d.stages),
            _n(d.median_days),
            _n(d.p90_days),
            str(d.accepted),
            _n(d.median_days_to_accept),
            _n(d.p90_days_to_accept),
        )
    return table


def escalations_table(report: PerformanceReport) -> Table:
    terms = (ReportTerm.BY_TIMEOUT, ReportTerm.BY_DECISION, ReportTerm.BY_FAILURE)
    table = Table("level", *(both(t) for t in terms), title=both(ReportTerm.ESCALATIONS))
    for e in report.escalations:
        table.add_row(_level(e.level), str(e.by_timeout), str(e.by_decision), str(e.by_failure))
    return table


def tables(report: PerformanceReport) -> list[Table]:
    return [
        settling_table(report),
        committees_table(report),
        durations_table(report),
        escalations_table(report),
    ]
