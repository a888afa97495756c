"""Steps of the court and after-agreement scenarios: a referred case, time, and its records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.actions import Accept, ActionInput, RecordAgreement
from models.calendar import cst_text
from models.case import CaseInput, Committee
from models.court import CourtReferral
from models.enums import AgreementForm, Channel
from models.view import CaseView
from tests.cases import (
    COUNTY,
    GRID,
    STARTED,
    TOWNSHIP,
    VILLAGE,
    WFT_BOOKKEEPING,
    Handle,
    act,
    case_row,
    history,
    is_closed,
    opened,
    outbox_rows,
    rows,
    settle,
    stage_rows,
    start,
    state,
)
from tests.factories import FIELDS, case_input, member_of

__all__ = [
    "GRID",
    "STARTED",
    "TOWNSHIP",
    "VILLAGE",
    "is_closed",
    "opened",
    "outbox_rows",
    "stage_rows",
    "start",
    "state",
]

CENTRE = COUNTY
COURT = "零陵示范县人民法院"
BOTH = ["P1", "P2"]


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


async def days_pass(env: WorkflowEnvironment, handle: Handle, days: float) -> CaseView:
    """Skip the test server's clock by `days` and return the settled view."""
    await env.sleep(timedelta(days=days))
    return await settle(handle)


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


cst = cst_text


# ---------------------------------------------------------------- the rows


async def event_rows(engine: AsyncEngine, case_id: str) -> list[dict[str, Any]]:
    found = await rows(engine, "SELECT * FROM case_events WHERE case_id = :c ORDER BY at, key", c=case_id)
    return [row | {"data": FIELDS.open_event(row["data"])} for row in found]


async def events_by_kind(engine: AsyncEngine, case_id: str) -> dict[str, list[dict[str, Any]]]:
    """The case_events rows by kind (one transition's events share a time, so order by kind)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in await event_rows(engine, case_id):
        found.setdefault(row["kind"], []).append(row)
    return found


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
