"""Working-day calendar files: read, written, built from `chinese-calendar`, imported from a notice.

`policies/calendars/<name>.json` holds a `CalendarFile` (the State Council's notices of the years it
covers). A year comes in two ways:

- `build_year`: from the `chinese-calendar` package, for the years it has;
- `read_notice`: from a small TOML file an operator writes from the State Council's notice once it is
  published (see `examples/calendar-notice-2026.toml` and the README).
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, timedelta
from pathlib import Path

from pydantic import ValidationError

from models.calendar import WorkingCalendar
from models.holidays import CalendarFile, HolidayPeriod, YearNotice, uncovered_years

CALENDARS = Path(__file__).parent / "calendars"
CHINESE_CALENDAR = "chinese-calendar 1.11.0"


class CalendarFileError(ValueError):
    """A calendar or notice file that cannot be read or does not validate."""


def calendar_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    return path if path.suffix else CALENDARS / f"{name_or_path}.json"


def read_calendar_file(name_or_path: str) -> CalendarFile:
    path = calendar_path(name_or_path)
    try:
        return CalendarFile.model_validate_json(path.read_text("utf-8"))
    except OSError as err:
        raise CalendarFileError(f"calendar {name_or_path!r} cannot be read: {err}") from err
    except ValidationError as err:
        raise CalendarFileError(f"calendar {path.name} is invalid: {err}") from err


def write_calendar_file(file: CalendarFile, name_or_path: str) -> Path:
    path = calendar_path(name_or_path)
    text = json.dumps(file.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load_calendar(name: str) -> WorkingCalendar:
    """The working-day calendar a case snapshots."""
    return read_calendar_file(name).calendar()


def read_notice(path: Path) -> YearNotice:
    """An operator's file of one year's notice (TOML; dates written as 2027-01-01)."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CalendarFileError(f"notice file {path} cannot be read: {err}") from err
    if "holiday" in raw:
        raw["holidays"] = raw.pop("holiday")
    try:
        return YearNotice.model_validate(raw)
    except ValidationError as err:
        raise CalendarFileError(f"notice file {path.name} is invalid: {err}") from err


def chinese_calendar_years() -> list[int]:
    """The years the installed `chinese-calendar` package has (every year it has a holiday in)."""
    from chinese_calendar.constants import holidays

    return sorted({day.year for day in holidays})


def build_year(year: int) -> YearNotice:
    """One year from the `chinese-calendar` package: holiday periods named as it names them."""
    from chinese_calendar.constants import Holiday, holidays, workdays

    if year not in chinese_calendar_years():
        have = chinese_calendar_years()
        raise CalendarFileError(
            f"{CHINESE_CALENDAR} has no holidays for {year} (it has {have[0]}–{have[-1]});"
            " import the State Council's notice instead (mediation calendar import FILE)"
        )
    periods: list[HolidayPeriod] = []
    for day in sorted(d for d in holidays if d.year == year):
        holiday = Holiday(holidays[day])
        name = f"{holiday.chinese} {holiday.value}"
        last = periods[-1] if periods else None
        if last is not None and last.name == name and last.last == day - timedelta(days=1):
            periods[-1] = HolidayPeriod(name=name, first=last.first, last=day)
        else:
            periods.append(HolidayPeriod(name=name, first=day, last=day))
    return YearNotice(
        year=year,
        source=f"State Council General Office notice for {year}, as the {CHINESE_CALENDAR} package has it",
        holidays=periods,
        make_up_workdays=sorted(d for d in workdays if d.year == year and d.weekday() >= 5),
    )


def differences(file: CalendarFile) -> list[str]:
    """Where the file and `chinese-calendar` disagree, for every year both have."""
    problems = []
    for year in sorted(set(file.years) & set(chinese_calendar_years())):
        ours, theirs = file.notice(year), build_year(year)
        assert ours is not None
        for what, mine, other in (
            ("holidays", ours.holiday_days(), theirs.holiday_days()),
            ("make-up working days", set(ours.make_up_workdays), set(theirs.make_up_workdays)),
        ):
            if mine != other:
                only_ours = ", ".join(str(d) for d in sorted(mine - other)) or "none"
                only_theirs = ", ".join(str(d) for d in sorted(other - mine)) or "none"
                problems.append(
                    f"{year} {what}: only in {file.name}: {only_ours};"
                    f" only in {CHINESE_CALENDAR}: {only_theirs}"
                )
    return problems


def coverage_warning(calendar: WorkingCalendar, today: date, days: int = 60) -> str | None:
    """The warning the worker and `make run` print when the next `days` are not all covered."""
    missing = uncovered_years(calendar, today, days)
    if not missing:
        return None
    years = ", ".join(str(y) for y in missing)
    return (
        f"calendar {calendar.name} covers {', '.join(str(y) for y in calendar.years)} but not {years},"
        f" which starts within {days} days: deadlines there count weekends only and are shown as"
        f" provisional. Once the State Council publishes {years}'s holidays: mediation calendar import"
        " FILE, then mediation calendar send (see README, 'Next year's calendar')."
    )
