"""Climbing the ladder: deadlines passing, reminders before them, early and intensifying escalation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, Escalate, Extend
from models.calendar import Span, Unit
from models.enums import CaseStatus, DeadlineKind, DisputeType, Level, Risk
from tests.factories import case_input
from tests.workflows.helpers import (
    COUNTY,
    GRID,
    SUPERVISOR_RECIPIENT,
    TOWNSHIP,
    VILLAGE,
    act,
    advance_past,
    case_row,
    is_closed,
    mediator,
    outbox_rows,
    settle,
    stage_rows,
    start,
)
from workflows.search_attributes import COMMITTEE, LEVEL, OVERDUE

ONE_WORKING_DAY = Span(amount=1, unit=Unit.WORKING_DAYS)
TWO_WORKING_DAYS = Span(amount=2, unit=Unit.WORKING_DAYS)


async def overdue_to_supervisor(engine: AsyncEngine, case_id: str) -> int:
    rows = await outbox_rows(engine, case_id, "overdue")
    return len([r for r in rows if r["recipient"] == SUPERVISOR_RECIPIENT])


async def test_deadlines_carry_a_case_to_the_county_where_it_stays_open_and_overdue(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    # the general policy: a level's days start at the acceptance (Gaotai's run from the handoff,
    # so a late accept at the county would find them already spent)
    case = case_input(101001, policy="general")
    handle = await start(env, case, task_queue)

    view = await settle(handle)
    assert (view.level, view.committee_id) == (Level.GRID, GRID.id)
    view = await advance_past(env, handle, view.acceptance_deadline)
    assert (view.level, view.status) == (Level.VILLAGE, CaseStatus.AWAITING_ACCEPTANCE)

    view = await act(handle, Accept(actor=mediator(VILLAGE), mediator_ids=["M-0025"]))
    assert view.mediation_deadline is not None
    view = await advance_past(env, handle, view.mediation_deadline)
    assert (view.level, view.committee_id) == (Level.TOWNSHIP, TOWNSHIP.id)

    view = await advance_past(env, handle, view.acceptance_deadline)
    assert (view.level, view.committee_id) == (Level.COUNTY, COUNTY.id)
    assert not view.overdue

    view = await advance_past(env, handle, view.acceptance_deadline)
    assert view.overdue
    assert (view.level, view.status) == (Level.COUNTY, CaseStatus.AWAITING_ACCEPTANCE)
    assert [(s.level, s.outcome, s.cause) for s in view.stages] == [
        (Level.GRID, "escalated", "acceptance_timeout"),
        (Level.VILLAGE, "escalated", "mediation_timeout"),
        (Level.TOWNSHIP, "escalated", "acceptance_timeout"),
        (Level.COUNTY, None, None),
    ]
    assert view.stages[-1].overdue
    assert await overdue_to_supervisor(engine, case.case_id) == 1

    # Days later the county still holds the case and the supervisor is told every working day
    # (a day at a time: how many calendar days that takes depends on holidays).
    for _ in range(30):
        if await overdue_to_supervisor(engine, case.case_id) >= 4:
            break
        await env.sleep(timedelta(days=1))
        view = await settle(handle)
        assert (view.level, view.status, view.overdue) == (Level.COUNTY, CaseStatus.AWAITING_ACCEPTANCE, True)
        assert view.closed_at is None and view.closure_reason is None
        assert not await is_closed(handle)
    view = await settle(handle)
    assert len(view.stages) == 4

    overdue = await outbox_rows(engine, case.case_id, "overdue")
    to_supervisor = [r for r in overdue if r["recipient"] == SUPERVISOR_RECIPIENT]
    to_committee = [r for r in overdue if r["recipient"] == f"committee:{COUNTY.id}"]
    assert len(to_committee) == 1
    assert len(to_supervisor) >= 4
    assert sorted(r["key"] for r in to_supervisor) == sorted(
        f"{case.case_id}/overdue-{n}" for n in range(1, len(to_supervisor) + 1)
    )

    stages = await stage_rows(engine, case.case_id)
    assert [(r["stage_no"], r["level"], r["committee_id"], r["outcome"], r["cause"]) for r in stages] == [
        (1, "grid", GRID.id, "escalated", "acceptance_timeout"),
        (2, "village", VILLAGE.id, "escalated", "mediation_timeout"),
        (3, "township", TOWNSHIP.id, "escalated", "acceptance_timeout"),
        (4, "county", COUNTY.id, None, None),
    ]
    assert stages[-1]["overdue"] and stages[-1]["ended_at"] is None
    assert stages[1]["mediators"] == ["M-0025"]
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["level"], row["stage_no"], row["overdue"]) == (
        "awaiting_acceptance",
        "county",
        4,
        True,
    )
    assert row["closed_at"] is None and row["closure_reason"] is None
    assert row["version"] == view.version
    handoffs = await outbox_rows(engine, case.case_id, "handoff")
    assert [r["recipient"] for r in handoffs] == [
        f"committee:{c.id}" for c in (GRID, VILLAGE, TOWNSHIP, COUNTY)
    ]
    attributes = (await handle.describe()).typed_search_attributes
    assert (attributes.get(LEVEL), attributes.get(COMMITTEE), attributes.get(OVERDUE)) == (
        "county",
        COUNTY.id,
        True,
    )

    # Accepting late clears the overdue flag; the missed mediation deadline raises it again.
    view = await act(handle, Accept(actor=mediator(COUNTY), mediator_ids=["M-0001"]))
    assert (view.status, view.overdue) == (CaseStatus.MEDIATING, False)
    assert not (await case_row(engine, case.case_id))["overdue"]
    assert (await handle.describe()).typed_search_attributes.get(OVERDUE) is False
    supervisor_notices = len(to_supervisor)
    assert view.mediation_deadline is not None
    view = await advance_past(env, handle, view.mediation_deadline)
    assert (view.level, view.status, view.overdue) == (Level.COUNTY, CaseStatus.MEDIATING, True)
    overdue = await outbox_rows(engine, case.case_id, "overdue")
    assert len([r for r in overdue if r["recipient"] == f"committee:{COUNTY.id}"]) == 2
    assert len([r for r in overdue if r["recipient"] == SUPERVISOR_RECIPIENT]) == supervisor_notices + 1

    # An extension gives the stage a new deadline, and missing that one is news again.
    view = await act(
        handle,
        Extend(actor=mediator(COUNTY), by=TWO_WORKING_DAYS, consenting_parties=["P1", "P2"], reason="鉴定"),
    )
    assert not view.overdue and view.mediation_deadline is not None
    view = await advance_past(env, handle, view.mediation_deadline)
    assert (view.level, view.overdue) == (Level.COUNTY, True)
    overdue = await outbox_rows(engine, case.case_id, "overdue")
    assert len([r for r in overdue if r["recipient"] == f"committee:{COUNTY.id}"]) == 3
    assert not await is_closed(handle)


async def test_reminders_go_out_before_each_deadline(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(101002)
    handle = await start(env, case, task_queue)

    view = await settle(handle)
    (reminder,) = view.reminders
    assert reminder.deadline is DeadlineKind.ACCEPTANCE and not reminder.sent
    assert reminder.at < view.acceptance_deadline
    assert view.reminders_sent == 0

    view = await advance_past(env, handle, reminder.at)
    assert view.reminders_sent == 1 and view.reminders[0].sent
    assert (view.level, view.status) == (Level.GRID, CaseStatus.AWAITING_ACCEPTANCE)
    sent = await outbox_rows(engine, case.case_id, "reminder")
    assert [(r["key"], r["recipient"]) for r in sent] == [
        (f"{case.case_id}/stage-1/reminder-0", f"committee:{GRID.id}")
    ]

    # Gaotai's grid has one working day in all, the acceptance inside it: the mediation deadline is
    # the acceptance deadline, whose reminder already went out
    view = await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    assert view.mediation_deadline == view.acceptance_deadline
    assert [r for r in view.reminders if not r.sent] == []

    # the village's two days: a reminder a working day before its deadline
    view = await advance_past(env, handle, view.mediation_deadline)
    assert view.level is Level.VILLAGE
    view = await act(handle, Accept(actor=mediator(VILLAGE), mediator_ids=["M-0025"]))
    pending = [r for r in view.reminders if not r.sent and r.deadline is DeadlineKind.MEDIATION]
    assert view.mediation_deadline is not None and len(pending) == 1
    assert pending[0].at < view.mediation_deadline
    view = await advance_past(env, handle, pending[0].at)
    assert (view.level, view.status) == (Level.VILLAGE, CaseStatus.MEDIATING)
    sent = await outbox_rows(engine, case.case_id, "reminder")
    assert sent[-1]["recipient"] == f"committee:{VILLAGE.id}"


async def test_a_handoff_gets_the_reminders_of_the_receiving_level(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """The grid reminds 4 hours ahead; the village one working day ahead (gaotai-4x7)."""
    handle = await start(env, case_input(101003), task_queue)
    view = await act(handle, Escalate(actor=mediator(GRID), reason="涉及多户，网格难以化解"))
    assert view.level is Level.VILLAGE
    assert [(r.deadline, r.before) for r in view.reminders] == [(DeadlineKind.ACCEPTANCE, ONE_WORKING_DAY)]


async def test_intensifying_dispute_escalates_from_grid_straight_to_township(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(101004)
    handle = await start(env, case, task_queue)
    assert await outbox_rows(engine, case.case_id, "intensification") == []

    view = await act(handle, Escalate(actor=mediator(GRID), reason="双方扬言动手", intensifying=True))
    assert (view.level, view.committee_id, view.risk) == (Level.TOWNSHIP, TOWNSHIP.id, Risk.MAY_INTENSIFY)
    assert (view.stages[0].outcome, view.stages[0].cause) == ("escalated", "intensification")

    notices = await outbox_rows(engine, case.case_id, "intensification")
    assert sorted(r["recipient"] for r in notices) == [
        "agency:police:431199",
        "agency:responsible_department:431199",
    ]
    stages = await stage_rows(engine, case.case_id)
    assert [(r["level"], r["outcome"], r["cause"]) for r in stages] == [
        ("grid", "escalated", "intensification"),
        ("township", None, None),
    ]
    row = await case_row(engine, case.case_id)
    assert (row["level"], row["committee_id"], row["risk"]) == ("township", TOWNSHIP.id, "may_intensify")


async def test_intake_that_may_intensify_opens_at_the_township(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(101005, risk=Risk.MAY_INTENSIFY)
    handle = await start(env, case, task_queue)

    view = await settle(handle)
    assert (view.level, view.committee_id, view.risk) == (Level.TOWNSHIP, TOWNSHIP.id, Risk.MAY_INTENSIFY)
    assert len(view.stages) == 1
    assert [(r.deadline, r.before) for r in view.reminders] == [(DeadlineKind.ACCEPTANCE, ONE_WORKING_DAY)]

    notices = await outbox_rows(engine, case.case_id, "intensification")
    assert sorted(r["key"] for r in notices) == [
        f"{case.case_id}/intensification/intake/police",
        f"{case.case_id}/intensification/intake/responsible_department",
    ]
    assert [r["recipient"] for r in await outbox_rows(engine, case.case_id, "handoff")] == [
        f"committee:{TOWNSHIP.id}"
    ]
    assert [(r["stage_no"], r["level"]) for r in await stage_rows(engine, case.case_id)] == [(1, "township")]


async def test_escalation_to_the_county_routes_by_dispute_type(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(101006, dispute_type=DisputeType.MEDICAL)
    handle = await start(env, case, task_queue)
    view = await act(handle, Escalate(actor=mediator(GRID), reason="需专业调解", to_level=Level.COUNTY))
    assert (view.level, view.committee_id) == (Level.COUNTY, "C-431199-MED")
    assert (view.stages[0].outcome, view.stages[0].cause) == ("escalated", "decision")
    assert (await case_row(engine, case.case_id))["committee_id"] == "C-431199-MED"
