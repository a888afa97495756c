"""`mediation calendar`: China's working-day calendar as reference data.

build   a year from the `chinese-calendar` package into the calendar file
import  a year from an operator's file written from the State Council's notice
check   what the calendar covers, whether the next days are covered, and that it
        agrees with `chinese-calendar` for every year both have
send    the installed calendar to every open case
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli import common
from cli.common import command
from cli.options import MaybeActor
from cli.remote import who_acts
from clients import connect, database
from models.authority import must_operate
from models.calendar import local_day
from policies.calendar_files import (
    CalendarFileError,
    build_year,
    coverage_warning,
    differences,
    load_calendar,
    read_calendar_file,
    read_notice,
    write_calendar_file,
)
from service.calendar_send import open_case_ids, send_calendar
from service.cases import CaseError
from service.identity import load_principal
from settings import Settings

app = typer.Typer(help="China's working-day calendar: build, import, check.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
CalendarName = Annotated[str, typer.Option("--calendar", help="calendar name or file path")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


@app.command("build")
def build(
    year: Annotated[list[int], typer.Argument(help="the year(s) to build, e.g. 2026")],
    calendar: CalendarName = "cn",
) -> None:
    """Build years from the chinese-calendar package into the calendar file."""
    try:
        file = read_calendar_file(calendar)
        for y in year:
            file = file.with_notice(build_year(y))
        path = write_calendar_file(file, calendar)
    except CalendarFileError as e:
        raise _fail(str(e)) from None
    out.print(f"{path}: built {', '.join(map(str, year))}; covers {', '.join(map(str, file.years))}")


@app.command("import")
def import_(
    notice: Annotated[Path, typer.Argument(help="the year's notice as TOML (see examples/)")],
    calendar: CalendarName = "cn",
) -> None:
    """Import one year from the State Council's notice, written by an operator."""
    try:
        year = read_notice(notice)
        file = read_calendar_file(calendar)
        replaced = file.notice(year.year) is not None
        file = file.with_notice(year)
        path = write_calendar_file(file, calendar)
    except CalendarFileError as e:
        raise _fail(str(e)) from None
    days = len(year.holiday_days())
    out.print(
        f"{path}: {'replaced' if replaced else 'added'} {year.year} ({len(year.holidays)} holiday periods,"
        f" {days} days off, {len(year.make_up_workdays)} make-up working days);"
        f" covers {', '.join(map(str, file.years))}. Running cases get it with `mediation calendar send`."
    )


@app.command("check")
def check(
    calendar: CalendarName = "cn",
    days: Annotated[int, typer.Option(help="the next N days must be covered")] = 60,
) -> None:
    """Exit 1 when the calendar disagrees with chinese-calendar or does not cover the next N days."""
    try:
        file = read_calendar_file(calendar)
        problems = differences(file)
    except CalendarFileError as e:
        raise _fail(str(e)) from None
    out.print(f"calendar {file.name} covers {', '.join(map(str, file.years))}")
    warning = coverage_warning(file.calendar(), local_day(datetime.now(UTC)), days)
    for problem in [*problems, *([warning] if warning else [])]:
        err.print(f"[yellow]warning:[/] {problem}", highlight=False)
    if problems or warning:
        raise _fail("the calendar needs attention (see above)")


@app.command("send")
@command
async def send(as_: MaybeActor = None, calendar: CalendarName = "cn") -> None:
    """Send the installed calendar to every open case: deadlines not yet passed are counted again
    (by an operator: the logged-in person, or `--as` on a machine with direct access)."""
    settings, sent_by = Settings(), who_acts(as_)
    async with database(settings) as engine, engine.connect() as conn:
        person = await load_principal(conn, sent_by)
    if person is None:
        raise CaseError(f"{sent_by} is not in the registry")
    must_operate(person)  # an amended calendar reaches every open case: an operator's to send
    installed = load_calendar(calendar)
    client = await connect(settings)
    result = await send_calendar(client, await open_case_ids(client), installed, sent_by)
    common.out.print(
        f"calendar {installed.name} ({', '.join(map(str, installed.years))}): {len(result.amended)} case(s)"
        f" amended, {len(result.up_to_date)} already up to date, {len(result.refused)} refused"
    )
    for case_id, why in result.refused.items():
        common.err.print(f"[yellow]refused[/] {case_id}: {why}", highlight=False)
