"""What a transition costs in history: one local activity, the timer kept when it has no reason to
move, and only the search attributes that changed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, ActionInput, Extend, RecordSession
from models.calendar import Span, Unit
from models.enums import DisputeType
from policies import load_policy
from service.intake import open_case
from tests.cases import STARTED, history, settle
from tests.factories import FIELDS, case_input, intake
from tests.workflows.helpers import GRID, Handle, act, mediator, raw_search_attributes, rows, start

MARKER = EventType.EVENT_TYPE_MARKER_RECORDED
TIMER_STARTED = EventType.EVENT_TYPE_TIMER_STARTED
TIMER_CANCELED = EventType.EVENT_TYPE_TIMER_CANCELED
UPSERT = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
ACTIVITY = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED


async def events_of(handle: Handle, action: ActionInput) -> list[EventType.ValueType]:
    """The events `act(handle, action)` added to the case's history."""
    before = len(await history(handle))
    await act(handle, action)
    return (await history(handle))[before:]


async def test_a_session_adds_one_local_activity_and_keeps_the_timer(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(107001)
    handle = await start(env, case, task_queue)
    accepted = await events_of(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    # the deadline moved (acceptance → mediation): the timer is re-armed, the attributes follow
    assert accepted.count(MARKER) == 1 and ACTIVITY not in accepted
    assert (accepted.count(TIMER_CANCELED), accepted.count(TIMER_STARTED), accepted.count(UPSERT)) == (
        1,
        1,
        1,
    )

    now = await env.get_current_time()
    session = RecordSession(actor=mediator(GRID), held_at=now, attendees=["P1", "P2"], notes="双方到场")
    first = await events_of(handle, session)
    again = await events_of(handle, session.model_copy(update={"notes": "再次调解"}))
    for recorded in (first, again):
        assert recorded.count(MARKER) == 1 and ACTIVITY not in recorded
        assert TIMER_CANCELED not in recorded and TIMER_STARTED not in recorded and UPSERT not in recorded
    events = await rows(engine, "SELECT kind FROM case_events WHERE case_id = :c", c=case.case_id)
    assert [e["kind"] for e in events] == ["session", "session"]

    extension = Extend(
        actor=mediator(GRID),
        by=Span(amount=2, unit=Unit.WORKING_DAYS),
        consenting_parties=["P1", "P2"],
        reason="需要补充材料",
    )
    extended = await events_of(handle, extension)
    assert (extended.count(TIMER_CANCELED), extended.count(TIMER_STARTED), extended.count(UPSERT)) == (
        1,
        1,
        1,
    )


async def test_opening_records_with_one_local_activity(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(107002, dispute_type=DisputeType.NEIGHBOUR)
    handle = await start(env, case, task_queue)
    events = await history(handle)
    # the record's marker and nothing else: no version markers (the workflow has one version)
    assert ACTIVITY not in events and events.count(MARKER) == 1
    (row,) = await rows(engine, "SELECT status FROM cases WHERE case_id = :c", c=case.case_id)
    assert row["status"] == "awaiting_acceptance"


async def test_a_case_opened_at_intake_starts_with_its_search_attributes(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    intake_ = intake(intake_ref=f"lean-{uuid.uuid4().hex[:8]}")
    now = await env.get_current_time()
    result = await open_case(
        env.client, engine, intake_, load_policy("gaotai-4x7"), fields=FIELDS, task_queue=task_queue, now=now
    )
    handle = env.client.get_workflow_handle(result.case_id)
    STARTED.append(handle)
    view = await settle(handle)
    # no upserts: level, committee, status and deadline were set when the case started, from the
    # rule the workflow then ran
    assert UPSERT not in await history(handle)
    raw = await raw_search_attributes(env.client, handle)
    decoded = {k: env.client.data_converter.payload_converter.from_payload(v) for k, v in raw.items()}
    assert decoded["MediationLevel"] == view.level.value == "grid"
    assert decoded["MediationCommittee"] == view.committee_id
    assert decoded["MediationStatus"] == "awaiting_acceptance"
