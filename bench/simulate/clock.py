"""When the simulated year runs: inside the years the policy's calendar covers, on a test server
whose clock starts there.

The time-skipping test server's clock starts at the wall clock and only moves forward, so a year
started today runs past the calendar's confirmed years, where deadlines are counted on weekends
alone (provisional). The run starts on `--start` instead: the test server runs under libfaketime
(the `libfaketime` package's library, through LD_PRELOAD) with its clock moved to the day before,
and a run whose year and tail would leave the calendar is refused before anything starts.
"""

from __future__ import annotations

import importlib.util
import shlex
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from models.calendar import CHINA_TZ, WorkingCalendar

FAKETIME_LIBRARY = Path("vendor", "libfaketime", "src", "libfaketime.so.1")
CLOCK_SLACK = timedelta(hours=1)  # the server's clock once started, against where it was moved to


class CalendarGap(ValueError):
    """The simulated days reach a year the policy's calendar does not cover."""


def default_start(calendar: WorkingCalendar) -> date:
    """The 2nd of January of the first year the calendar covers (the server starts on the 1st)."""
    return date(min(calendar.years), 1, 2)


def last_day(start: date, days: int, drain_days: int) -> date:
    """The last day the run reaches: the arrivals' days and the tail after them."""
    return start + timedelta(days=days + drain_days)


def check_covered(calendar: WorkingCalendar, start: date, days: int, drain_days: int) -> None:
    """Raise CalendarGap unless every day from the server's first (the day before `start`) to
    the last lies in a year `calendar` covers."""
    first, last = start - timedelta(days=1), last_day(start, days, drain_days)
    missing = [year for year in range(first.year, last.year + 1) if year not in calendar.years]
    if not missing:
        return
    covered = sorted(calendar.years)
    latest = date(covered[-1], 12, 31) - timedelta(days=days + drain_days)
    hint = (
        f"start on {default_start(calendar)} … {latest} (--start)"
        if latest >= default_start(calendar)
        else f"its years are too few for {days} + {drain_days} days (--days)"
    )
    raise CalendarGap(
        f"the run {first} – {last} reaches {', '.join(map(str, missing))}, which calendar"
        f" {calendar.name} does not cover (it covers {', '.join(map(str, covered))}; deadlines there"
        f" would be provisional): {hint}, or add the year's notice (mediation calendar import)"
    )


def server_start(start: date) -> datetime:
    """Where the server's clock starts: midnight, China time, of the day before `start`."""
    return datetime.combine(start - timedelta(days=1), time(), CHINA_TZ).astimezone(UTC)


def faketime_library() -> Path:
    spec = importlib.util.find_spec("libfaketime")
    library = Path(spec.origin).parent / FAKETIME_LIBRARY if spec and spec.origin else None
    if library is None or not library.exists():
        raise RuntimeError(
            "the simulation moves the test server's clock with libfaketime: install the pinned"
            " requirements (make .venv/.installed), which bring the `libfaketime` package"
        )
    return library


def moved_test_server(binary: Path, moment: datetime, folder: Path) -> Path:
    """A script in `folder` that runs the test server `binary` with its clock at `moment` when it
    starts (an offset from the wall clock, so servers started one after another agree)."""
    offset = round((moment - datetime.now(UTC)).total_seconds())
    script = folder / "temporal-test-server-at"
    environment = {  # the settings the libfaketime package itself runs with
        "LD_PRELOAD": str(faketime_library()),
        "FAKETIME": f"{offset:+d}",
        "DONT_FAKE_MONOTONIC": "1",  # only the wall clock moves
        "FAKETIME_NO_CACHE": "1",
        # without it, waits on the monotonic clock are converted as if it had moved too: every
        # time skip then stalls for a fraction of a second, and a simulated year for hours
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    script.write_text(
        f"#!/bin/sh\n# the test server, its clock moved to {moment.isoformat()} (bench/simulate/clock.py)\n"
        f'{assignments} exec {shlex.quote(str(binary))} "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def check_server_clock(now: datetime, moment: datetime) -> None:
    """Raise RuntimeError when a started server's clock is not where it was moved to."""
    if abs(now - moment) > CLOCK_SLACK:
        raise RuntimeError(
            f"the test server's clock is at {now.isoformat()}, not {moment.isoformat()}:"
            " libfaketime did not take hold of it on this machine"
        )
