"""The intake records a case's opening right after it numbers it: the workflow's first
task rebuilds that state by the same rule and writes nothing; the same intake again, or after a
stop between the commit and the start, leaves one case, one set of rows and one notice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models import rules
from models.case import CaseInput, CaseState
from models.effects import CaseProjection, StageRecord
from models.records import projection, stage_record
from models.view import case_view
from policies import load_policy
from service import intake as intake_module
from service.intake import open_case
from tests.cases import STARTED, history, rows, settle, stage_rows
from tests.factories import FIELDS, intake
from tests.workflows.helpers import Handle, case_row, outbox_rows

MARKER = EventType.EVENT_TYPE_MARKER_RECORDED
ACTIVITY = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
POLICY = "gaotai-4x7"


async def _open(
    env: WorkflowEnvironment, engine: AsyncEngine, ref: str, task_queue: str, **kw: Any
) -> Handle:
    result = await open_case(
        env.client,
        engine,
        intake(intake_ref=ref),
        load_policy(POLICY),
        fields=FIELDS,
        task_queue=task_queue,
        **kw,
    )
    handle: Handle = env.client.get_workflow_handle(result.case_id)
    STARTED.append(handle)
    return handle


async def _input(env: WorkflowEnvironment, handle: Handle) -> CaseInput:
    """The input the workflow started with, decoded as the worker decodes it."""
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        (case,) = await env.client.data_converter.decode(payloads, [CaseInput])
        assert isinstance(case, CaseInput)
        return case
    raise AssertionError("no history")


async def _counts(engine: AsyncEngine, case_id: str) -> dict[str, int]:
    tables = ["case_numbers", "cases", "stages", "case_parties", "case_events", "outbox"]
    found = {}
    for table in tables:
        (row,) = await rows(engine, f"SELECT count(*) AS n FROM {table} WHERE case_id = :c", c=case_id)
        found[table] = row["n"]
    return found


def _rebuilt(case: CaseInput) -> CaseState:
    """The state the workflow's first task adopts: the opening rule on the input's route and clock."""
    assert case.route is not None and case.opened_at is not None
    return rules.open_case(case, case.route, case.opened_at)[0]


async def test_the_workflow_holds_the_opening_the_intake_recorded_and_writes_nothing(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    now = await env.get_current_time()
    handle = await _open(env, engine, f"at-intake-{uuid.uuid4().hex[:8]}", task_queue, now=now)
    view = await settle(handle)
    events = await history(handle)
    # no local activity's marker, no activity: the first task only computes the state and arms the timer
    assert MARKER not in events and ACTIVITY not in events
    assert EventType.EVENT_TYPE_TIMER_STARTED in events

    case = await _input(env, handle)
    assert case.opening_recorded and case.opened_at == now
    state = _rebuilt(case)
    # the workflow holds that state: its view is the rebuilt state's view
    assert view == case_view(state)
    # and PostgreSQL holds what the intake wrote from it: the same projection and stage row
    row = await case_row(engine, case.case_id)
    assert CaseProjection.model_validate(row) == projection(state, rules.next_deadline(state))
    (stage,) = await stage_rows(engine, case.case_id)
    assert StageRecord.model_validate(stage) == stage_record(state, state.stage)
    assert stage["version"] == state.version
    parties = await rows(engine, "SELECT party_id FROM case_parties WHERE case_id = :c", c=case.case_id)
    assert sorted(p["party_id"] for p in parties) == case.intake.party_ids()
    (notice,) = await outbox_rows(engine, case.case_id, "handoff")
    assert notice["recipient"] == f"committee:{state.stage.committee.id}"


async def test_the_same_intake_twice_writes_the_opening_once(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    ref = f"twice-{uuid.uuid4().hex[:8]}"
    now = await env.get_current_time()
    first = await _open(env, engine, ref, task_queue, now=now)
    await settle(first)
    written = await _counts(engine, first.id)
    assert written["case_numbers"] == written["cases"] == written["stages"] == 1
    opened = await case_row(engine, first.id)

    again = await _open(env, engine, ref, task_queue, now=now + timedelta(minutes=5))
    assert again.id == first.id
    assert await _counts(engine, first.id) == written
    assert await case_row(engine, first.id) == opened
    assert (await history(first)).count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) == 1


class _Stopped(Exception):
    """The intake's process, gone at the step it was patched into."""


async def _stopped(*args: object, **kwargs: object) -> None:
    raise _Stopped


async def test_a_stop_between_the_commit_and_the_start_is_healed_by_the_same_intake(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    worker: Worker,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = f"healed-{uuid.uuid4().hex[:8]}"
    now = await env.get_current_time()

    with monkeypatch.context() as patched:
        patched.setattr(env.client, "start_workflow", _stopped)
        with pytest.raises(_Stopped):
            await _open(env, engine, ref, task_queue, now=now)
    (numbered,) = await rows(engine, "SELECT case_id FROM case_numbers WHERE intake_key = :k", k=f"ref:{ref}")
    case_id = numbered["case_id"]
    written = await _counts(engine, case_id)
    assert written["cases"] == written["stages"] == 1 and written["outbox"] >= 1
    with pytest.raises(RPCError):  # the opening is committed, the workflow never started
        await env.client.get_workflow_handle(case_id).describe()

    # the retry comes later: the case keeps the clock it was opened (and recorded) at
    handle = await _open(env, engine, ref, task_queue, now=now + timedelta(minutes=10))
    assert handle.id == case_id
    view = await settle(handle)
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
    assert MARKER not in await history(handle)
    case = await _input(env, handle)
    assert case.opening_recorded and case.opened_at == now
    assert view == case_view(_rebuilt(case))
    assert await _counts(engine, case_id) == written
    row = await case_row(engine, case_id)
    assert row["version"] == 1 and row["opened_at"] == now


async def test_a_stop_between_the_number_and_the_opening_is_healed_by_the_same_intake(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    worker: Worker,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The number is committed on its own (the county's counter is locked only while numbering);
    an intake that stops before the opening's own commit leaves a number and no rows, and the same
    intake again writes the opening at its own clock (under the number row's lock), once, and
    starts the workflow on it."""
    ref = f"numbered-only-{uuid.uuid4().hex[:8]}"
    now = await env.get_current_time()

    with monkeypatch.context() as patched:
        patched.setattr(intake_module, "_record_opening", _stopped)
        with pytest.raises(_Stopped):
            await _open(env, engine, ref, task_queue, now=now)
    (numbered,) = await rows(engine, "SELECT case_id FROM case_numbers WHERE intake_key = :k", k=f"ref:{ref}")
    case_id = numbered["case_id"]
    assert await _counts(engine, case_id) == {
        "case_numbers": 1,
        "cases": 0,
        "stages": 0,
        "case_parties": 0,
        "case_events": 0,
        "outbox": 0,
    }

    handle = await _open(env, engine, ref, task_queue, now=now + timedelta(minutes=10))
    assert handle.id == case_id
    await settle(handle)
    case = await _input(env, handle)
    assert case.opening_recorded and case.opened_at == now + timedelta(minutes=10)
    assert MARKER not in await history(handle)
    written = await _counts(engine, case_id)
    assert written["cases"] == written["stages"] == 1 and written["outbox"] >= 1
    again = await _open(env, engine, ref, task_queue, now=now + timedelta(minutes=20))
    assert again.id == case_id and await _counts(engine, case_id) == written


async def test_the_same_intake_twice_at_once_agrees_on_one_opening(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    """Two calls of one intake at the same moment (a double submit): the number row's lock lets one
    write the opening and the other rebuild it from that row, so the workflow runs on the clock
    PostgreSQL holds, whichever call started it."""
    now = await env.get_current_time()
    for attempt in range(3):
        ref = f"twice-at-once-{attempt}-{uuid.uuid4().hex[:8]}"
        first, second = await asyncio.gather(
            _open(env, engine, ref, task_queue, now=now),
            _open(env, engine, ref, task_queue, now=now + timedelta(minutes=5)),
        )
        assert first.id == second.id
        await settle(first)
        counts = await _counts(engine, first.id)
        assert counts["cases"] == counts["stages"] == 1
        case = await _input(env, first)
        row = await case_row(engine, first.id)
        assert case.opening_recorded and case.opened_at == row["opened_at"]
        assert MARKER not in await history(first)
