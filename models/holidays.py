"""The State Council's yearly holiday notice as data, and the calendar file built from the notices.

Each year the State Council General Office publishes the public holidays and the make-up working
days (调休) of the next year (国务院办公厅关于放假安排的通知), usually in October or November. One
`YearNotice` holds one year's notice: its named holiday periods and its make-up working days. The
shipped calendar (`policies/calendars/cn.json`) is a `CalendarFile`: the notices of the years it
covers, from which the `WorkingCalendar` a case snapshots is derived.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.calendar import WorkingCalendar


class HolidayPeriod(BaseModel):
    """One holiday of a notice, e.g. 国庆节 from 10-01 to 10-07 (weekends inside included)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=60, description="e.g. 春节 Spring Festival")
    first: date = Field(alias="from")
    last: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> HolidayPeriod:
        if not self.name.strip():
            raise ValueError("a holiday period needs a name (e.g. 春节 Spring Festival)")
        if self.last < self.first:
            raise ValueError(f"{self.name}: ends {self.last} before it starts {self.first}")
        return self

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


class YearNotice(BaseModel):
    """One year's holidays and make-up working days, as the State Council announced them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=4, max_length=400, description="the notice (title, number, date)")
    holidays: list[HolidayPeriod] = Field(min_length=1)
    make_up_workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> YearNotice:
        problems: list[str] = []
        seen: dict[date, str] = {}
        for period in self.holidays:
            for day in period.days():
                if day.year != self.year:
                    problems.append(f"{period.name}: {day} is not in {self.year}")
                if day in seen:
                    problems.append(f"{day} is in both {seen[day]} and {period.name}")
                seen[day] = period.name
        for day in self.make_up_workdays:
            if day.year != self.year:
                problems.append(f"make-up working day {day} is not in {self.year}")
            if day in seen:
                problems.append(f"{day} is both a holiday ({seen[day]}) and a make-up working day")
            if day.weekday() < 5:
                problems.append(f"make-up working day {day} is a weekday; make-up days are weekend days")
        if len(set(self.make_up_workdays)) != len(self.make_up_workdays):
            problems.append("a make-up working day is listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def holiday_days(self) -> set[date]:
        return {day for period in self.holidays for day in period.days()}


class CalendarFile(BaseModel):
    """A working-day calendar file: the notices of the years it covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    source: str
    years: list[int] = Field(min_length=1, description="the years the calendar covers")
    notices: list[YearNotice] = Field(min_length=1)

    @model_validator(mode="after")
    def _years_match(self) -> CalendarFile:
        noticed = [n.year for n in self.notices]
        if noticed != sorted(set(noticed)):
            raise ValueError(f"notices must be one per year, in order; found years {noticed}")
        if self.years != noticed:
            raise ValueError(f"`years` {self.years} must list the notices' years {noticed}")
        return self

    def with_notice(self, notice: YearNotice) -> CalendarFile:
        """The file with `notice` added, or replacing the notice of its year."""
        notices = sorted([n for n in self.notices if n.year != notice.year] + [notice], key=lambda n: n.year)
        return CalendarFile(
            name=self.name, source=self.source, years=[n.year for n in notices], notices=notices
        )

    def notice(self, year: int) -> YearNotice | None:
        return next((n for n in self.notices if n.year == year), None)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            name=self.name,
            source=self.source,
            years=self.years,
            holidays=frozenset(d for n in self.notices for d in n.holiday_days()),
            make_up_workdays=frozenset(d for n in self.notices for d in n.make_up_workdays),
        )


def uncovered_years(calendar: WorkingCalendar, today: date, days: int) -> list[int]:
    """The years between `today` and `days` later that the calendar does not cover."""
    years = range(today.year, (today + timedelta(days=days)).year + 1)
    return [year for year in years if year not in calendar.years]
