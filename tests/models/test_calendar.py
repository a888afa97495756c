"""Working days on China's 2026 calendar, and spans counted the way Art. 85 counts them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.calendar import (
    CHINA_TZ,
    Span,
    Unit,
    WorkingCalendar,
    add_span,
    end_of_day,
    local_day,
    span_longer,
    subtract_span,
)
from policies import load_policy
from tests.models.helpers import cst, eod

CN = load_policy("gaotai-4x7").calendar


def wd(amount: int) -> Span:
    return Span(amount=amount, unit=Unit.WORKING_DAYS)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


# ---------------------------------------------------------------- which days are working days


@pytest.mark.parametrize("day", [d(10, day) for day in range(1, 8)])
def test_national_day_week_is_off(day: date) -> None:
    assert not CN.is_working_day(day)


@pytest.mark.parametrize("day", [d(2, day) for day in range(15, 24)])
def test_spring_festival_is_off(day: date) -> None:
    assert not CN.is_working_day(day)


@pytest.mark.parametrize("day", [d(9, 20), d(10, 10), d(2, 14), d(2, 28)])
def test_make_up_weekend_days_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert CN.is_working_day(day)


def test_ordinary_weekends_are_off_and_weekdays_on() -> None:
    assert not CN.is_working_day(d(11, 28))  # Saturday
    assert not CN.is_working_day(d(11, 29))  # Sunday
    assert CN.is_working_day(d(11, 30))  # Monday


def test_calendar_covers_only_its_years() -> None:
    assert CN.covers(d(12, 31))
    assert not CN.covers(date(2027, 1, 1))


def test_a_day_both_holiday_and_make_up_day_is_rejected() -> None:
    with pytest.raises(ValidationError, match="both holiday and make-up"):
        WorkingCalendar(name="bad", years=[2026], holidays={d(10, 1)}, make_up_workdays={d(10, 1)})


# ---------------------------------------------------------------- adding working days


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (d(9, 30), 1, d(10, 8)),  # over the whole National Day week
        (d(9, 30), 2, d(10, 9)),
        (d(9, 30), 3, d(10, 10)),  # Saturday make-up day counts
        (d(9, 30), 4, d(10, 12)),
        (d(9, 18), 1, d(9, 20)),  # Friday → Sunday make-up day
        (d(9, 24), 1, d(9, 28)),  # Mid-Autumn 25–27 off
        (d(2, 13), 1, d(2, 14)),  # Friday → Saturday make-up day
        (d(2, 14), 1, d(2, 24)),  # over the Spring Festival
        (d(2, 27), 1, d(2, 28)),  # Saturday make-up day after it
        (d(11, 23), 0, d(11, 23)),
    ],
)
def test_add_working_days_follows_the_2026_calendar(start: date, n: int, expected: date) -> None:
    assert CN.add_working_days(start, n) == expected


def test_working_days_between_skips_the_holiday_week() -> None:
    assert CN.working_days_between(d(9, 30), d(10, 10)) == 3


@settings(max_examples=200)
@given(start=st.dates(date(2025, 1, 1), date(2026, 12, 1)), n=st.integers(1, 20))
def test_adding_n_working_days_lands_on_a_working_day_n_working_days_later(start: date, n: int) -> None:
    end = CN.add_working_days(start, n)
    assert CN.is_working_day(end)
    assert CN.working_days_between(start, end) == n
    assert CN.working_days_between(start, end - timedelta(days=1)) == n - 1


# ---------------------------------------------------------------- spans from an instant (Art. 85)


def test_start_day_is_not_counted_and_deadline_ends_at_midnight_china_time() -> None:
    reported = cst(d(11, 23), 10)  # Monday morning
    assert add_span(reported, wd(1), CN) == eod(2026, 11, 24)
    assert eod(2026, 11, 24).astimezone(CHINA_TZ) == datetime(2026, 11, 25, tzinfo=CHINA_TZ)


def test_late_evening_still_counts_from_the_next_day() -> None:
    assert add_span(cst(d(11, 23), 23, 59), wd(1), CN) == eod(2026, 11, 24)


def test_the_day_is_the_china_day_not_the_utc_day() -> None:
    after_midnight = cst(d(11, 24), 0, 30)  # still Monday 23 November in UTC
    assert after_midnight.date() == d(11, 23)
    assert local_day(after_midnight) == d(11, 24)
    assert add_span(after_midnight, wd(1), CN) == eod(2026, 11, 25)


def test_working_day_span_skips_national_day() -> None:
    assert add_span(cst(d(9, 30), 9), wd(2), CN) == eod(2026, 10, 9)


def test_working_day_span_skips_spring_festival() -> None:
    assert add_span(cst(d(2, 13), 9), wd(2), CN) == eod(2026, 2, 24)


def test_calendar_days_count_holidays_and_end_on_the_first_working_day_after() -> None:
    # 7 days from 09-30 end on 10-07, inside National Day week: Art. 85 moves the end to 10-08
    assert add_span(cst(d(9, 30), 9), Span(amount=7, unit=Unit.CALENDAR_DAYS), CN) == eod(2026, 10, 8)
    assert add_span(cst(d(9, 20), 9), Span(amount=7, unit=Unit.CALENDAR_DAYS), CN) == eod(2026, 9, 28)


def test_hours_and_minutes_are_exact() -> None:
    start = cst(d(10, 1), 9, 15)
    assert add_span(start, Span(amount=4, unit=Unit.HOURS), CN) == start + timedelta(hours=4)
    assert add_span(start, Span(amount=90, unit=Unit.MINUTES), CN) == start + timedelta(minutes=90)


def test_end_of_day_is_midnight_china_time() -> None:
    assert end_of_day(d(10, 9)) == cst(d(10, 10))


# ---------------------------------------------------------------- spans after a deadline (extensions)


def test_working_days_after_a_deadline_count_from_the_day_it_ends() -> None:
    assert add_span(eod(2026, 11, 23), wd(2), CN) == eod(2026, 11, 25)


def test_working_days_after_a_deadline_skip_the_holiday_week() -> None:
    assert add_span(eod(2026, 9, 30), wd(1), CN) == eod(2026, 10, 8)


def test_calendar_days_after_a_deadline() -> None:
    month = Span(amount=30, unit=Unit.CALENDAR_DAYS)
    assert add_span(eod(2026, 11, 23), month, CN) == eod(2026, 12, 23)


def test_hours_after_a_deadline_are_exact() -> None:
    assert add_span(eod(2026, 11, 23), Span(amount=5, unit=Unit.HOURS), CN) == cst(d(11, 24), 5)


# ---------------------------------------------------------------- spans before a deadline (reminders)


def test_one_working_day_before_a_deadline_is_the_start_of_its_last_day() -> None:
    assert subtract_span(eod(2026, 10, 9), wd(1), CN) == cst(d(10, 9))


def test_working_days_before_a_deadline_skip_the_holiday_week() -> None:
    assert subtract_span(eod(2026, 10, 9), wd(2), CN) == cst(d(10, 8))
    assert subtract_span(eod(2026, 10, 9), wd(3), CN) == cst(d(9, 30))


def test_working_days_before_a_deadline_count_a_make_up_day() -> None:
    assert subtract_span(eod(2026, 10, 12), wd(2), CN) == cst(d(10, 10))


def test_hours_before_a_deadline() -> None:
    assert subtract_span(eod(2026, 11, 24), Span(amount=4, unit=Unit.HOURS), CN) == cst(d(11, 24), 20)


def test_minutes_before_a_deadline() -> None:
    deadline = cst(d(11, 24), 10, 5)
    assert subtract_span(deadline, Span(amount=1, unit=Unit.MINUTES), CN) == cst(d(11, 24), 10, 4)


def test_calendar_days_before_a_deadline() -> None:
    assert subtract_span(eod(2026, 10, 31), Span(amount=7, unit=Unit.CALENDAR_DAYS), CN) == eod(2026, 10, 24)


def test_zero_before_a_deadline_is_the_deadline() -> None:
    assert subtract_span(eod(2026, 10, 9), wd(0), CN) == eod(2026, 10, 9)


@settings(max_examples=200)
@given(start=st.dates(date(2025, 1, 1), date(2026, 12, 1)), n=st.integers(1, 15), k=st.integers(1, 15))
def test_k_working_days_before_leaves_k_working_days(start: date, n: int, k: int) -> None:
    deadline = add_span(cst(start, 10), wd(n), CN)
    at = subtract_span(deadline, wd(k), CN)
    assert at < deadline
    assert (
        CN.working_days_between(local_day(at) - timedelta(days=1), local_day(deadline) - timedelta(days=1))
        == k
    )


# ---------------------------------------------------------------- spans themselves


def test_span_reads_as_words() -> None:
    assert str(wd(2)) == "2 working days"
    assert (str(wd(1)), wd(1).zh, wd(2).zh) == ("1 working day", "1个工作日", "2个工作日")
    hours = Span(amount=1, unit=Unit.HOURS)
    month = Span(amount=30, unit=Unit.CALENDAR_DAYS)
    assert (str(hours), hours.zh, str(month), month.zh) == ("1 hour", "1小时", "30 calendar days", "30日")


def test_negative_span_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Span(amount=-1, unit=Unit.HOURS)


def test_span_longer_compares_on_the_calendar() -> None:
    before_holiday = cst(d(9, 30), 9)
    assert span_longer(Span(amount=7, unit=Unit.CALENDAR_DAYS), wd(1), cst(d(11, 23), 9), CN)
    # 2 working days from 09-30 end 10-09; 7 calendar days end 10-07, moved by Art. 85 to 10-08
    assert span_longer(wd(2), Span(amount=7, unit=Unit.CALENDAR_DAYS), before_holiday, CN)
