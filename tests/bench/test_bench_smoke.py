"""`python -m bench --quick` end to end: every figure lands in results.json (timings never asserted)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from bench.results import FIGURE_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_writes_every_figure(pg_url: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path), "--database-url", pg_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text("utf-8"))
    figures = {f["key"]: f for f in results["figures"]}
    assert list(figures) == FIGURE_KEYS
    for key, figure in figures.items():
        assert isinstance(figure["engine"], float | int), key
        # what else ran on the machine meanwhile: nothing, on a quiet one; 60 cases may not fill the
        # young generation the worker's collector waits for
        may_be_zero = key in ("report_county_cpu_other", "gc_per_case")
        assert figure["engine"] >= 0 if may_be_zero else figure["engine"] > 0, key
        if figure["target"] is not None:
            assert figure["met"] in (True, False), key
    for key in (
        "open_rate",
        "action_p50",
        "action_p50_floor",
        "action_p50_floor_view",
        "query_p50",
        "replay_p50",
        "replay_floor_p50",
        "rss_open_cases",
    ):
        assert figures[key]["baseline"] > 0 and figures[key]["ratio"] > 0, key
    histories = results["details"]["histories"]
    assert histories["four_level_escalation"]["activities"] >= 4  # one stage per level at least
    assert histories["village_agreement"]["updates"] >= 5
    # the replay floor has the full case's shape: its workflow tasks, updates and local activities
    case, floor = histories["four_level_escalation"], histories["floor_case"]
    shape = ("workflow_tasks", "updates", "activities")
    assert [floor[k] for k in shape] == [case[k] for k in shape] and floor["timers_fired"] == 0
    assert (tmp_path / "floor_case.json").exists()
    assert set(results["details"]["cpu_ms_per_update"]) == {
        "bare_update",
        "floor_update",
        "floor_view_update",
        "record_session",
    }
    assert results["details"]["action_turns"] == 20  # --quick: 20 of each kind, in turns of one of each
    assert {"cores", "memory_gib", "python", "temporal_cli"} <= set(results["machine"])
    assert "engine vs Temporal baseline" in run.stdout
    # the production path: the server holds only sealed payloads, the outbox dispatcher delivers
    assert results["details"]["latency_ms"]["floor_update"]["p50"] > 0
    history = json.loads((tmp_path / "four_level_escalation.json").read_text("utf-8"))
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(started["metadata"]["encoding"]) == b"binary/encrypted"
    assert results["details"]["outbox"]["sent"] > 0
