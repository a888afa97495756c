"""The supervisors' questions: `mediation count` (how many cases, filtered like `list`) and
`mediation report` (how the levels perform in a place over a period)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import command, direct_cases, out
from cli.options import (
    CommitteeFilter,
    County,
    Dispute,
    DueWithin,
    Grid,
    LevelFilter,
    Overdue,
    StatusFilter,
    Township,
    Village,
)
from cli.remote import query_params, remote
from clients import database
from models.calendar import local_day
from models.performance import PerformanceReport, ReportQuery, days_period
from service.cases import CaseFilter
from service.report_output import tables, to_csv, to_json
from service.reports import performance_report
from settings import Settings

app = typer.Typer()


@app.command("count")
@command
async def count_(
    level: LevelFilter = None,
    committee: CommitteeFilter = None,
    status: StatusFilter = None,
    dispute_type: Dispute = None,
    county: County = None,
    township: Township = None,
    village: Village = None,
    grid: Grid = None,
    overdue: Overdue = None,
    due_within: DueWithin = None,
) -> None:
    """Count cases from Temporal visibility, filtered like `list`."""
    f = CaseFilter(
        level=level,
        committee=committee,
        status=status,
        dispute_type=dispute_type,
        county=county,
        township=township,
        village=village,
        grid=grid,
        overdue=overdue,
        due_within_days=due_within,
    )
    service = remote()
    if service is not None:
        async with service:
            out.print((await service.call("GET", "/cases/count", params=query_params(f))).json()["count"])
        return
    out.print(await (await direct_cases()).count(f))


@app.command()
@command
async def report(
    county: County = None,
    township: Township = None,
    village: Village = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="default: the 1st")
    ] = None,
    to: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="included; default: today")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="e.g. grid_report, hotline, court_referral")] = None,
    csv: Annotated[Path | None, typer.Option(help="write the figures as CSV")] = None,
    as_json: Annotated[Path | None, typer.Option("--json", help="write the report as JSON")] = None,
    chart: Annotated[Path | None, typer.Option(help="write a PNG chart")] = None,
) -> None:
    """How the levels perform in a place over a period (days in China time), from the records."""
    place = village or township or county
    if place is None:
        raise ValueError("give --county, --township or --village")
    today = local_day(datetime.now(UTC))
    first, last = from_.date() if from_ else today.replace(day=1), to.date() if to else today
    query = ReportQuery(place=place, period=days_period(first, last), channel=channel)
    service = remote()
    if service is not None:
        params = query_params(
            {"place": place, "from": first.isoformat(), "to": last.isoformat(), "channel": channel}
        )
        async with service:
            found = await service.call("GET", "/reports/performance", params=params)
        result = PerformanceReport.model_validate_json(found.text)
    else:
        async with database(Settings()) as engine:
            result = await performance_report(engine, query)
    for table in tables(result):
        out.print(table)
    if csv is not None:
        csv.write_text(to_csv(result), encoding="utf-8")
        out.print(f"CSV written to {csv}")
    if as_json is not None:
        as_json.write_text(to_json(result), encoding="utf-8")
        out.print(f"JSON written to {as_json}")
    if chart is not None:
        from service.report_chart import draw_chart  # matplotlib: only when a chart is asked for

        chinese = draw_chart(result, chart)
        out.print(f"chart written to {chart}" + ("" if chinese else " (English labels: no CJK font found)"))
