"""`python -m bench.simulate` on a small county month: the cases run to the report and chart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_small_simulation_writes_the_report(pg_url: str, tmp_path: Path) -> None:
    # two time-skipping servers, a group of townships each, stepped together
    args = [
        "--cases",
        "50",
        "--days",
        "20",
        "--servers",
        "2",
        "--out",
        str(tmp_path),
        "--database-url",
        pg_url,
    ]
    run = subprocess.run(
        [sys.executable, "-m", "bench.simulate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["opened"] == 50
    assert len(summary["processes"]["test_server_cpu_s"]) == len(summary["processes"]["worker_cpu_s"]) == 2
    assert summary["closed"] + summary["stuck"] <= 50 and summary["closed"] > 0
    assert summary["actions"].get("accept", 0) > 0
    assert sum(summary["database"]["status"].values()) == 50
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["settling"]["closed"] > 0
    assert (tmp_path / "report.csv").read_text("utf-8").startswith("section,key,metric,value")
    assert (tmp_path / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "court-referrals.json").exists()
