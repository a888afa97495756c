"""`mediation report`: tables on screen, CSV, JSON and a chart on disk; mistakes in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[2]
NOVEMBER = ("--from", "2026-11-01", "--to", "2026-11-30")


def mediation(database: tuple[str, AsyncEngine], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database[0], "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_report_prints_tables_and_writes_the_files(
    reports_database: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    files = {kind: tmp_path / f"november.{kind}" for kind in ("csv", "json", "png")}
    result = mediation(
        reports_database,
        "report",
        "--township",
        "431199001",
        *NOVEMBER,
        "--csv",
        str(files["csv"]),
        "--json",
        str(files["json"]),
        "--chart",
        str(files["png"]),
    )
    assert result.returncode == 0, result.stderr
    for heading in ("Cases by settling level", "Outcomes per committee", "Days per stage", "Escalations"):
        assert heading in result.stdout
    assert "42.9%" in result.stdout
    assert files["csv"].read_text("utf-8").startswith("section,key,metric,value\n")
    assert json.loads(files["json"].read_text("utf-8"))["settling"]["closed"] == 7
    assert files["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_court_referrals_are_a_channel(reports_database: tuple[str, AsyncEngine], tmp_path: Path) -> None:
    path = tmp_path / "court.json"
    result = mediation(
        reports_database,
        "report",
        "--county",
        "431199",
        *NOVEMBER,
        "--channel",
        "court_referral",
        "--json",
        str(path),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(path.read_text("utf-8"))
    assert (report["settling"]["closed"], report["settling"]["settled"]) == (1, 1)


def test_mistakes_are_one_line(reports_database: tuple[str, AsyncEngine]) -> None:
    no_place = mediation(reports_database, "report", *NOVEMBER)
    backwards = mediation(
        reports_database, "report", "--village", "431199001001", "--from", "2026-12-01", "--to", "2026-11-01"
    )
    bad_place = mediation(reports_database, "report", "--township", "4311990")
    for result in (no_place, backwards, bad_place):
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "give --county, --township or --village" in no_place.stderr
    assert "a period must end after it starts" in backwards.stderr
    assert "is not a county (6 digits)" in bad_place.stderr
