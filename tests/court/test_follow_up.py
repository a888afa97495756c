"""After an agreement: follow-up visits (回访) and the judicial confirmation window, on any path."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Escalate, RecordVisit
from models.enums import Action, CaseStatus, ClosureReason
from tests.court.helpers import (
    CENTRE,
    GRID,
    VILLAGE,
    act,
    agree,
    case_row,
    days_pass,
    events_by_kind,
    outbox_rows,
    referred,
    stage_rows,
    start,
)
from tests.factories import case_input, member_of


def keys(found: list[dict[str, object]], case_id: str) -> list[str]:
    return [str(row["key"]).removeprefix(f"{case_id}/") for row in found]


async def test_a_ladder_agreement_goes_to_follow_up_and_the_confirmation_window_closes(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(700301)
    handle = await start(env, case, task_queue)

    view = await agree(handle, GRID)
    assert (view.status, view.closure_reason, view.closed_at) == (CaseStatus.FOLLOW_UP, None, None)
    assert [s.outcome for s in view.stages] == ["agreement"]
    assert view.aftercare is not None and [v.no for v in view.aftercare.visits] == [1, 2]
    assert view.allowed_actions == [Action.RECORD_VISIT, Action.APPLY_CONFIRMATION]
    (stage,) = await stage_rows(engine, case.case_id)
    assert stage["outcome"] == "agreement"
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["closure_reason"]) == ("follow_up", None)

    # 30 days, moved past the last day when it is a day off (Art. 85)
    care = view.aftercare
    view = await days_pass(env, handle, (care.confirmation.window_ends - care.effective_at).days + 1)
    assert view.status is CaseStatus.FOLLOW_UP
    assert view.aftercare is not None and view.aftercare.confirmation.window_closed
    assert view.allowed_actions == [Action.RECORD_VISIT]
    (event,) = (await events_by_kind(engine, case.case_id))["confirmation_window_closed"]
    assert (event["stage_no"], event["committee_id"]) == (1, GRID.id)
    notices = await outbox_rows(engine, case.case_id, "follow_up_due")
    assert "aftercare/window_closes/0" in keys(notices, case.case_id)
    assert {n["recipient"] for n in notices} == {f"committee:{GRID.id}"}
    assert (await case_row(engine, case.case_id))["status"] == "follow_up"


async def test_a_visit_that_finds_a_breach_reopens_the_case_at_the_committee_that_reached_the_agreement(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(700302)
    handle = await start(env, case, task_queue)
    await act(handle, Escalate(actor=member_of(GRID), reason="网格难以化解"))
    view = await agree(handle, VILLAGE)
    assert view.aftercare is not None and view.aftercare.committee_id == VILLAGE.id

    # The first visit falls due a week on, or on the working day after when that is a day off
    # (Art. 85): let the days pass up to it, whatever day the suite's clock has reached.
    due = view.aftercare.visits[0].due_at
    view = await days_pass(env, handle, (due - await env.get_current_time()).days + 1)
    notices = await outbox_rows(engine, case.case_id, "follow_up_due")
    assert keys(notices, case.case_id) == ["aftercare/visit/1"]
    assert notices[0]["recipient"] == f"committee:{VILLAGE.id}"

    view = await act(
        handle, RecordVisit(actor=member_of(VILLAGE), performing=False, notes="围墙未按协议后退")
    )
    assert view.status is CaseStatus.AWAITING_ACCEPTANCE and view.closure_reason is None
    assert [(s.committee_id, s.outcome) for s in view.stages] == [
        (GRID.id, "escalated"),
        (VILLAGE.id, "agreement"),
        (VILLAGE.id, None),
    ]
    assert (view.aftercare, view.reopened, view.committee_id) == (None, 1, VILLAGE.id)

    stages = await stage_rows(engine, case.case_id)
    assert [(s["committee_id"], s["outcome"]) for s in stages] == [
        (GRID.id, "escalated"),
        (VILLAGE.id, "agreement"),
        (VILLAGE.id, None),
    ]
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["stage_no"], row["committee_id"]) == ("awaiting_acceptance", 3, VILLAGE.id)
    events = await events_by_kind(engine, case.case_id)
    assert sorted(events) == ["reopened", "visit"]
    ((visit,), (reopened,)) = events["visit"], events["reopened"]
    assert (visit["committee_id"], visit["data"]) == (VILLAGE.id, {"visit": 1, "performing": False})
    assert (reopened["committee_id"], reopened["data"]["to"]) == (VILLAGE.id, VILLAGE.id)
    handoffs = await outbox_rows(engine, case.case_id, "handoff")
    assert handoffs[-1]["recipient"] == f"committee:{VILLAGE.id}"


async def test_visits_that_find_the_agreement_performed_close_the_case_as_performed(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = await referred(env, 700303)
    handle = await start(env, case, task_queue)
    visitor = member_of(CENTRE)
    care = (await agree(handle, CENTRE)).aftercare
    assert care is not None
    # visits 7 and 30 days after, moved past a last day that is a day off (Art. 85)
    first, last = care.visits[0].due_at, max(care.visits[1].due_at, care.confirmation.window_ends)

    await days_pass(env, handle, (first - await env.get_current_time()).total_seconds() / 86400 + 0.1)
    view = await act(handle, RecordVisit(actor=visitor, performing=True, notes="首期款已按期支付"))
    assert view.status is CaseStatus.FOLLOW_UP and view.closure_reason is None
    assert view.aftercare is not None and view.aftercare.next_visit is not None
    assert view.aftercare.next_visit.no == 2 and Action.RECORD_VISIT in view.allowed_actions

    await days_pass(env, handle, (last - await env.get_current_time()).total_seconds() / 86400 + 0.1)
    view = await act(handle, RecordVisit(actor=visitor, performing=True, notes="借款已全部返还"))
    assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.PERFORMED)
    assert view.aftercare is not None and [v.performing for v in view.aftercare.visits] == [True, True]
    assert (await handle.result()).closure_reason is ClosureReason.PERFORMED

    (stage,) = await stage_rows(engine, case.case_id)
    assert stage["outcome"] == "agreement"
    row = await case_row(engine, case.case_id)
    assert (row["status"], row["closure_reason"]) == ("closed", "performed")
    events = await events_by_kind(engine, case.case_id)
    assert sorted(events) == ["confirmation_window_closed", "visit"]
    assert [(e["data"]["visit"], e["data"]["performing"]) for e in events["visit"]] == [(1, True), (2, True)]
    notices = await outbox_rows(engine, case.case_id, "follow_up_due")
    assert sorted(keys(notices, case.case_id)) == [
        "aftercare/visit/1",
        "aftercare/visit/2",
        "aftercare/window_closes/0",
    ]
    assert {n["recipient"] for n in notices} == {f"committee:{CENTRE.id}"}
    closed = await outbox_rows(engine, case.case_id, "case_closed")
    assert [n["recipient"] for n in closed] == ["party:P1", "party:P2"]
    assert await outbox_rows(engine, case.case_id, "return_to_court") == []
