"""Whether the installed working-day calendar covers the days ahead: the worker's and `make run`'s
warning, and the worker's gauge of covered days."""

from __future__ import annotations

from datetime import date, datetime

from models.calendar import WorkingCalendar, local_day
from policies import load_policy
from policies.calendar_files import coverage_warning

WARN_DAYS = 60
COVERED_DAYS_GAUGE = "mediation_calendar_covered_days"


def covered_days(calendar: WorkingCalendar, today: date) -> int:
    """Days from `today` to the end of the last year covered without a gap (0: today's year is not)."""
    year = today.year
    while year in calendar.years:
        year += 1
    return (date(year, 1, 1) - today).days if year > today.year else 0


def calendar_status(policy: str, now: datetime) -> tuple[WorkingCalendar, int, str | None]:
    """The policy's calendar, its covered days ahead, and the warning when the next 60 days are not."""
    calendar = load_policy(policy).calendar
    today = local_day(now)
    return calendar, covered_days(calendar, today), coverage_warning(calendar, today, WARN_DAYS)
