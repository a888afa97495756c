"""A case the court diverts to mediation before filing (诉前委派调解): its 30-day term and extension."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, Escalate, Extend
from models.calendar import Span, Unit, add_span
from models.enums import Action, CaseStatus, ClosureReason
from models.view import CaseView
from policies import load_policy
from tests.court.helpers import (
    BOTH,
    CENTRE,
    COURT,
    TOWNSHIP,
    Handle,
    act,
    assert_no_trace,
    case_row,
    days_pass,
    outbox_rows,
    referred,
    rejected,
    stage_rows,
    start,
    state,
    trace,
)
from tests.factories import member_of

TEN_DAYS = Span(amount=10, unit=Unit.CALENDAR_DAYS)


async def days_until(env: WorkflowEnvironment, instant: datetime) -> float:
    return (instant - await env.get_current_time()).total_seconds() / 86400


async def accept(handle: Handle) -> CaseView:
    mediator = member_of(CENTRE)
    return await act(handle, Accept(actor=mediator, mediator_ids=[mediator.id]))


async def test_a_referral_mediates_on_the_courts_term_and_returns_to_the_court_when_it_runs_out(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700201)
    referral = case.intake.referral
    assert referral is not None
    handle = await start(env, case, task_queue)
    view = await state(handle)
    assert (view.court, view.referral_no, view.committee_id) == (COURT, referral.referral_no, CENTRE.id)
    term_ends = view.court_term_ends
    assert term_ends is not None and view.status is CaseStatus.AWAITING_ACCEPTANCE

    view = await accept(handle)
    assert view.status is CaseStatus.MEDIATING and view.mediation_deadline == term_ends

    # the 30 days, moved past their last day when it is a day off (Art. 85)
    view = await days_pass(env, handle, await days_until(env, term_ends) - 1)
    assert view.status is CaseStatus.MEDIATING and view.closure_reason is None
    assert await outbox_rows(engine, case.case_id, "return_to_court") == []

    view = await days_pass(env, handle, 2)
    assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.RETURNED_TO_COURT)
    assert [s.outcome for s in view.stages] == ["returned_to_court"]
    assert view.stages[0].ended_at is not None and view.stages[0].ended_at >= term_ends
    assert (await handle.result()).closure_reason is ClosureReason.RETURNED_TO_COURT

    (stage,) = await stage_rows(engine, case.case_id)
    assert (stage["committee_id"], stage["outcome"]) == (CENTRE.id, "returned_to_court")
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["closure_reason"]) == ("closed", "returned_to_court")
    (notice,) = await outbox_rows(engine, case.case_id, "return_to_court")
    assert notice["recipient"] == f"court:{COURT}"
    assert referral.referral_no in notice["body"]
    reminders = await outbox_rows(engine, case.case_id, "reminder")
    assert len(reminders) == 2 and {r["recipient"] for r in reminders} == {f"committee:{CENTRE.id}"}


async def test_a_referral_is_extended_only_with_both_parties_consent(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700202)
    handle = await start(env, case, task_queue)
    view = await accept(handle)
    term_ends = view.mediation_deadline
    assert term_ends is not None
    mediator = member_of(CENTRE)

    before = await trace(handle, engine)
    one_party = Extend(actor=mediator, by=TEN_DAYS, consenting_parties=["P1"], reason="被申请人筹措还款")
    assert (
        await rejected(handle, one_party)
        == "an extension needs every party's consent; missing: P2 (respondent)"
    )
    assert_no_trace(before, await trace(handle, engine))
    assert (await state(handle)).mediation_deadline == term_ends

    view = await act(
        handle, Extend(actor=mediator, by=TEN_DAYS, consenting_parties=BOTH, reason="被申请人筹措还款")
    )
    extended = add_span(term_ends, TEN_DAYS, load_policy("gaotai-4x7").calendar)
    assert view.mediation_deadline == extended and view.stages[0].extensions == 1
    assert Action.EXTEND not in view.allowed_actions
    (stage,) = await stage_rows(engine, case.case_id)
    assert stage["deadline"] == extended

    view = await days_pass(env, handle, await days_until(env, term_ends) + 1)
    assert view.status is CaseStatus.MEDIATING and view.closure_reason is None
    assert (await case_row(engine, case.case_id))["status"] == "mediating"
    assert await outbox_rows(engine, case.case_id, "return_to_court") == []

    view = await days_pass(env, handle, await days_until(env, extended) + 1)
    assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.RETURNED_TO_COURT)
    assert len(await outbox_rows(engine, case.case_id, "return_to_court")) == 1


async def test_a_referral_is_not_escalated(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700203, committee=TOWNSHIP)
    handle = await start(env, case, task_queue)
    view = await state(handle)
    assert view.committee_id == TOWNSHIP.id and Action.ESCALATE not in view.allowed_actions
    before = await trace(handle, engine)

    reason = await rejected(handle, Escalate(actor=member_of(TOWNSHIP), reason="涉及县直部门"))
    assert reason == (
        f"case {case.case_no} is awaiting acceptance at {TOWNSHIP.name} (township level);"
        " a court referral is not escalated: when mediation fails it returns to the court;"
        " `escalate` is not allowed now, only `accept`, `transfer`, `record_refusal`, `withdraw`,"
        " `flag_intensification`"
    )
    assert_no_trace(before, await trace(handle, engine))
    assert (await state(handle)).stages == view.stages
