"""The calendar as reference data: notices validated, the shipped file checked against
chinese-calendar, years built and imported through `mediation calendar`."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.calendar import app as calendar_app
from models.holidays import CalendarFile, HolidayPeriod, YearNotice, uncovered_years
from policies.calendar_files import (
    CALENDARS,
    CalendarFileError,
    build_year,
    chinese_calendar_years,
    coverage_warning,
    differences,
    load_calendar,
    read_calendar_file,
    read_notice,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "calendar-notice-2026.toml"
SHIPPED = read_calendar_file("cn")


def notice(**changes: object) -> YearNotice:
    raw: dict[str, object] = {
        "year": 2030,
        "source": "a test notice",
        "holidays": [
            HolidayPeriod(name="国庆节 National Day", first=date(2030, 10, 1), last=date(2030, 10, 7))
        ],
        "make_up_workdays": [date(2030, 9, 29)],
    }
    return YearNotice.model_validate(raw | changes)


def test_the_shipped_calendar_agrees_with_chinese_calendar_for_every_year_both_have() -> None:
    both = set(SHIPPED.years) & set(chinese_calendar_years())
    assert both, "the shipped file should share years with chinese-calendar"
    assert differences(SHIPPED) == []
    for year in both:
        built = build_year(year)
        ours = SHIPPED.notice(year)
        assert ours is not None
        assert ours.holiday_days() == built.holiday_days()
        assert set(ours.make_up_workdays) == set(built.make_up_workdays)


def test_the_shipped_calendar_states_its_years_and_has_no_2027_yet() -> None:
    # No State Council notice for 2027 was found: 2027 stays uncovered (provisional), not invented.
    assert SHIPPED.years == [2025, 2026]
    assert load_calendar("cn").years == [2025, 2026]


def test_a_difference_from_chinese_calendar_is_reported() -> None:
    year = SHIPPED.notice(2026)
    assert year is not None
    shifted = year.model_copy(update={"make_up_workdays": year.make_up_workdays[1:]})
    problems = differences(SHIPPED.with_notice(shifted))
    assert len(problems) == 1 and "2026 make-up working days" in problems[0] and "2026-01-04" in problems[0]


def test_a_year_chinese_calendar_lacks_cannot_be_built() -> None:
    with pytest.raises(CalendarFileError, match=r"no holidays for 2027.*import the State Council's notice"):
        build_year(2027)


def test_the_example_notice_is_the_2026_notice_as_chinese_calendar_has_it() -> None:
    imported = read_notice(EXAMPLE)
    assert imported.year == 2026
    assert imported.holiday_days() == build_year(2026).holiday_days()
    assert set(imported.make_up_workdays) == set(build_year(2026).make_up_workdays)
    assert imported.holidays[0].name == "元旦 New Year's Day"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"make_up_workdays": [date(2029, 12, 29)]}, "make-up working day 2029-12-29 is not in 2030"),
        (
            {"holidays": [HolidayPeriod(name="元旦", first=date(2029, 12, 31), last=date(2030, 1, 1))]},
            "元旦: 2029-12-31 is not in 2030",
        ),
        ({"make_up_workdays": [date(2030, 10, 5)]}, "2030-10-05 is both a holiday"),
        ({"make_up_workdays": [date(2030, 9, 30)]}, "2030-09-30 is a weekday"),
        ({"make_up_workdays": [date(2030, 9, 29), date(2030, 9, 29)]}, "listed twice"),
        (
            {
                "holidays": [
                    HolidayPeriod(name="A", first=date(2030, 10, 1), last=date(2030, 10, 3)),
                    HolidayPeriod(name="B", first=date(2030, 10, 3), last=date(2030, 10, 4)),
                ]
            },
            "2030-10-03 is in both A and B",
        ),
        ({"holidays": []}, "at least 1 item"),
    ],
)
def test_a_notice_that_does_not_hold_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        notice(**changes)


def test_a_holiday_period_needs_a_name_and_an_order() -> None:
    with pytest.raises(ValidationError, match="needs a name"):
        HolidayPeriod(name=" ", first=date(2030, 1, 1), last=date(2030, 1, 1))
    with pytest.raises(ValidationError, match="before it starts"):
        HolidayPeriod(name="元旦", first=date(2030, 1, 2), last=date(2030, 1, 1))


def test_a_calendar_file_states_the_years_of_its_notices() -> None:
    with pytest.raises(ValidationError, match="must list the notices' years"):
        CalendarFile(name="cn", source="x", years=[2030, 2031], notices=[notice()])
    added = SHIPPED.with_notice(notice())
    assert added.years == [2025, 2026, 2030]
    assert date(2030, 10, 2) in added.calendar().holidays
    assert added.calendar().is_working_day(date(2030, 9, 29))


def test_uncovered_years_and_the_coverage_warning() -> None:
    cn = load_calendar("cn")
    assert uncovered_years(cn, date(2026, 10, 1), 60) == []
    assert uncovered_years(cn, date(2026, 12, 1), 60) == [2027]
    assert coverage_warning(cn, date(2026, 10, 1)) is None
    warning = coverage_warning(cn, date(2026, 12, 1))
    assert warning is not None and "not 2027" in warning and "provisional" in warning


# ---------------------------------------------------------------- the command


@pytest.fixture
def calendar_copy(tmp_path: Path) -> Path:
    path = tmp_path / "cn.json"
    shutil.copy(CALENDARS / "cn.json", path)
    return path


def test_build_adds_a_year_from_chinese_calendar(calendar_copy: Path) -> None:
    result = CliRunner().invoke(calendar_app, ["build", "2024", "--calendar", str(calendar_copy)])
    assert result.exit_code == 0, result.output
    file = read_calendar_file(str(calendar_copy))
    assert file.years == [2024, 2025, 2026]
    assert differences(file) == []


def test_import_adds_a_year_from_an_operators_notice(calendar_copy: Path, tmp_path: Path) -> None:
    toml = tmp_path / "2030.toml"
    toml.write_text(
        'year = 2030\nsource = "a test notice"\nmake_up_workdays = [2030-09-29]\n\n'
        '[[holiday]]\nname = "国庆节"\nfrom = 2030-10-01\nto = 2030-10-07\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(calendar_app, ["import", str(toml), "--calendar", str(calendar_copy)])
    assert result.exit_code == 0, result.output
    assert "added 2030" in result.output
    assert read_calendar_file(str(calendar_copy)).years == [2025, 2026, 2030]


def test_a_bad_notice_is_refused_and_changes_nothing(calendar_copy: Path, tmp_path: Path) -> None:
    before = calendar_copy.read_text("utf-8")
    toml = tmp_path / "bad.toml"
    toml.write_text(
        'year = 2030\nsource = "a test notice"\nmake_up_workdays = [2030-10-02]\n\n'
        '[[holiday]]\nname = "国庆节"\nfrom = 2030-10-01\nto = 2030-10-07\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(calendar_app, ["import", str(toml), "--calendar", str(calendar_copy)])
    assert result.exit_code == 1
    assert "both a holiday" in result.output
    assert calendar_copy.read_text("utf-8") == before


def test_check_fails_when_the_calendar_disagrees_with_chinese_calendar(calendar_copy: Path) -> None:
    raw = json.loads(calendar_copy.read_text("utf-8"))
    raw["notices"][1]["make_up_workdays"] = raw["notices"][1]["make_up_workdays"][1:]
    calendar_copy.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(calendar_app, ["check", "--calendar", str(calendar_copy), "--days", "0"])
    assert result.exit_code == 1
    assert "2026 make-up working days" in result.output
