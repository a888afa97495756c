"""Steps of the court and after-agreement scenarios: a referred case, time, and its records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.actions import PAYLOADS, Accept, ActionInput, RecordAgreement
from models.case import CaseInput, Committee
from models.court import CourtReferral
from models.enums import AgreementForm, Channel, Level
from models.view import CaseView
from tests.factories import case_input, member_of, route
from workflows import MediationCase

Handle = WorkflowHandle[MediationCase, CaseView]

ROUTE = route()
GRID = ROUTE.by_level[Level.GRID]
VILLAGE = ROUTE.by_level[Level.VILLAGE]
TOWNSHIP = ROUTE.by_level[Level.TOWNSHIP]
CENTRE = ROUTE.by_level[Level.COUNTY]
COURT = "零陵示范县人民法院"
BOTH = ["P1", "P2"]

# A workflow whose history ends with one of these has nothing in flight.
_IDLE_TAIL = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}
_ACTIVITY_CLOSED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}
_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
}
# What the time-skipping server records for an update its validator rejects.
WFT_BOOKKEEPING = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}

# Cases started by the running test; `conftest.stop_open_cases` terminates those still open.
STARTED: list[Handle] = []


async def referred(env: WorkflowEnvironment, serial: int, committee: Committee = CENTRE) -> CaseInput:
    """A case the court diverts to `committee` before filing (30 days), referred now."""
    case = case_input(serial)
    referral = CourtReferral(
        court=COURT,
        referral_no=f"(2026)湘1199民诉前调{serial}号",
        referred_at=await env.get_current_time(),
        claim="请求返还借款人民币五万元",
        committee_id=committee.id,
    )
    intake = case.intake.model_copy(update={"channel": Channel.COURT_REFERRAL, "referral": referral})
    return case.model_copy(update={"intake": intake})


async def start(env: WorkflowEnvironment, case: CaseInput, task_queue: str) -> Handle:
    """Start a case and return once it has opened and recorded its first stage."""
    handle = await env.client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    STARTED.append(handle)
    await opened(handle)
    await settle(handle)
    return handle


async def opened(handle: Handle, attempts: int = 400) -> CaseView:
    """The view as soon as the `state` query stops refusing (the case has opened)."""
    for _ in range(attempts):
        try:
            return await state(handle)
        except WorkflowQueryFailedError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not open")


async def state(handle: Handle) -> CaseView:
    return await handle.query(MediationCase.query_state)


async def settle(handle: Handle, attempts: int = 400) -> CaseView:
    """The view once nothing is in flight: no transition being recorded, no task pending."""
    for _ in range(attempts):
        view = await state(handle)
        if view.waiting_for is None and not await _in_flight(handle):
            return await state(handle)
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not settle")


async def _in_flight(handle: Handle) -> bool:
    scheduled: set[int] = set()
    last = None
    async for event in handle.fetch_history_events():
        last = event.event_type
        if last == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled.add(event.event_id)
        elif last in _ACTIVITY_CLOSED:
            attributes = getattr(event, event.WhichOneof("attributes") or "")
            scheduled.discard(attributes.scheduled_event_id)
    return bool(scheduled) or last not in _IDLE_TAIL


async def days_pass(env: WorkflowEnvironment, handle: Handle, days: float) -> CaseView:
    """Skip the test server's clock by `days` and return the settled view."""
    await env.sleep(timedelta(days=days))
    return await settle(handle)


async def act(handle: Handle, payload: ActionInput) -> CaseView:
    """Send the update named after the payload's action (`RecordVisit` → `record_visit`)."""
    (action,) = [a for a, kind in PAYLOADS.items() if kind is type(payload)]
    return await handle.execute_update(action.value, payload, result_type=CaseView)


async def rejected(handle: Handle, payload: ActionInput) -> str:
    """Send an action the case must refuse; return the reason it gives."""
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await act(handle, payload)
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "Rejected" and cause.non_retryable
    return cause.message


async def agree(handle: Handle, committee: Committee) -> CaseView:
    """`committee` accepts the case and records a written agreement both parties signed."""
    mediator = member_of(committee)
    await act(handle, Accept(actor=mediator, mediator_ids=[mediator.id]))
    return await act(
        handle,
        RecordAgreement(actor=mediator, form=AgreementForm.WRITTEN, terms="分期返还借款", signed_by=BOTH),
    )


async def history(handle: Handle) -> list[EventType.ValueType]:
    return [event.event_type async for event in handle.fetch_history_events()]


async def is_closed(handle: Handle) -> bool:
    return (await history(handle))[-1] in _CLOSED


from models.calendar import local_text  # noqa: E402


def cst(instant: datetime) -> str:
    return f"{local_text(instant)} CST"


# ---------------------------------------------------------------- the rows


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


async def stage_rows(engine: AsyncEngine, case_id: str) -> list[dict[str, Any]]:
    return await rows(engine, "SELECT * FROM stages WHERE case_id = :c ORDER BY stage_no", c=case_id)


async def case_row(engine: AsyncEngine, case_id: str) -> dict[str, Any]:
    (row,) = await rows(engine, "SELECT * FROM cases WHERE case_id = :c", c=case_id)
    return row


async def event_rows(engine: AsyncEngine, case_id: str) -> list[dict[str, Any]]:
    return await rows(engine, "SELECT * FROM case_events WHERE case_id = :c ORDER BY at, key", c=case_id)


async def events_by_kind(engine: AsyncEngine, case_id: str) -> dict[str, list[dict[str, Any]]]:
    """The case_events rows by kind (one transition's events share a time, so order by kind)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in await event_rows(engine, case_id):
        found.setdefault(row["kind"], []).append(row)
    return found


async def outbox_rows(engine: AsyncEngine, case_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = await rows(engine, "SELECT * FROM outbox WHERE case_id = :c ORDER BY id", c=case_id)
    return [row for row in found if kind is None or row["kind"] == kind]


@dataclass(frozen=True)
class Trace:
    """What a transition would leave behind: history, and rows in every table a case writes."""

    events: list[EventType.ValueType]
    rows: dict[str, int]
    case_version: int


async def trace(handle: Handle, engine: AsyncEngine) -> Trace:
    """Reads the history first: on the time-skipping server a query records a workflow task."""
    events = await history(handle)
    counts = {}
    for table in ("stages", "outbox", "case_events"):
        found = await rows(engine, f"SELECT count(*) AS n FROM {table} WHERE case_id = :c", c=handle.id)
        counts[table] = int(found[0]["n"])
    return Trace(events, counts, int((await case_row(engine, handle.id))["version"]))


def assert_no_trace(before: Trace, after: Trace) -> None:
    """A rejected update leaves no row and, on the time-skipping server, only a workflow task."""
    assert (after.rows, after.case_version) == (before.rows, before.case_version)
    assert after.events[: len(before.events)] == before.events
    assert set(after.events[len(before.events) :]) <= WFT_BOOKKEEPING
