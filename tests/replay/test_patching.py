"""What `workflow.patched` is for, on a workflow of two steps instead of the mediation case.

`MediationCase` has one version: none has been deployed, so no history of another exists. Once
one is, a change that alters the commands a running case issues must still replay the histories
of the cases it inherits (README, "Changing the workflow while cases run"). Here: a deployed
workflow that waits a day; the change notifies someone first. Unguarded, the recorded case fails
to replay; behind `workflow.patched`, it replays as it ran and new runs take the new branch; once
no old case is open, `workflow.deprecate_patch` keeps the new runs replaying.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

NOTIFY_FIRST = "notify-first"
A_DAY = timedelta(days=1)
TIMEOUT = timedelta(seconds=10)


@activity.defn
async def notify() -> None:
    pass


@workflow.defn(name="Reminder", sandboxed=False)
class Deployed:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(A_DAY)


@workflow.defn(name="Reminder", sandboxed=False)
class ChangedUnguarded:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(notify, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(A_DAY)


@workflow.defn(name="Reminder", sandboxed=False)
class ChangedBehindAPatch:
    @workflow.run
    async def run(self) -> None:
        if workflow.patched(NOTIFY_FIRST):
            await workflow.execute_activity(notify, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(A_DAY)


@workflow.defn(name="Reminder", sandboxed=False)
class PatchDeprecated:
    @workflow.run
    async def run(self) -> None:
        workflow.deprecate_patch(NOTIFY_FIRST)
        await workflow.execute_activity(notify, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(A_DAY)


async def _run(env: WorkflowEnvironment, code: type) -> WorkflowHistory:
    """One case run to its end by a worker of `code` on the time-skipping server: its history."""
    task_queue = f"patching-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=task_queue, workflows=[code], activities=[notify]):
        handle = await env.client.start_workflow(
            "Reminder", id=f"reminder-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await handle.result()
    return await handle.fetch_history()


async def _replay(code: type, history: WorkflowHistory) -> None:
    await Replayer(workflows=[code]).replay_workflow(history)


def _kinds(history: WorkflowHistory) -> list[EventType.ValueType]:
    return [event.event_type for event in history.events]


async def test_a_changed_command_sequence_breaks_a_recorded_case(env: WorkflowEnvironment) -> None:
    recorded = await _run(env, Deployed)
    await _replay(Deployed, recorded)
    with pytest.raises(workflow.NondeterminismError):
        await _replay(ChangedUnguarded, recorded)


async def test_behind_a_patch_old_cases_replay_and_new_runs_take_the_new_branch(
    env: WorkflowEnvironment,
) -> None:
    recorded = await _run(env, Deployed)
    await _replay(ChangedBehindAPatch, recorded)

    new = await _run(env, ChangedBehindAPatch)
    kinds = _kinds(new)
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in kinds
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in _kinds(recorded)
    await _replay(ChangedBehindAPatch, new)
    # a worker still on the deployed code cannot take a case the new code has run
    with pytest.raises(workflow.NondeterminismError):
        await _replay(Deployed, new)
    # once no case from before the patch is open: deprecate it, then drop the old branch
    await _replay(PatchDeprecated, new)
