"""Mediators' actions on a live case: accept, extend, transfer, agreement and its follow-up, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import (
    Accept,
    ApplyConfirmation,
    Escalate,
    Extend,
    RecordAgreement,
    RecordCourtDecision,
    RecordFailure,
    RecordRefusal,
    RecordRuling,
    RecordSession,
    RecordVisit,
    Transfer,
    Withdraw,
)
from models.aftercare import Ruling
from models.calendar import Span, Unit
from models.enums import Action, AgreementForm, CaseStatus, ClosureReason, DisputeType, Level
from models.view import CaseView
from tests.factories import case_input
from tests.workflows.helpers import (
    COUNTY,
    GRID,
    MEDICAL,
    VILLAGE,
    Handle,
    act,
    activity_names,
    advance_past,
    case_row,
    is_closed,
    mediator,
    outbox_rows,
    rows,
    settle,
    stage_rows,
    start,
)

TWO_WORKING_DAYS = Span(amount=2, unit=Unit.WORKING_DAYS)
TERMS = "围墙后退三十厘米，费用双方各半"
COURT = "示范县人民法院"


async def test_accept_then_extend_with_every_partys_consent_moves_the_mediation_deadline(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102001)
    handle = await start(env, case, task_queue)

    view = await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    assert (view.status, view.mediators) == (CaseStatus.MEDIATING, ["M-0028"])
    first_deadline = view.mediation_deadline
    assert first_deadline is not None and view.next_deadline == first_deadline
    (row,) = await stage_rows(engine, case.case_id)
    assert (row["mediators"], row["deadline"]) == (["M-0028"], first_deadline)
    assert view.stages[0].accepted_at is not None
    assert row["accepted_at"] == view.stages[0].accepted_at

    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await act(
            handle,
            Extend(
                actor=mediator(GRID), by=TWO_WORKING_DAYS, consenting_parties=["P1"], reason="需要补充材料"
            ),
        )
    cause = rejected.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "Rejected"
    assert cause.message == "an extension needs every party's consent; missing: P2 (respondent)"
    assert (await settle(handle)).mediation_deadline == first_deadline

    view = await act(
        handle,
        Extend(
            actor=mediator(GRID), by=TWO_WORKING_DAYS, consenting_parties=["P1", "P2"], reason="需要补充材料"
        ),
    )
    extended = view.mediation_deadline
    assert extended is not None and extended >= first_deadline + timedelta(days=2)
    assert (view.next_deadline, view.stages[0].extensions) == (extended, 1)
    (row,) = await stage_rows(engine, case.case_id)
    assert row["deadline"] == extended
    assert (await case_row(engine, case.case_id))["next_deadline"] == extended

    # The old deadline passes quietly; the new one escalates.
    view = await advance_past(env, handle, first_deadline)
    assert (view.level, view.status) == (Level.GRID, CaseStatus.MEDIATING)
    view = await advance_past(env, handle, extended)
    assert view.level is Level.VILLAGE
    assert (view.stages[0].outcome, view.stages[0].cause) == ("escalated", "mediation_timeout")
    assert view.stages[0].ended_at is not None and view.stages[0].ended_at >= extended


async def test_transfer_to_a_specialised_committee(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102002, dispute_type=DisputeType.MEDICAL)
    handle = await start(env, case, task_queue)

    view = await act(handle, Transfer(actor=mediator(GRID), committee_id=MEDICAL.id, reason="移送医调委"))
    assert (view.committee_id, view.level, view.status) == (
        "C-431199-MED",
        Level.COUNTY,
        CaseStatus.AWAITING_ACCEPTANCE,
    )
    assert (view.stages[0].outcome, view.stages[0].reason) == ("transferred", "移送医调委")

    # The receiving committee's own members can act on it.
    view = await act(handle, Accept(actor=mediator(MEDICAL), mediator_ids=["M-0006", "M-0007"]))
    assert (view.status, view.mediators) == (CaseStatus.MEDIATING, ["M-0006", "M-0007"])

    stages = await stage_rows(engine, case.case_id)
    assert [(r["committee_id"], r["level"], r["outcome"]) for r in stages] == [
        (GRID.id, "grid", "transferred"),
        ("C-431199-MED", "county", None),
    ]
    assert [r["recipient"] for r in await outbox_rows(engine, case.case_id, "handoff")] == [
        f"committee:{GRID.id}",
        "committee:C-431199-MED",
    ]
    row = await case_row(engine, case.case_id)
    assert (row["committee_id"], row["status"], row["stage_no"]) == ("C-431199-MED", "mediating", 2)


async def _agreement(env: WorkflowEnvironment, handle: Handle) -> CaseView:
    """Accept at the grid, hold a session, and record a written agreement signed by both parties."""
    await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    notes = "现场查看围墙位置，双方陈述"
    held_at = await env.get_current_time()
    view = await act(
        handle, RecordSession(actor=mediator(GRID), held_at=held_at, attendees=["P1", "P2"], notes=notes)
    )
    assert view.stages[0].sessions == 1
    written = AgreementForm.WRITTEN
    return await act(
        handle, RecordAgreement(actor=mediator(GRID), form=written, terms=TERMS, signed_by=["P1", "P2"])
    )


async def test_written_agreement_is_followed_up_and_closes_the_case_once_performed(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    """An agreement ends the stage; the case closes after the follow-up visits find it performed."""
    case = case_input(102003)
    handle = await start(env, case, task_queue)

    view = await _agreement(env, handle)
    assert (view.status, view.closure_reason) == (CaseStatus.FOLLOW_UP, None)
    assert (view.stages[0].outcome, view.stages[0].agreement_terms) == ("agreement", TERMS)
    assert view.aftercare is not None and [v.no for v in view.aftercare.visits] == [1, 2]
    first_visit = view.aftercare.visits[0].due_at
    assert view.next_deadline == first_visit
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.APPLY_CONFIRMATION]
    (stage,) = await stage_rows(engine, case.case_id)
    assert (stage["outcome"], stage["agreement"]["form"], stage["agreement"]["signed_by"]) == (
        "agreement",
        "written",
        ["P1", "P2"],
    )
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["closure_reason"], row["next_deadline"]) == ("follow_up", None, first_visit)
    confirmation = await outbox_rows(engine, case.case_id, "confirmation")
    assert sorted(r["recipient"] for r in confirmation) == ["party:P1", "party:P2"]
    assert await outbox_rows(engine, case.case_id, "case_closed") == []

    # The first visit falls due: the committee is told, and a mediator visits.
    view = await advance_past(env, handle, first_visit)
    assert view.status is CaseStatus.FOLLOW_UP and not await is_closed(handle)
    assert [r["recipient"] for r in await outbox_rows(engine, case.case_id, "follow_up_due")] == [
        f"committee:{GRID.id}"
    ]
    view = await act(handle, RecordVisit(actor=mediator(GRID), performing=True, notes="协议正在履行"))
    assert view.status is CaseStatus.FOLLOW_UP
    assert view.aftercare is not None and view.next_deadline == view.aftercare.visits[1].due_at
    await act(handle, RecordVisit(actor=mediator(GRID), performing=True, notes="围墙已后移，履行完毕"))

    result = await _closes(handle, engine, case.case_id, ClosureReason.PERFORMED)
    assert (result.next_deadline, result.allowed_actions) == (None, [])
    assert (result.stages[0].outcome, result.stages[0].agreement_terms) == ("agreement", TERMS)
    row = await case_row(engine, case.case_id)
    assert (row["closed_at"], row["next_deadline"]) == (result.closed_at, None)
    closed = await outbox_rows(engine, case.case_id, "case_closed")
    assert sorted(r["recipient"] for r in closed) == ["party:P1", "party:P2"]
    events = await rows(engine, "SELECT kind FROM case_events WHERE case_id = :c ORDER BY at", c=case.case_id)
    assert [e["kind"] for e in events] == ["session", "visit", "visit"]


async def test_written_agreement_confirmed_by_the_court_closes_the_case(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102009)
    handle = await start(env, case, task_queue)
    await _agreement(env, handle)

    applied_at = await env.get_current_time()
    view = await act(
        handle,
        ApplyConfirmation(actor=mediator(GRID), applicants=["P1", "P2"], court=COURT, applied_at=applied_at),
    )
    assert view.aftercare is not None and view.aftercare.confirmation.applied_at == applied_at
    await act(handle, RecordCourtDecision(actor=mediator(GRID), accepted=True))
    assert not await is_closed(handle)
    await act(handle, RecordRuling(actor=mediator(GRID), ruling=Ruling.CONFIRMED))

    result = await _closes(handle, engine, case.case_id, ClosureReason.CONFIRMED_BY_COURT)
    assert result.stages[0].outcome == "agreement"
    events = await rows(engine, "SELECT kind FROM case_events WHERE case_id = :c ORDER BY at", c=case.case_id)
    assert [e["kind"] for e in events] == ["session", "confirmation_applied", "court_decision", "ruling"]


async def _closes(handle: Handle, engine: AsyncEngine, case_id: str, reason: ClosureReason) -> CaseView:
    """The case closed with `reason`: the workflow's result and the cases row agree."""
    result = await handle.result()
    assert isinstance(result, CaseView)
    assert (result.status, result.closure_reason) == (CaseStatus.CLOSED, reason)
    row = await case_row(engine, case_id)
    assert (row["status"], row["closure_reason"]) == ("closed", reason.value)
    return result


async def test_a_partys_refusal_closes_the_case(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102004)
    handle = await start(env, case, task_queue)
    await act(handle, RecordRefusal(actor=mediator(GRID), party_id="P2", reason="不同意调解，要求直接起诉"))
    result = await _closes(handle, engine, case.case_id, ClosureReason.REFUSED)
    assert (result.stages[0].outcome, result.stages[0].reason) == ("refused", "P2: 不同意调解，要求直接起诉")
    (stage,) = await stage_rows(engine, case.case_id)
    assert (stage["outcome"], stage["ended_at"]) == ("refused", result.closed_at)


async def test_withdrawal_closes_the_case(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102005)
    handle = await start(env, case, task_queue)
    await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    await act(handle, Withdraw(actor=mediator(GRID), party_id="P1", reason="双方已自行和解"))
    result = await _closes(handle, engine, case.case_id, ClosureReason.WITHDRAWN)
    assert result.stages[0].outcome == "withdrawn"
    assert [r["outcome"] for r in await stage_rows(engine, case.case_id)] == ["withdrawn"]


async def test_failure_at_the_top_closes_and_tells_each_party_of_other_routes(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102006)
    handle = await start(env, case, task_queue)
    await act(handle, Escalate(actor=mediator(GRID), reason="涉及县直部门", to_level=Level.COUNTY))
    await act(handle, Accept(actor=mediator(COUNTY), mediator_ids=["M-0001"]))
    await act(handle, RecordFailure(actor=mediator(COUNTY), reason="双方分歧过大"))
    result = await _closes(handle, engine, case.case_id, ClosureReason.FAILED_AT_TOP)
    assert [(s.level, s.outcome) for s in result.stages] == [
        (Level.GRID, "escalated"),
        (Level.COUNTY, "failed"),
    ]
    other_routes = await outbox_rows(engine, case.case_id, "other_routes")
    assert sorted((r["recipient"], r["key"]) for r in other_routes) == [
        ("party:P1", f"{case.case_id}/other-routes/P1"),
        ("party:P2", f"{case.case_id}/other-routes/P2"),
    ]
    assert all("Art. 26" in r["body"] for r in other_routes)
    stages = await stage_rows(engine, case.case_id)
    assert [(r["level"], r["outcome"]) for r in stages] == [("grid", "escalated"), ("county", "failed")]


async def test_failure_below_the_top_escalates(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102007)
    handle = await start(env, case, task_queue)
    await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    view = await act(handle, RecordFailure(actor=mediator(GRID), reason="网格调解未果"))
    assert (view.level, view.committee_id, view.status) == (
        Level.VILLAGE,
        VILLAGE.id,
        CaseStatus.AWAITING_ACCEPTANCE,
    )
    assert (view.stages[0].outcome, view.stages[0].cause) == ("failed", "failure")
    assert not await is_closed(handle)
    stages = await stage_rows(engine, case.case_id)
    assert [(r["level"], r["outcome"], r["cause"]) for r in stages] == [
        ("grid", "failed", "failure"),
        ("village", None, None),
    ]
    assert await outbox_rows(engine, case.case_id, "other_routes") == []
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["level"], row["closure_reason"]) == ("awaiting_acceptance", "village", None)


async def test_a_case_without_a_route_resolves_it_from_the_registry(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(102008, with_route=False)
    assert case.route is None
    handle = await start(env, case, task_queue)

    view = await settle(handle)
    assert (view.level, view.committee_id, view.committee_name) == (Level.GRID, GRID.id, GRID.name)
    assert (await activity_names(handle))[0] == "resolve_route"
    assert [r["committee_id"] for r in await stage_rows(engine, case.case_id)] == [GRID.id]
    # The resolved route reaches the specialised committees too.
    view = await act(handle, Transfer(actor=mediator(GRID), committee_id=MEDICAL.id, reason="涉及医疗损害"))
    assert view.committee_id == MEDICAL.id
