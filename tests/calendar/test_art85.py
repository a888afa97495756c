"""Art. 85 in full: a calendar-day or month term whose last day is a day off ends at 24:00 of the
first working day after it; reminders never fire on a day off; working-day terms are unchanged;
a deadline in a year the calendar does not cover is provisional."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import (
    CHINA_TZ,
    Span,
    Unit,
    add_months,
    add_span,
    end_of_day,
    local_day,
    reminder_time,
    subtract_span,
)
from models.holidays import HolidayPeriod, YearNotice
from policies.calendar_files import read_calendar_file
from tests.models.helpers import cst, eod

CN = read_calendar_file("cn").calendar()
PLAIN = CN.model_copy(update={"art85": False})
# a made-up 2027 (test data, not the State Council's): New Year's Day Fri 01-01 to Sun 01-03
WITH_2027 = (
    read_calendar_file("cn")
    .with_notice(
        YearNotice(
            year=2027,
            source="test data",
            holidays=[HolidayPeriod(name="元旦", first=date(2027, 1, 1), last=date(2027, 1, 3))],
        )
    )
    .calendar()
)


def days(n: int) -> Span:
    return Span(amount=n, unit=Unit.CALENDAR_DAYS)


def months(n: int) -> Span:
    return Span(amount=n, unit=Unit.MONTHS)


def wd(n: int) -> Span:
    return Span(amount=n, unit=Unit.WORKING_DAYS)


def last_day(deadline: datetime) -> date:
    return local_day(deadline - timedelta(microseconds=1))


def test_art33_window_ending_on_national_day_ends_after_it() -> None:
    # the example: an agreement on 09-01, 30 days end on 10-01 (National Day) → 10-08 24:00
    assert add_span(cst(date(2026, 9, 1), 15), days(30), CN) == eod(2026, 10, 8)
    assert add_span(cst(date(2026, 9, 1), 15), days(30), PLAIN) == eod(2026, 10, 1)


def test_a_term_ending_on_a_weekend_ends_on_monday() -> None:
    # 30 days from Thu 2026-11-05 end Sat 12-05 → Mon 12-07
    assert add_span(cst(date(2026, 11, 5), 9), days(30), CN) == eod(2026, 12, 7)


def test_a_term_ending_on_a_make_up_working_day_is_not_moved() -> None:
    # Sun 2026-09-20 is a make-up working day
    assert add_span(cst(date(2026, 9, 13), 9), days(7), CN) == eod(2026, 9, 20)


def test_year_boundary_new_years_holiday_then_a_make_up_sunday() -> None:
    # 3 days from 2025-12-29 end 2026-01-01; 01-01..03 are off, Sun 01-04 is a make-up working day
    assert add_span(cst(date(2025, 12, 29), 9), days(3), CN) == eod(2026, 1, 4)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no Feb 31: month's last day, a make-up Saturday
        (date(2026, 9, 1), 1, date(2026, 10, 8)),  # 10-01 is National Day
        (date(2026, 3, 10), 1, date(2026, 4, 10)),
        (date(2026, 12, 31), 1, date(2027, 2, 1)),  # Sun 2027-01-31, weekends only: provisional
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
    ],
)
def test_month_terms_end_on_the_corresponding_day(start: date, n: int, expected: date) -> None:
    assert add_span(cst(start, 10), months(n), CN) == end_of_day(expected)


def test_add_months_clamps_to_the_last_day() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 12, 31), -1) == date(2026, 11, 30)
    assert add_months(date(2026, 5, 15), 12) == date(2027, 5, 15)


def test_working_day_terms_are_unchanged() -> None:
    assert add_span(cst(date(2026, 9, 28), 9), wd(3), CN) == add_span(cst(date(2026, 9, 28), 9), wd(3), PLAIN)
    assert add_span(cst(date(2026, 9, 28), 9), wd(3), CN) == eod(2026, 10, 8)  # 09-29, 09-30, 10-08


def test_courts_three_day_decision_and_terms_on_a_holiday() -> None:
    # a 15-day entrustment referred 09-16 ends 10-01 → 10-08; a 7-day one referred 09-24 → 10-08
    assert add_span(cst(date(2026, 9, 16), 9), days(15), CN) == eod(2026, 10, 8)
    assert add_span(cst(date(2026, 9, 24), 9), days(7), CN) == eod(2026, 10, 8)


def test_new_year_2027_counts_as_a_working_day_until_its_notice_is_imported() -> None:
    # the example: 5 working days from Mon 2026-12-28
    start = cst(date(2026, 12, 28), 10)
    provisional = add_span(start, wd(5), CN)
    assert provisional == eod(2027, 1, 4)
    assert CN.provisional(provisional)
    imported = add_span(start, wd(5), WITH_2027)
    assert imported == eod(2027, 1, 5)
    assert not WITH_2027.provisional(imported)
    assert not CN.provisional(eod(2026, 12, 31))


def test_reminder_on_a_holiday_moves_to_the_working_day_before() -> None:
    deadline = eod(2026, 10, 9)
    # 5 days before: the start of 10-05 (National Day) → the start of Wed 09-30
    assert subtract_span(deadline, days(5), CN) == cst(date(2026, 10, 5))
    assert reminder_time(deadline, days(5), CN) == cst(date(2026, 9, 30))
    assert reminder_time(deadline, days(5), PLAIN) == cst(date(2026, 10, 5))


def test_an_hours_reminder_on_a_sunday_moves_to_friday_same_time() -> None:
    deadline = eod(2026, 11, 29)  # a Sunday's end: hours terms can end on a day off
    assert reminder_time(deadline, Span(amount=4, unit=Unit.HOURS), CN) == cst(date(2026, 11, 27), 20)


def test_drill_units_are_not_moved() -> None:
    deadline = eod(2026, 11, 29)
    span = Span(amount=30, unit=Unit.MINUTES)
    assert reminder_time(deadline, span, CN) == deadline - timedelta(minutes=30)


def test_a_reminder_on_a_working_day_stays() -> None:
    deadline = eod(2026, 12, 4)
    assert reminder_time(deadline, wd(1), CN) == cst(date(2026, 12, 4))


instants = st.datetimes(min_value=datetime(2025, 1, 2), max_value=datetime(2026, 12, 31, 23)).map(
    lambda naive: naive.replace(tzinfo=CHINA_TZ)
)
day_spans = st.one_of(
    st.integers(0, 90).map(days), st.integers(0, 24).map(months), st.integers(1, 40).map(wd)
)


@settings(max_examples=300, deadline=None)
@given(instants, day_spans)
def test_every_day_term_ends_on_a_working_day(start: datetime, span: Span) -> None:
    end = add_span(start, span, CN)
    assert CN.is_working_day(last_day(end))
    assert end >= add_span(start, span, PLAIN)


@settings(max_examples=300, deadline=None)
@given(instants, st.one_of(st.integers(0, 90).map(days), st.integers(0, 24).map(months)))
def test_a_moved_end_skips_only_days_off(start: datetime, span: Span) -> None:
    plain, moved = last_day(add_span(start, span, PLAIN)), last_day(add_span(start, span, CN))
    skipped = [plain + timedelta(days=i) for i in range((moved - plain).days)]
    assert all(not CN.is_working_day(day) for day in skipped)


@settings(max_examples=300, deadline=None)
@given(
    instants.map(lambda i: end_of_day(local_day(i))),
    st.one_of(
        st.integers(1, 30).map(days),
        st.integers(1, 10).map(wd),
        st.integers(1, 48).map(lambda n: Span(amount=n, unit=Unit.HOURS)),
        st.integers(1, 3).map(months),
    ),
)
def test_reminders_never_fire_on_a_day_off_and_never_later(deadline: datetime, before: Span) -> None:
    at = reminder_time(deadline, before, CN)
    assert CN.is_working_day(local_day(at))
    assert at <= subtract_span(deadline, before, CN)
