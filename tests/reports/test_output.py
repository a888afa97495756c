"""The report as files a supervisor keeps: CSV, JSON, a PNG chart, and the CLI's tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import matplotlib
import pytest
from rich.console import Console

from models.performance import PerformanceReport, build_report
from service import report_chart
from service.report_chart import draw_chart
from service.report_output import CSV_HEADER, tables, to_csv, to_json
from tests.reports.outcomes import CASES, G1, QUERY, STAGES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def report() -> PerformanceReport:
    return build_report(QUERY, CASES, STAGES)


def _figures(text: str) -> dict[tuple[str, str, str], str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    return {(section, key, metric): value for section, key, metric, value in rows[1:]}


def test_csv_has_one_figure_per_line(report: PerformanceReport) -> None:
    figures = _figures(to_csv(report))
    assert figures[("query", "place", "code")] == "431199001"
    assert figures[("query", "channel", "code")] == "all"
    assert figures[("settling", "all", "closed")] == "7"
    assert figures[("settling", "all", "village_share")] == "0.4286"
    assert figures[("settling", "village", "settled")] == "2"
    assert figures[("settling", "village", "agreed")] == "3"
    assert figures[("outcomes", G1, "agreement")] == "2"
    assert figures[("outcomes", G1, "past_deadline")] == "1"
    assert figures[("durations", "grid", "p90_days")] == "1.75"
    assert figures[("durations", "county", "median_days_to_accept")] == "1.0"
    assert figures[("escalations", "all", "by_timeout")] == "2"
    assert figures[("past_deadline", "all", "stages")] == "4"


def test_csv_leaves_missing_figures_empty() -> None:
    empty = build_report(QUERY, [], [])
    figures = _figures(to_csv(empty))
    assert figures[("settling", "all", "village_share")] == ""
    assert figures[("durations", "all", "median_days")] == ""


def test_json_round_trips(report: PerformanceReport) -> None:
    text = to_json(report)
    assert PerformanceReport.model_validate_json(text) == report
    data = json.loads(text)
    assert data["settling"]["township_share"] == 0.5714
    assert data["query"]["period"]["start"].startswith("2026-10-31T16:00:00")


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_SIGNATURE)


def test_chart_is_a_png(report: PerformanceReport, tmp_path: Path) -> None:
    path = tmp_path / "report.png"
    chinese = draw_chart(report, path)
    _assert_png(path)
    assert chinese == (report_chart.cjk_font() is not None)


def test_chart_falls_back_to_english_without_a_cjk_font(
    report: PerformanceReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_chart, "cjk_font", lambda: None)
    path = tmp_path / "report.png"
    assert draw_chart(report, path) is False
    _assert_png(path)


def test_chart_of_an_empty_period(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    draw_chart(build_report(QUERY, [], []), path, chinese=False)
    _assert_png(path)


def test_tables_show_every_section(report: PerformanceReport) -> None:
    console = Console(record=True, width=200)
    for table in tables(report):
        console.print(table)
    text = console.export_text()
    for heading in ("Cases by settling level", "Outcomes per committee", "Days per stage", "Escalations"):
        assert heading in text
    assert "42.9%" in text and "57.1%" in text


def test_the_cjk_font_comes_from_fontconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setattr(report_chart, "_fontconfig_zh", lambda: ["/nowhere/missing.ttc", str(dejavu)])
    assert report_chart.cjk_font() == "DejaVu Sans"  # the first file fontconfig lists that loads
