"""A running case receives an amended calendar through `mediation calendar send`: its pending
deadline moves, the move is in PostgreSQL and the committee is told; sending again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept
from models.calendar import add_span, local_day
from models.enums import CaseStatus, Level
from service.calendar_send import send_calendar
from tests.court.helpers import (
    GRID,
    act,
    assert_no_trace,
    events_by_kind,
    outbox_rows,
    start,
    state,
    trace,
)
from tests.factories import case_input, member_of, with_holiday


async def test_an_amended_calendar_moves_a_running_cases_pending_deadline(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(700401)
    handle = await start(env, case, task_queue)
    mediator = member_of(GRID)
    view = await act(handle, Accept(actor=mediator, mediator_ids=[mediator.id]))
    old = view.mediation_deadline
    accepted_at = view.stages[0].accepted_at
    assert old is not None and accepted_at is not None
    amended = with_holiday(local_day(old - timedelta(microseconds=1)))
    expected = add_span(accepted_at, case.policy.rule(Level.GRID).mediation, amended)
    assert expected > old

    result = await send_calendar(env.client, [handle.id], amended, "ops-1")
    assert result.amended == [handle.id] and not result.refused
    view = await state(handle)
    assert view.mediation_deadline == expected and view.status is CaseStatus.MEDIATING
    (moved,) = (await events_by_kind(engine, case.case_id))["deadline_moved"]
    assert moved["data"]["deadline"] == "mediation"
    assert (moved["data"]["moved_from"], moved["data"]["moved_to"]) == (old.isoformat(), expected.isoformat())
    (amendment,) = (await events_by_kind(engine, case.case_id))["calendar_amended"]
    assert amendment["data"]["sent_by"] == "ops-1"
    (notice,) = await outbox_rows(engine, case.case_id, "deadline_moved")
    assert notice["recipient"] == f"committee:{GRID.id}"

    before = await trace(handle, engine)
    again = await send_calendar(env.client, [handle.id], amended, "ops-1")
    assert again.up_to_date == [handle.id] and not again.amended
    assert_no_trace(before, await trace(handle, engine))

    # the old deadline passes and the case stays where it is: the timer follows the new one
    await env.sleep(old - await env.get_current_time() + timedelta(hours=1))
    view = await state(handle)
    assert view.level is Level.GRID and view.status is CaseStatus.MEDIATING
