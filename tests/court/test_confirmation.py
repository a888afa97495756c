"""Judicial confirmation (司法确认): the parties' joint application, the court's decision and its ruling."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, ApplyConfirmation, ExtendRuling, RecordCourtDecision, RecordRuling
from models.aftercare import AfterInvalid, Ruling
from models.enums import Action, CaseStatus, ClosureReason
from models.view import CaseView
from tests.court.helpers import (
    BOTH,
    CENTRE,
    COURT,
    Handle,
    Trace,
    act,
    agree,
    assert_no_trace,
    case_row,
    cst,
    days_pass,
    events_by_kind,
    outbox_rows,
    referred,
    rejected,
    settle,
    stage_rows,
    start,
    state,
    trace,
)
from tests.factories import member_of

CONFIRMATION_EVENTS = ["confirmation_applied", "court_decision", "ruling"]


async def test_a_referral_settled_by_agreement_and_confirmed_by_the_court_closes_as_confirmed(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700101)
    handle = await start(env, case, task_queue)
    mediator = member_of(CENTRE)

    view = await agree(handle, CENTRE)
    assert (view.status, view.closure_reason) == (CaseStatus.FOLLOW_UP, None)
    assert [s.outcome for s in view.stages] == ["agreement"]
    assert view.aftercare is not None and view.aftercare.committee_id == CENTRE.id
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.APPLY_CONFIRMATION]
    assert [r["recipient"] for r in await outbox_rows(engine, case.case_id, "confirmation")] == [
        "party:P1",
        "party:P2",
    ]

    now = await env.get_current_time()
    view = await act(handle, ApplyConfirmation(actor=mediator, applicants=BOTH, court=COURT, applied_at=now))
    confirmation = view.aftercare.confirmation if view.aftercare else None
    assert confirmation is not None and confirmation.applicants == BOTH and confirmation.court == COURT
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.RECORD_COURT_DECISION]

    view = await act(handle, RecordCourtDecision(actor=mediator, accepted=True))
    assert view.status is CaseStatus.FOLLOW_UP
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.RECORD_RULING, Action.EXTEND_RULING]
    # the court rules within 15 days of accepting (SPC 2011, Art. 5), 10 more with approval
    assert view.aftercare is not None and view.aftercare.confirmation.ruling_due is not None
    view = await act(handle, ExtendRuling(actor=mediator, approval="院长批准延长审查期限"))
    assert view.aftercare is not None and view.aftercare.confirmation.ruling_extended
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.RECORD_RULING]

    view = await act(handle, RecordRuling(actor=mediator, ruling=Ruling.CONFIRMED))
    assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.CONFIRMED_BY_COURT)
    assert view.allowed_actions == []
    final = await handle.result()
    assert final.closure_reason is ClosureReason.CONFIRMED_BY_COURT

    (stage,) = await stage_rows(engine, case.case_id)
    assert (stage["committee_id"], stage["outcome"]) == (CENTRE.id, "agreement")
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["closure_reason"]) == ("closed", "confirmed_by_court")
    events = await events_by_kind(engine, case.case_id)
    assert sorted(events) == sorted([*CONFIRMATION_EVENTS, "ruling_extended"])
    assert {e["committee_id"] for found in events.values() for e in found} == {CENTRE.id}
    ((decision,), (ruling,)) = events["court_decision"], events["ruling"]
    assert decision["data"]["accepted"] is True and ruling["data"]["ruling"] == "confirmed"
    assert [r["recipient"] for r in await outbox_rows(engine, case.case_id, "case_closed")] == [
        "party:P1",
        "party:P2",
    ]
    assert await outbox_rows(engine, case.case_id, "return_to_court") == []


async def test_a_confirmation_application_outside_the_30_days_is_rejected_and_leaves_no_trace(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700102)
    handle = await start(env, case, task_queue)
    applying = member_of(CENTRE)
    view = await agree(handle, CENTRE)
    assert view.aftercare is not None
    window_ends = view.aftercare.confirmation.window_ends
    art_33 = (
        f"the 30 days for judicial confirmation ended {cst(window_ends)}"
        " (Art. 33: within 30 days of the agreement taking effect)"
    )

    # Minutes before the window closes, an application dated after it.
    await env.sleep(window_ends - timedelta(minutes=2) - await env.get_current_time())
    view = await settle(handle)
    assert view.aftercare is not None and not view.aftercare.confirmation.window_closed
    assert Action.APPLY_CONFIRMATION in view.allowed_actions
    before = await trace(handle, engine)
    dated_after = window_ends + timedelta(minutes=1)
    late = ApplyConfirmation(actor=applying, applicants=BOTH, court=COURT, applied_at=dated_after)
    assert await rejected(handle, late) == f"{art_33}; the application cannot be recorded"
    await assert_unchanged(handle, engine, before, view)

    # 31 days after the agreement the window has closed: no application is taken any more.
    view = await days_pass(env, handle, 1)
    assert view.aftercare is not None and view.aftercare.confirmation.window_closed
    assert view.allowed_actions == [Action.RECORD_VISIT]
    assert list(await events_by_kind(engine, case.case_id)) == ["confirmation_window_closed"]
    before = await trace(handle, engine)
    now = await env.get_current_time()
    after_window = ApplyConfirmation(actor=applying, applicants=BOTH, court=COURT, applied_at=now)
    assert await rejected(handle, after_window) == (
        f"case {case.case_no} is agreement under follow-up at {CENTRE.name} (county level); {art_33};"
        " `apply_confirmation` is not allowed now, only `record_visit`"
    )
    await assert_unchanged(handle, engine, before, view)


async def assert_unchanged(handle: Handle, engine: AsyncEngine, before: Trace, view: CaseView) -> None:
    assert_no_trace(before, await trace(handle, engine))
    after = await state(handle)
    assert after.model_dump(exclude={"waiting_for"}) == view.model_dump(exclude={"waiting_for"})
    assert after.aftercare is not None and after.aftercare.confirmation.applied_at is None


async def test_a_ruling_of_invalidity_reopens_mediation_at_the_committee_that_mediated(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700103)
    handle = await start(env, case, task_queue)
    mediator = member_of(CENTRE)
    await agree(handle, CENTRE)
    now = await env.get_current_time()
    await act(handle, ApplyConfirmation(actor=mediator, applicants=BOTH, court=COURT, applied_at=now))
    await act(handle, RecordCourtDecision(actor=mediator, accepted=True))

    view = await act(
        handle, RecordRuling(actor=mediator, ruling=Ruling.INVALID, then=AfterInvalid.MEDIATE_AGAIN)
    )
    assert view.status is CaseStatus.AWAITING_ACCEPTANCE and view.closure_reason is None
    assert [(s.committee_id, s.outcome) for s in view.stages] == [(CENTRE.id, "agreement"), (CENTRE.id, None)]
    assert (view.aftercare, view.reopened) == (None, 1)
    assert Action.ACCEPT in view.allowed_actions
    view = await settle(handle)

    stages = await stage_rows(engine, case.case_id)
    assert [(s["stage_no"], s["committee_id"], s["outcome"]) for s in stages] == [
        (1, CENTRE.id, "agreement"),
        (2, CENTRE.id, None),
    ]
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["stage_no"], row["closure_reason"]) == ("awaiting_acceptance", 2, None)
    events = await events_by_kind(engine, case.case_id)
    assert sorted(events) == sorted([*CONFIRMATION_EVENTS, "reopened"])
    ((ruling,), (reopened,)) = events["ruling"], events["reopened"]
    assert ruling["data"] == {"ruling": "invalid", "then": "mediate_again"}
    assert (reopened["committee_id"], reopened["data"]["to"]) == (CENTRE.id, CENTRE.id)
    handoffs = await outbox_rows(engine, case.case_id, "handoff")
    assert [h["recipient"] for h in handoffs] == [f"committee:{CENTRE.id}"] * 2

    view = await act(handle, Accept(actor=mediator, mediator_ids=[mediator.id]))
    assert view.status is CaseStatus.MEDIATING and view.stages[-1].accepted_at is not None
