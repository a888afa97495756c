"""Running cases survive code changes: recorded histories replay against the current code.

A change that would break a running case (a new activity, a timer fewer) fails here, in CI.
Each folder was recorded by `python -m tests.replay.record <folder>` with the code of its time:
`v1-before-session-records` before session records were added behind
`workflow.patched(SESSION_RECORDS)`; `v2-activity-records` before transitions were recorded by a
local activity behind `workflow.patched(LEAN_TRANSITIONS)`; `v3-before-art85` before Art. 85 counting behind
`workflow.patched(ART85_COUNTING)`; `current` with today's code. They prove the patches keep old
cases safe.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from tests.replay.scenarios import NEW_SCENARIOS, SCENARIOS
from workflows import WORKFLOWS
from workflows.mediation_case import ART85_COUNTING, LEAN_TRANSITIONS, SESSION_RECORDS

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.rglob("*.json"))
BEFORE_SESSION_RECORDS = HERE / "v1-before-session-records"
ACTIVITY_RECORDS = HERE / "v2-activity-records"
BEFORE_ART85 = HERE / "v3-before-art85"


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


def test_every_path_has_a_recorded_history() -> None:
    for folder in (BEFORE_SESSION_RECORDS, ACTIVITY_RECORDS, BEFORE_ART85):
        assert {p.stem for p in folder.glob("*.json")} == set(SCENARIOS) - NEW_SCENARIOS
    assert {p.stem for p in (HERE / "current").glob("*.json")} == set(SCENARIOS)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(_history(path))


@pytest.mark.parametrize(
    "patch, path",
    [
        (SESSION_RECORDS, BEFORE_SESSION_RECORDS / "village_agreement_performed.json"),
        (LEAN_TRANSITIONS, ACTIVITY_RECORDS / "ladder_to_overdue.json"),
        (ART85_COUNTING, BEFORE_ART85 / "court_returned.json"),
    ],
    ids=["session-records", "lean-transitions", "art85-counting"],
)
async def test_without_the_patch_a_running_case_would_break(
    monkeypatch: pytest.MonkeyPatch, patch: str, path: Path
) -> None:
    """Each change taken unguarded: a case recorded before it fails to replay."""
    real = workflow.patched
    monkeypatch.setattr(workflow, "patched", lambda id: True if id == patch else real(id))
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    result = await replayer.replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondeterminism" in type(result.replay_failure).__name__.lower() or "Nondeterminism" in str(
        result.replay_failure
    )
