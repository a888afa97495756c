"""Driving cases through a drill as a mediator's app would: each step retried until it is known done.

Updates carry fixed ids, so an update retried after a lost reply (the worker killed, the
server restarting) is matched to the first one by the server instead of being applied twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from models.actions import Accept, ActionInput, RecordAgreement, RecordVisit
from models.case import CaseInput
from models.enums import AgreementForm, Level
from models.view import CaseView
from policies import load_policy
from tests.factories import case_input, member_of, route
from workflows import MediationCase
from workflows.search_attributes import intake_pairs

T = TypeVar("T")
Handle = WorkflowHandle[MediationCase, CaseView]

DRILL_POLICY = Path(__file__).parents[1] / "durability" / "drill-seconds.json"
GRID = route().by_level[Level.GRID]
MEDIATOR = member_of(GRID)
ATTEMPTS = 200  # with backoff capped at 2 s: about six minutes
# The server is away, the worker is away (a query or update waits for one), or the reply was lost.
TRANSIENT = (RPCError, WorkflowQueryFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError)

# Closing a case the quick way: accepted, a written agreement both parties signed, two visits
# (recorded before they fall due) finding it performed → closed `performed`.
TO_PERFORMED: list[tuple[str, ActionInput]] = [
    ("accept", Accept(actor=MEDIATOR, mediator_ids=[MEDIATOR.id])),
    (
        "record_agreement",
        RecordAgreement(
            actor=MEDIATOR, form=AgreementForm.WRITTEN, terms="围墙按原址重建", signed_by=["P1", "P2"]
        ),
    ),
    ("record_visit", RecordVisit(actor=MEDIATOR, performing=True, notes="围墙已按协议重建")),
    ("record_visit", RecordVisit(actor=MEDIATOR, performing=True, notes="双方相安无事")),
]


def drill_case(serial: int) -> CaseInput:
    """A case on the drill policy, whose deadlines are seconds."""
    return case_input(serial).model_copy(update={"policy": load_policy(str(DRILL_POLICY))})


async def persist(call: Callable[[], Awaitable[T]], what: str) -> T:
    """`call` until it gets an answer; the rejections a case gives stay errors."""
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except TRANSIENT:
            await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
    raise AssertionError(f"{what}: no answer after {ATTEMPTS} attempts")


async def start(client: Client, case: CaseInput, task_queue: str) -> Handle:
    async def once() -> Handle:
        try:
            return await client.start_workflow(
                MediationCase.run,
                case,
                id=case.case_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                search_attributes=TypedSearchAttributes(intake_pairs(case.intake)),
            )
        except WorkflowAlreadyStartedError:  # an earlier attempt started it and it has closed since
            return client.get_workflow_handle_for(MediationCase.run, case.case_id)

    return await persist(once, f"start {case.case_id}")


async def view(handle: Handle) -> CaseView:
    """The `state` query's answer once the case has opened."""

    async def once() -> CaseView:
        return await handle.query(MediationCase.query_state)

    return await persist(once, f"query {handle.id}")


async def settled(handle: Handle) -> CaseView:
    """The view once the case has recorded its last transition (nothing awaited from the database)."""
    for _ in range(ATTEMPTS):
        current = await view(handle)
        if current.waiting_for is None:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} is still waiting for {current.waiting_for}")


async def act(handle: Handle, step: int, name: str, payload: ActionInput) -> CaseView:
    """Update `name` with a fixed id (`<step>-<name>`), retried until the case answers it."""

    async def once() -> CaseView:
        try:
            result: CaseView = await handle.execute_update(
                name, payload, id=f"{step}-{name}", result_type=CaseView
            )
            return result
        except WorkflowUpdateFailedError as err:
            if isinstance(err.cause, ApplicationError) and err.cause.type == "NotReady":
                raise TimeoutError("the case is still opening") from None
            raise

    return await persist(once, f"{name} on {handle.id}")


async def to_performed(handle: Handle, after_step: Callable[[], None] = lambda: None) -> CaseView:
    await view(handle)
    result = None
    for step, (name, payload) in enumerate(TO_PERFORMED, start=1):
        result = await act(handle, step, name, payload)
        after_step()
    assert result is not None
    return result


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


async def eventually(check: Callable[[], Awaitable[bool]], what: str, attempts: int = 600) -> None:
    """Poll `check` (every 0.2 s, a bounded number of times) until it holds."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never happened: {what}")
