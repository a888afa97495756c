"""On the time-skipping server against PostgreSQL: a referral refused reaches the court through
the outbox; a flag at the county sends one notice and leaves the case where it is; an extended
referral transferred keeps its term and its cap."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, Escalate, Extend, FlagIntensification, RecordRefusal, Transfer
from models.calendar import Span, Unit
from models.enums import CaseStatus, ClosureReason, Level, Risk
from tests.court.helpers import (
    BOTH,
    CENTRE,
    COURT,
    GRID,
    act,
    assert_no_trace,
    outbox_rows,
    referred,
    rejected,
    stage_rows,
    start,
    trace,
)
from tests.factories import case_input, member_of, route


async def test_a_referral_refused_is_reported_to_the_court(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700501)
    handle = await start(env, case, task_queue)
    view = await act(handle, RecordRefusal(actor=member_of(CENTRE), party_id="P2", reason="不同意调解"))
    assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.REFUSED)
    (notice,) = await outbox_rows(engine, case.case_id, "court_outcome")
    assert notice["recipient"] == f"court:{COURT}" and "不同意调解" in notice["body"]
    assert case.intake.referral is not None and case.intake.referral.referral_no in notice["subject"]


async def test_a_flag_at_the_county_sends_one_notice_and_does_not_escalate(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(700502)
    handle = await start(env, case, task_queue)
    await act(handle, Escalate(actor=member_of(GRID), reason="涉及县直部门", to_level=Level.COUNTY))
    county = member_of(CENTRE)
    view = await act(handle, FlagIntensification(actor=county, reason="双方扬言动手"))
    assert view.level is Level.COUNTY and len(view.stages) == 2 and view.risk is Risk.MAY_INTENSIFY
    notices = await outbox_rows(engine, case.case_id, "intensification")
    assert len(notices) == 2  # police and the responsible department, once
    before = await trace(handle, engine)
    message = await rejected(handle, FlagIntensification(actor=county, reason="再次"))
    assert "`flag_intensification` is not allowed now" in message
    assert_no_trace(before, await trace(handle, engine))
    await act(handle, Accept(actor=county, mediator_ids=[county.id]))
    assert len(await outbox_rows(engine, case.case_id, "intensification")) == 2


async def test_an_extended_referral_transferred_keeps_its_term(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700503)
    handle = await start(env, case, task_queue)
    centre = member_of(CENTRE)
    await act(handle, Accept(actor=centre, mediator_ids=[centre.id]))
    ten_days = Span(amount=10, unit=Unit.CALENDAR_DAYS)
    view = await act(handle, Extend(actor=centre, by=ten_days, consenting_parties=BOTH, reason="筹措还款"))
    extended = view.mediation_deadline
    assert extended is not None and view.court_term_ends == extended
    other = next(c for c in route().specialised if c.level is Level.COUNTY)
    await act(handle, Transfer(actor=centre, committee_id=other.id, reason="属专业调委会"))
    taker = member_of(other)
    view = await act(handle, Accept(actor=taker, mediator_ids=[taker.id]))
    assert view.mediation_deadline == extended and view.court_term_ends == extended
    message = await rejected(handle, Extend(actor=taker, by=ten_days, consenting_parties=BOTH, reason="再延"))
    assert "the referral already had 1 extension(s)" in message
    stages = await stage_rows(engine, case.case_id)
    assert [s["deadline"] for s in stages][-1] == extended
