"""Working days on China's official calendar, and spans of time measured on it.

Counting follows the Civil Procedure Law (Art. 85): the day an event happens is
not counted; a deadline of N days ends at 24:00 (China Standard Time) of the
Nth day after it, and a term in calendar days or months whose last day is a day
off (a weekend or public holiday; make-up working days are working days) ends
at 24:00 of the first working day after it. A term of N months ends on the day
of the Nth month that corresponds to the start, or that month's last day when it
has none (Civil Code Art. 202). Working days skip weekends and public holidays
and include the make-up working days (调休) announced each year. A deadline in a
year the calendar does not cover is counted on weekends alone: provisional.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"
    HOURS = "hours"
    MINUTES = "minutes"
    SECONDS = "seconds"  # drills and demos only


_UNIT_ZH = {
    Unit.WORKING_DAYS: "个工作日",
    Unit.CALENDAR_DAYS: "日",
    Unit.MONTHS: "个月",
    Unit.HOURS: "小时",
    Unit.MINUTES: "分钟",
    Unit.SECONDS: "秒",
}


class Span(BaseModel):
    """An amount of time in one unit, e.g. 2 working days."""

    model_config = ConfigDict(frozen=True)

    amount: int = Field(ge=0, le=3650)
    unit: Unit

    def __str__(self) -> str:
        """'1 working day', '2 working days', '4 hours'."""
        words = self.unit.value.replace("_", " ")
        return f"{self.amount} {words.removesuffix('s') if self.amount == 1 else words}"

    @property
    def zh(self) -> str:
        """The same in Chinese, as the notices say it: '1个工作日', '4小时', '30日'."""
        return f"{self.amount}{_UNIT_ZH[self.unit]}"


class WorkingCalendar(BaseModel):
    """China's public holidays and make-up working days for the years it covers."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str = ""
    years: list[int] = Field(min_length=1)
    holidays: frozenset[date] = frozenset()
    make_up_workdays: frozenset[date] = frozenset()
    art85: bool = Field(
        default=True,
        description="a calendar-day or month term whose last day is a day off ends on the next working day,"
        " and reminders move off days off (Civil Procedure Law Art. 85); cases opened before it was"
        " counted keep counting without it",
    )

    @model_validator(mode="after")
    def _disjoint(self) -> WorkingCalendar:
        both = self.holidays & self.make_up_workdays
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {sorted(both)}")
        return self

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def provisional(self, deadline: datetime) -> bool:
        """A deadline whose last day lies in a year this calendar does not cover (weekends only)."""
        return not self.covers(local_day(deadline - timedelta(microseconds=1)))

    def working_day_from(self, day: date) -> date:
        """`day` if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_day_until(self, day: date) -> date:
        """`day` if it is a working day, else the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The Nth working day after `day` (n=0 gives `day` itself)."""
        current, left = day, n
        while left > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def local_day(instant: datetime) -> date:
    return instant.astimezone(CHINA_TZ).date()


def add_months(day: date, months: int) -> date:
    """The day `months` later that corresponds to `day`, or that month's last day (Civil Code Art. 202)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = date(year, month0 + 1, 1)
    next_first = date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    return min(first + timedelta(days=day.day - 1), next_first - timedelta(days=1))


def end_of_day(day: date) -> datetime:
    """24:00 China Standard Time of `day`, as a UTC instant."""
    return datetime.combine(day + timedelta(days=1), time(0), CHINA_TZ).astimezone(UTC)


def add_span(start: datetime, span: Span, calendar: WorkingCalendar) -> datetime:
    """The instant a span starting at `start` runs out."""
    if span.unit is Unit.SECONDS:
        return start + timedelta(seconds=span.amount)
    if span.unit is Unit.MINUTES:
        return start + timedelta(minutes=span.amount)
    if span.unit is Unit.HOURS:
        return start + timedelta(hours=span.amount)
    # An instant at exactly 24:00 belongs to the day that ends then: 2 working days after a
    # Monday 24:00 deadline (or a handoff made by it) end Wednesday 24:00, not Thursday.
    day = local_day(start - timedelta(microseconds=1))
    if span.unit is Unit.WORKING_DAYS:
        return end_of_day(calendar.add_working_days(day, span.amount))
    last = add_months(day, span.amount) if span.unit is Unit.MONTHS else day + timedelta(days=span.amount)
    if calendar.art85:
        last = calendar.working_day_from(last)
    return end_of_day(last)


def subtract_span(deadline: datetime, span: Span, calendar: WorkingCalendar) -> datetime:
    """The instant `span` before `deadline` (for reminders)."""
    if span.unit is Unit.SECONDS:
        return deadline - timedelta(seconds=span.amount)
    if span.unit is Unit.MINUTES:
        return deadline - timedelta(minutes=span.amount)
    if span.unit is Unit.HOURS:
        return deadline - timedelta(hours=span.amount)
    last_day = local_day(deadline - timedelta(microseconds=1))
    if span.unit is Unit.MONTHS:
        return end_of_day(add_months(last_day, -span.amount))
    if span.unit is Unit.CALENDAR_DAYS:
        return end_of_day(last_day - timedelta(days=span.amount))
    if span.amount == 0:
        return deadline
    day, left = last_day, span.amount - 1
    while left > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return end_of_day(day - timedelta(days=1))


def reminder_time(deadline: datetime, before: Span, calendar: WorkingCalendar) -> datetime:
    """When a reminder `before` a deadline fires: never on a day off (Art. 85 counting), but at the
    same time of the working day before. Drill units (minutes, seconds) are left where they fall."""
    at = subtract_span(deadline, before, calendar)
    if not calendar.art85 or before.unit in (Unit.MINUTES, Unit.SECONDS):
        return at
    local = at.astimezone(CHINA_TZ)
    day = calendar.working_day_until(local.date())
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def span_longer(a: Span, b: Span, at: datetime, calendar: WorkingCalendar) -> bool:
    """Whether span `a` reaches further than span `b` when both start at `at`."""
    return add_span(at, a, calendar) > add_span(at, b, calendar)


def local_text(instant: datetime) -> str:
    """'2026-11-24 24:00' for the end of a day, as deadlines are read; China time, no zone."""
    local = instant.astimezone(CHINA_TZ)
    if local.time() == time(0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def cst_text(instant: datetime) -> str:
    """`local_text` with its zone, as notices and refusals print a time."""
    return f"{local_text(instant)} CST"
