"""Working days on China's official calendar, and spans of time measured on it.

Counting follows the Civil Procedure Law (Art. 85): the day an event happens is
not counted; a deadline of N days ends at 24:00 (China Standard Time) of the
Nth day after it. Working days skip weekends and public holidays and include
the make-up working days (调休) announced each year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MINUTES = "minutes"
    SECONDS = "seconds"  # drills and demos only


class Span(BaseModel):
    """An amount of time in one unit, e.g. 2 working days."""

    model_config = ConfigDict(frozen=True)

    amount: int = Field(ge=0, le=3650)
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value.replace('_', ' ')}"


class WorkingCalendar(BaseModel):
    """China's public holidays and make-up working days for the years it covers."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str = ""
    years: list[int] = Field(min_length=1)
    holidays: frozenset[date] = frozenset()
    make_up_workdays: frozenset[date] = frozenset()

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
    if span.unit is Unit.CALENDAR_DAYS:
        return end_of_day(day + timedelta(days=span.amount))
    return end_of_day(calendar.add_working_days(day, span.amount))


def subtract_span(deadline: datetime, span: Span, calendar: WorkingCalendar) -> datetime:
    """The instant `span` before `deadline` (for reminders)."""
    if span.unit is Unit.SECONDS:
        return deadline - timedelta(seconds=span.amount)
    if span.unit is Unit.MINUTES:
        return deadline - timedelta(minutes=span.amount)
    if span.unit is Unit.HOURS:
        return deadline - timedelta(hours=span.amount)
    last_day = local_day(deadline - timedelta(microseconds=1))
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
