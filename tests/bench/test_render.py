"""bench.render: BENCHMARKS.md's marked tables come from one results file, and only from it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.render import DOC, MARKED, RenderError, main, render
from bench.results import FIGURES, Results, figures

CPU = {"worker": 3.2, "server": 12.8, "postgres": 0.5, "client": 1.4}


def results(open_rate: float) -> Results:
    values: dict[str, tuple[float | None, float]] = {key: (2.0, 1.5) for key, *_ in FIGURES}
    values["open_rate"] = (100.0, open_rate)
    return Results(
        started_at=datetime(2026, 12, 1, 22, 25, tzinfo=UTC),
        seconds=400.0,
        machine={"cores": 2, "load_average_at_start": [0.1], "load_average_at_end": [2.0]},
        settings={
            "cases": 10_000,
            "empty_workflows": 2_000,
            "concurrency": 20,
            "samples": 300,
            "replays": 50,
            "commit": "abc1234",
            "payload_codec": "AES-256-GCM",
        },
        figures=figures(values, {}),
        details={"cpu_ms": {"per_empty_workflow": CPU, "per_case_opened": CPU}},
    )


def test_the_document_has_every_block_and_its_tables_are_rewritten() -> None:
    doc = DOC.read_text("utf-8")
    first = render(doc, results(85.0), "bench/results/2026-12-01.json")
    assert "| cases opened" in first and "| 85.0 | 0.85× | ≥ 0.8 × baseline | met |" in first
    assert "From `bench/results/2026-12-01.json`" in first and "`abc1234`" in first
    second = render(first, results(40.0), "bench/results/2026-12-02.json")
    assert "| 40.0 | 0.40× | ≥ 0.8 × baseline | **missed** |" in second
    assert "0.85×" not in second and "2026-12-01.json" not in second  # replaced, not appended
    outside = lambda text: MARKED.sub("", text)  # noqa: E731
    assert outside(second) == outside(doc)  # the prose is left as it was


def test_a_document_missing_a_block_is_refused() -> None:
    with pytest.raises(RenderError, match="no cpu"):
        render(
            "<!-- bench:run -->\n<!-- /bench:run -->\n<!-- bench:figures -->\n<!-- /bench:figures -->\n",
            results(1),
            "x",
        )
    with pytest.raises(RenderError, match="unknown block"):
        render(DOC.read_text("utf-8") + "<!-- bench:nope -->\n<!-- /bench:nope -->\n", results(1), "x")


def test_check_tells_a_stale_document_from_a_current_one(tmp_path: Path) -> None:
    file, doc = tmp_path / "r.json", tmp_path / "BENCHMARKS.md"
    file.write_text(results(85.0).to_json(), encoding="utf-8")
    doc.write_text(DOC.read_text("utf-8"), encoding="utf-8")
    assert json.loads(file.read_text("utf-8"))["figures"][0]["ratio"] == 0.85
    assert main([str(file), "--doc", str(doc)]) == 0
    assert main([str(file), "--doc", str(doc), "--check"]) == 0
    file.write_text(results(40.0).to_json(), encoding="utf-8")
    assert main([str(file), "--doc", str(doc), "--check"]) == 1
