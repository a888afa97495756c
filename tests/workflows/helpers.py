"""Shared steps of the workflow scenarios: start a case, read it back, skip time, read the rows."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.testing import WorkflowEnvironment

from models.actions import PAYLOADS, ActionInput
from models.case import Actor, CaseInput, Committee
from models.enums import Level
from models.view import CaseView
from tests.factories import member_of, route
from workflows import MediationCase

Handle = WorkflowHandle[MediationCase, CaseView]

ROUTE = route()
GRID = ROUTE.by_level[Level.GRID]
VILLAGE = ROUTE.by_level[Level.VILLAGE]
TOWNSHIP = ROUTE.by_level[Level.TOWNSHIP]
COUNTY = ROUTE.by_level[Level.COUNTY]
MEDICAL = next(c for c in ROUTE.specialised if c.id == "C-431199-MED")
SUPERVISOR_RECIPIENT = "supervisor:431199"

# A workflow whose history ends with one of these has nothing in flight.
_IDLE_TAIL = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}
_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
}
_ACTIVITY_CLOSED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}


def mediator(committee: Committee) -> Actor:
    """The first member of `committee`, acting for it."""
    return member_of(committee)


# Cases started by the running test; `conftest.stop_open_cases` terminates those still open.
STARTED: list[Handle] = []


async def act(handle: Handle, payload: ActionInput) -> CaseView:
    """Send the update named after the payload's action (`Accept` → `accept`) and return the view."""
    (action,) = [a for a, kind in PAYLOADS.items() if kind is type(payload)]
    return await handle.execute_update(action.value, payload, result_type=CaseView)


async def start(env: WorkflowEnvironment, case: CaseInput, task_queue: str) -> Handle:
    """Start a case and return once it has opened and recorded its first stage."""
    handle = await env.client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    STARTED.append(handle)
    await ready(handle)
    await settle(handle)
    return handle


async def ready(handle: Handle, attempts: int = 400) -> CaseView:
    """The case's view as soon as the `state` query stops raising (the case has opened)."""
    for _ in range(attempts):
        try:
            return await state(handle)
        except WorkflowQueryFailedError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not open")


async def state(handle: Handle) -> CaseView:
    return await handle.query(MediationCase.query_state)


async def settle(handle: Handle, attempts: int = 400) -> CaseView:
    """The view once the case has nothing in flight: no transition being recorded, no task pending."""
    for _ in range(attempts):
        view = await state(handle)
        if view.waiting_for is None and not await in_flight(handle):
            return await state(handle)
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not settle")


async def advance_past(
    env: WorkflowEnvironment, handle: Handle, when: datetime, margin: timedelta = timedelta(minutes=1)
) -> CaseView:
    """Skip the test server's clock just past `when` and return the settled view."""
    now = await env.get_current_time()
    if when + margin > now:
        await env.sleep(when + margin - now)
    return await settle(handle)


async def raw_search_attributes(client: Client, handle: Handle) -> dict[str, Payload]:
    """The search attributes as stored, undecoded.

    The time-skipping server keeps an unset attribute as a `binary/null` payload, which
    `handle.describe()` cannot decode; a real server drops it.
    """
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    return dict(raw.workflow_execution_info.search_attributes.indexed_fields)


async def in_flight(handle: Handle) -> bool:
    """Whether the case has a task or an activity outstanding, from its history."""
    open_activities: set[int] = set()
    last = None
    async for event in handle.fetch_history_events():
        last = event.event_type
        if last == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            open_activities.add(event.event_id)
        elif last in _ACTIVITY_CLOSED:
            attributes = getattr(event, event.WhichOneof("attributes") or "")
            open_activities.discard(attributes.scheduled_event_id)
    return bool(open_activities) or last not in _IDLE_TAIL


async def is_closed(handle: Handle) -> bool:
    events = await history(handle)
    return events[-1] in _CLOSED


async def history(handle: Handle) -> list[EventType.ValueType]:
    return [event.event_type async for event in handle.fetch_history_events()]


async def activity_names(handle: Handle) -> list[str]:
    """The activity type of every ActivityTaskScheduled event, in order."""
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


async def stage_rows(engine: AsyncEngine, case_id: str) -> list[dict[str, Any]]:
    return await rows(engine, "SELECT * FROM stages WHERE case_id = :c ORDER BY stage_no", c=case_id)


async def case_row(engine: AsyncEngine, case_id: str) -> dict[str, Any]:
    (row,) = await rows(engine, "SELECT * FROM cases WHERE case_id = :c", c=case_id)
    return row


async def outbox_rows(engine: AsyncEngine, case_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = await rows(engine, "SELECT * FROM outbox WHERE case_id = :c ORDER BY id", c=case_id)
    return [row for row in found if kind is None or row["kind"] == kind]
