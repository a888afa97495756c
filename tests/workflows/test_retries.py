"""A transition whose activity is retried after it committed writes its rows once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.inputs import TransitionInput
from activities.records import RecordActivities
from activities.registry import RegistryActivities
from models.actions import Accept, Escalate
from models.case import Committee
from models.enums import Level
from tests.conftest import count
from tests.factories import FIELDS, case_input
from tests.workflows.helpers import (
    GRID,
    VILLAGE,
    Handle,
    act,
    activity_names,
    advance_past,
    mediator,
    settle,
    start,
)
from workflows import WORKFLOWS


class CrashAfterCommit(RecordActivities):
    """Commits the transition, then fails its first attempt as a worker dying before it reports would."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, FIELDS)
        self.crashes = 0
        self.completed: list[int] = []  # the attempt that completed, for each transition

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        committee = await super().record_transition(change)
        if activity.info().attempt == 1:
            self.crashes += 1
            raise RuntimeError("simulated crash after the commit")
        self.completed.append(activity.info().attempt)
        return committee


async def recorded_locally(handle: Handle) -> int:
    """Transitions recorded by a local activity (a marker each in the history)."""
    markers = [
        event.marker_recorded_event_attributes.marker_name
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    return markers.count("core_local_activity")


async def test_a_transition_retried_after_its_commit_writes_each_row_once(
    env: WorkflowEnvironment, engine: AsyncEngine
) -> None:
    task_queue = f"tq-crash-{uuid.uuid4()}"
    records = CrashAfterCommit(engine)
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[records.record_transition, RegistryActivities(engine).resolve_route],
    ):
        # Five transitions, each recorded twice: opening (stage 1, handoff, parties), acceptance,
        # a reminder and an escalation by timeout (timers), an intensifying escalation (notices).
        case = case_input(105001, with_route=False)
        handle = await start(env, case, task_queue)
        view = await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
        (reminder,) = [r for r in view.reminders if not r.sent]
        view = await advance_past(env, handle, reminder.at)
        assert view.reminders_sent == 1
        assert view.mediation_deadline is not None
        view = await advance_past(env, handle, view.mediation_deadline)
        assert view.level is Level.VILLAGE
        view = await act(handle, Escalate(actor=mediator(VILLAGE), reason="冲突升级", intensifying=True))
        assert view.level is Level.TOWNSHIP
        view = await settle(handle)
        markers = await recorded_locally(handle)

    assert records.completed == [2] * 5 and records.crashes == 5 and markers == 5

    async def rows(table: str, what: str = "count(*)", extra: str = "") -> int:
        return await count(engine, f"SELECT {what} FROM {table} WHERE case_id = :c {extra}", c=case.case_id)

    assert await rows("stages") == await rows("stages", "count(DISTINCT stage_no)") == len(view.stages) == 3
    assert await rows("stages", extra="AND outcome = 'escalated'") == 2
    assert await rows("outbox") == await rows("outbox", "count(DISTINCT key)") == 6
    for kind, expected in (("handoff", 3), ("reminder", 1), ("intensification", 2)):
        assert await rows("outbox", extra=f"AND kind = '{kind}'") == expected
    assert await rows("case_parties") == 2
    assert await rows("cases", "version") == view.version


class DownForLocalAttempts(RecordActivities):
    """Fails every attempt made as a local activity, as a database away for longer than the
    local retries last; the regular activity it falls back to finds it back."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, FIELDS)
        self.local_failures = 0

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        if activity.info().is_local:
            self.local_failures += 1
            raise RuntimeError("database unavailable")
        return await super().record_transition(change)


async def test_a_longer_outage_is_waited_out_by_a_regular_activity(
    env: WorkflowEnvironment, engine: AsyncEngine
) -> None:
    task_queue = f"tq-outage-{uuid.uuid4()}"
    records = DownForLocalAttempts(engine)
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[records.record_transition, RegistryActivities(engine).resolve_route],
    ):
        case = case_input(105002)
        handle = await start(env, case, task_queue)
        await settle(handle)
        names = await activity_names(handle)
    assert records.local_failures == 5  # LOCAL_RETRY's attempts, then the fallback
    assert names == ["record_transition"]
    assert await count(engine, "SELECT count(*) FROM cases WHERE case_id = :c", c=case.case_id) == 1
    assert await count(engine, "SELECT count(*) FROM stages WHERE case_id = :c", c=case.case_id) == 1
