"""On the time-skipping server against PostgreSQL: a referral refused reaches the court through
the outbox; a flag at the county sends one notice and leaves the case where it is."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, Escalate, FlagIntensification, RecordRefusal
from models.enums import CaseStatus, ClosureReason, Level, Risk
from tests.court.helpers import (
    CENTRE,
    COURT,
    GRID,
    act,
    assert_no_trace,
    outbox_rows,
    referred,
    rejected,
    start,
    trace,
)
from tests.factories import case_input, member_of


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
