"""Steps shared by the scenario tests: start a case, wait for it, act on it, read its rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.testing import WorkflowEnvironment

from models.actions import PAYLOADS, ActionInput
from models.case import CaseInput
from models.enums import Level
from models.view import CaseView
from tests.factories import FIELDS, route
from workflows import MediationCase

Handle = WorkflowHandle[MediationCase, CaseView]

ROUTE = route()
GRID = ROUTE.by_level[Level.GRID]
VILLAGE = ROUTE.by_level[Level.VILLAGE]
TOWNSHIP = ROUTE.by_level[Level.TOWNSHIP]
COUNTY = ROUTE.by_level[Level.COUNTY]

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

# What the time-skipping server records for an update its validator rejects (and for a query):
# a workflow task and nothing else. A real server records nothing at all.
WFT_BOOKKEEPING = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
)

# Cases started by the running test; `stop_open_cases` terminates those still open.
STARTED: list[Handle] = []


@pytest_asyncio.fixture(autouse=True)
async def stop_open_cases() -> AsyncIterator[None]:
    """Terminate the cases a test leaves open (import this fixture into a folder's conftest).

    Once its worker is gone, an open case's next timer leaves a workflow task that no one
    polls, and the time-skipping server will not skip time past an outstanding task: every
    later `env.sleep` would hang.
    """
    STARTED.clear()
    yield
    for handle in STARTED:
        if not await is_closed(handle):
            await handle.terminate(reason="test finished")
    STARTED.clear()


async def act(handle: Handle, payload: ActionInput) -> CaseView:
    """Send the update named after the payload's action (`Accept` → `accept`) and return the view."""
    (action,) = [a for a, kind in PAYLOADS.items() if kind is type(payload)]
    return await handle.execute_update(action.value, payload, result_type=CaseView)


async def start(env: WorkflowEnvironment, case: CaseInput, task_queue: str) -> Handle:
    """Start a case and return once it has opened and recorded its first stage."""
    handle = await env.client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    STARTED.append(handle)
    await opened(handle)
    await settle(handle)
    return handle


async def opened(handle: Handle, attempts: int = 400) -> CaseView:
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


async def history(handle: Handle) -> list[EventType.ValueType]:
    return [event.event_type async for event in handle.fetch_history_events()]


async def is_closed(handle: Handle) -> bool:
    return (await history(handle))[-1] in _CLOSED


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


async def stage_rows(engine: AsyncEngine, case_id: str) -> list[dict[str, Any]]:
    """The stage rows, their reasons and agreement terms opened (they are stored sealed)."""
    found = await rows(engine, "SELECT * FROM stages WHERE case_id = :c ORDER BY stage_no", c=case_id)
    return [
        row
        | {
            "reason": FIELDS.open_text(row["reason"], "stages.reason"),
            "agreement": FIELDS.open_agreement(row["agreement"]),
        }
        for row in found
    ]


async def case_row(engine: AsyncEngine, case_id: str) -> dict[str, Any]:
    (row,) = await rows(engine, "SELECT * FROM cases WHERE case_id = :c", c=case_id)
    return row


async def outbox_rows(engine: AsyncEngine, case_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = await rows(engine, "SELECT * FROM outbox WHERE case_id = :c ORDER BY id", c=case_id)
    return [FIELDS.open_notice(row) for row in found if kind is None or row["kind"] == kind]
