"""When the simulated year runs: inside the calendar's years, or refused before anything starts."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bench.simulate.clock import (
    CalendarGap,
    check_covered,
    default_start,
    faketime_library,
    moved_test_server,
    server_start,
)
from policies import load_policy

CALENDAR = load_policy("gaotai-4x7").calendar  # cn: 2025 and 2026


def test_the_default_year_and_its_tail_lie_in_the_calendar() -> None:
    start = default_start(CALENDAR)
    assert start == date(min(CALENDAR.years), 1, 2)
    check_covered(CALENDAR, start, 365, 90)
    assert server_start(start) == datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 China time


def test_a_year_past_the_calendar_is_refused_with_the_starts_that_fit() -> None:
    with pytest.raises(CalendarGap, match=r"reaches 2027, 2028.*start on 2025-01-02 … 2025-10-02"):
        check_covered(CALENDAR, date(2026, 12, 2), 365, 90)
    with pytest.raises(CalendarGap, match="too few"):
        check_covered(CALENDAR, date(2025, 1, 2), 800, 90)
    with pytest.raises(CalendarGap, match="reaches 2024"):  # the server's first day, before the start
        check_covered(CALENDAR, date(2025, 1, 1), 10, 0)


def test_the_script_runs_the_binary_under_libfaketime(tmp_path: Path) -> None:
    script = moved_test_server(Path("/bin/date"), datetime(2025, 1, 1, 12, tzinfo=UTC), tmp_path)
    assert faketime_library().exists()
    shown = subprocess.run(
        [str(script), "-u", "+%Y-%m-%d"], capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    assert shown.stdout.strip() == "2025-01-01"
