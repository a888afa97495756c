"""Out-of-order sequences: refusals interleaved with valid actions that move the case along.

A hypothesis state machine opens a fresh case per run, then either sends a batch of actions
the case must refuse in whatever status it has reached, or applies one valid action (accept,
escalate, transfer, sessions, an extension, an agreement, follow-up visits, judicial
confirmation, a closing). Between two valid actions the case's rows must not change and its
history may gain only the workflow tasks of rejected updates; at the end the history holds
exactly one accepted update per valid action and no failed workflow task.
"""

from __future__ import annotations

from typing import ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import PAYLOADS, ActionInput
from models.enums import CaseStatus
from models.view import CaseView
from service.cases import Cases
from tests.bad_input.bad_actions import Snapshot, bad_actions, moves
from tests.bad_input.helpers import (
    PROPERTY,
    Handle,
    Loop,
    Opened,
    Trace,
    assert_untouched,
    in_thread,
    refuse_all,
    settle,
    trace,
    updates_in,
)

RUNS = 6
STEPS = 25
BATCH = 8


class World:
    """What every run of the machine shares: the loop, the server, the database."""

    def __init__(self, env: WorkflowEnvironment, engine: AsyncEngine, opened: Opened) -> None:
        self.loop, self.env, self.engine, self.opened = Loop(), env, engine, opened
        self.cases = Cases(env.client)
        self.refused = 0
        self.moved: dict[CaseStatus, int] = dict.fromkeys(CaseStatus, 0)


class Sequences(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        self.handle: Handle = world.loop.run(world.opened.case())
        self.valid = 0
        self.snap, self.before = world.loop.run(self._baseline())

    async def _baseline(self) -> tuple[Snapshot, Trace]:
        view = await settle(self.handle)
        snap = Snapshot(view, await self.world.env.get_current_time())
        return snap, await trace(self.handle, self.world.engine)

    def _untouched_since_baseline(self) -> Trace:
        now = self.world.loop.run(trace(self.handle, self.world.engine))
        assert_untouched(self.before, now)
        return now

    @rule(data=st.data())
    def refuse(self, data: st.DataObject) -> None:
        batch = data.draw(st.lists(bad_actions(self.snap), min_size=1, max_size=BATCH), label="batch")
        self.world.loop.run(refuse_all(self.handle, batch, self.world.cases))
        self.world.refused += len(batch)

    @precondition(lambda self: not self.snap.closed)
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        self._untouched_since_baseline()
        action = data.draw(moves(self.snap), label="valid action")
        self.world.moved[self.snap.view.status] += 1
        self.world.loop.run(_act(self.handle, action))
        self.valid += 1
        self.snap, self.before = self.world.loop.run(self._baseline())

    def teardown(self) -> None:
        events = self._untouched_since_baseline().events
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
        assert updates_in(events) == self.valid


async def _act(handle: Handle, payload: ActionInput) -> CaseView:
    (action,) = [a for a, kind in PAYLOADS.items() if kind is type(payload)]
    view: CaseView = await handle.execute_update(action.value, payload, result_type=CaseView)
    return view


async def test_refusals_between_valid_actions_leave_only_the_valid_ones(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    opened = Opened(env, engine, task_queue, [])
    Sequences.world = world = World(env, engine, opened)
    try:
        await in_thread(
            lambda: run_state_machine_as_test(
                Sequences,
                settings=settings(PROPERTY, max_examples=RUNS, stateful_step_count=STEPS),
            )
        )
    finally:
        await opened.close_all()
    assert world.refused >= RUNS * STEPS // 4
    assert all(world.moved[s] for s in (CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING))
