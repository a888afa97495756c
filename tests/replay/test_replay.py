"""Running cases survive code changes: recorded histories replay against the current code.

A change that would break a running case (a new activity, a timer fewer) fails here, in CI.
`current` was recorded by `python -m tests.replay.record` with today's code; the workflow has
one version, since no deployment has run it yet. Once one has, its histories are kept in a
folder of their own beside `current` and replay here too (README, "Changing the workflow while
cases run"); tests/replay/test_patching.py shows what a change without `workflow.patched` does
to them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.scenarios import SCENARIOS
from workflows import WORKFLOWS

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.rglob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


def test_every_path_has_a_recorded_history() -> None:
    assert {p.stem for p in (HERE / "current").glob("*.json")} == set(SCENARIOS)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(_history(path))
