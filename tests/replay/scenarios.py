"""Representative cases, driven on the time-skipping server: the histories replay tests keep.

`python -m tests.replay.record` runs them and writes tests/replay/histories/<name>.json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.actions import (
    Accept,
    ApplyConfirmation,
    Escalate,
    ExtendRuling,
    FlagIntensification,
    RecordAgreement,
    RecordCourtDecision,
    RecordFailure,
    RecordRefusal,
    RecordRuling,
    RecordSession,
    RecordVisit,
    Transfer,
)
from models.amendment import CalendarAmendment
from models.audit import Request
from models.calendar import local_day
from models.case import Actor, CaseInput
from models.court import CourtReferral
from models.enums import ActorRole, AgreementForm, Channel, DisputeType, Level
from models.supervision import Reassign
from models.view import CaseView
from tests.durability.helpers import opened
from tests.factories import case_input, with_holiday
from workflows import MediationCase

Scenario = Callable[[Client, WorkflowEnvironment, str, int], Awaitable[str]]
BOTH = ["P1", "P2"]


async def _update(handle: WorkflowHandle[Any, Any], name: str, payload: object) -> CaseView:
    view: CaseView = await handle.execute_update(name, payload, result_type=CaseView)
    return view


def _actor(view: CaseView, member: str) -> Actor:
    return Actor(id=member, role=ActorRole.MEDIATOR, committee_id=view.committee_id)


async def _start(
    client: Client, case: CaseInput, task_queue: str
) -> tuple[WorkflowHandle[Any, Any], CaseView]:
    handle = await client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    return handle, await opened(handle)


async def _members(view: CaseView) -> str:
    from tests.factories import route

    committee = route().find(view.committee_id)
    assert committee is not None
    return committee.members[0].id


async def _accept(handle: WorkflowHandle[Any, Any], view: CaseView) -> tuple[CaseView, Actor]:
    actor = _actor(view, await _members(view))
    view = await _update(handle, "accept", Accept(actor=actor, mediator_ids=[actor.id]))
    return view, actor


async def ladder_to_overdue(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """No one acts: four escalations by timeout, then overdue at the county with reminders."""
    handle, _ = await _start(client, case_input(serial), tq)
    await env.sleep(timedelta(days=16))
    return handle.id


async def opened_at_intake(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """The intake recorded the opening (the input says so): the first task writes nothing; the grid
    accepts and escalates, and the village lets its acceptance deadline pass."""
    case = case_input(serial).model_copy(
        update={"opened_at": await env.get_current_time(), "opening_recorded": True}
    )
    handle, view = await _start(client, case, tq)
    view, actor = await _accept(handle, view)
    await _update(handle, "escalate", Escalate(actor=actor, reason="需村调委会介入"))
    await env.sleep(timedelta(days=4))
    return handle.id


async def village_agreement_performed(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """Grid escalates by decision; the village holds a session, agrees; both visits find it performed."""
    handle, view = await _start(client, case_input(serial), tq)
    view, actor = await _accept(handle, view)
    view = await _update(handle, "escalate", Escalate(actor=actor, reason="需村调委会介入"))
    view, actor = await _accept(handle, view)
    now = await env.get_current_time()
    await _update(
        handle,
        "record_session",
        RecordSession(actor=actor, held_at=now, attendees=BOTH, notes="双方到场协商"),
    )
    await _update(
        handle,
        "record_agreement",
        RecordAgreement(actor=actor, form=AgreementForm.WRITTEN, terms="围墙后移半米", signed_by=BOTH),
    )
    for _ in range(2):
        await env.sleep(timedelta(days=16))
        await _update(handle, "record_visit", RecordVisit(actor=actor, performing=True, notes="已履行"))
    await handle.result()
    return handle.id


async def intensify_transfer_fail_at_top(
    client: Client, env: WorkflowEnvironment, tq: str, serial: int
) -> str:
    """Intensifying at the grid jumps to the township; transferred to the medical committee; fails."""
    handle, view = await _start(client, case_input(serial, dispute_type=DisputeType.MEDICAL), tq)
    view, actor = await _accept(handle, view)
    view = await _update(handle, "escalate", Escalate(actor=actor, reason="双方冲突升级", intensifying=True))
    actor = _actor(view, await _members(view))
    view = await _update(
        handle, "transfer", Transfer(actor=actor, committee_id="C-431199-MED", reason="医疗纠纷专业调解")
    )
    view, actor = await _accept(handle, view)
    await _update(handle, "record_failure", RecordFailure(actor=actor, reason="分歧过大"))
    await handle.result()
    return handle.id


async def _court_case(env: WorkflowEnvironment, serial: int) -> CaseInput:
    case = case_input(serial, dispute_type=DisputeType.PROPERTY)
    referral = CourtReferral(
        court="零陵示范县人民法院",
        referral_no=f"(2026)湘1199民诉前调{serial}号",
        referred_at=await env.get_current_time(),
        claim="返还借款五万元",
        committee_id="C-431199",
    )
    intake = case.intake.model_copy(update={"channel": Channel.COURT_REFERRAL, "referral": referral})
    return case.model_copy(update={"intake": intake})


async def court_returned(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """A court referral accepted and left to run out its 30 days: back to the court."""
    handle, view = await _start(client, await _court_case(env, serial), tq)
    await _accept(handle, view)
    await env.sleep(timedelta(days=31))
    await handle.result()
    return handle.id


async def court_confirmed_after_invalid(
    client: Client, env: WorkflowEnvironment, tq: str, serial: int
) -> str:
    """Agreement, ruled invalid, mediated again, agreement, confirmed by the court."""
    handle, view = await _start(client, await _court_case(env, serial), tq)
    view, actor = await _accept(handle, view)
    for ruling, then in (("invalid", "mediate_again"), ("confirmed", None)):
        await _update(
            handle,
            "record_agreement",
            RecordAgreement(actor=actor, form=AgreementForm.WRITTEN, terms="分期还款", signed_by=BOTH),
        )
        now = await env.get_current_time()
        await _update(
            handle,
            "apply_confirmation",
            ApplyConfirmation(actor=actor, applicants=BOTH, court="零陵示范县人民法院", applied_at=now),
        )
        await _update(handle, "record_court_decision", RecordCourtDecision(actor=actor, accepted=True))
        view = await _update(
            handle,
            "record_ruling",
            RecordRuling.model_validate({"actor": actor, "ruling": ruling, "then": then}),
        )
        if view.status != "closed":
            view, actor = await _accept(handle, view)
    await handle.result()
    return handle.id


async def breach_reopens(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """An oral agreement at the grid, breached at the first visit: mediation reopens, then withdrawn."""
    handle, view = await _start(client, case_input(serial), tq)
    view, actor = await _accept(handle, view)
    await _update(
        handle,
        "record_agreement",
        RecordAgreement(actor=actor, form=AgreementForm.ORAL, terms="口头道歉"),
    )
    await env.sleep(timedelta(days=8))
    view = await _update(handle, "record_visit", RecordVisit(actor=actor, performing=False, notes="未履行"))
    view, actor = await _accept(handle, view)
    from models.actions import Withdraw

    await _update(handle, "withdraw", Withdraw(actor=actor, party_id="P1", reason="自行和解"))
    await handle.result()
    return handle.id


async def calendar_amended(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """Accepted, then an amended calendar makes the deadline's day a holiday: the deadline moves;
    the case then escalates by timeout on the new deadline."""
    handle, view = await _start(client, case_input(serial), tq)
    view, _ = await _accept(handle, view)
    assert view.mediation_deadline is not None
    amended = with_holiday(local_day(view.mediation_deadline - timedelta(microseconds=1)))
    await _update(handle, "amend_calendar", CalendarAmendment(calendar=amended, sent_by="ops-1"))
    await env.sleep(timedelta(days=5))
    return handle.id


async def court_refused(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """A court referral a party refuses: closed, and the outcome goes back to the referring court."""
    handle, view = await _start(client, await _court_case(env, serial), tq)
    actor = _actor(view, await _members(view))
    await _update(handle, "record_refusal", RecordRefusal(actor=actor, party_id="P2", reason="不同意调解"))
    await handle.result()
    return handle.id


async def county_flagged(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """Escalated from the grid to the county, flagged there as likely to intensify (Art. 25), accepted."""
    handle, view = await _start(client, case_input(serial), tq)
    actor = _actor(view, await _members(view))
    view = await _update(
        handle, "escalate", Escalate(actor=actor, reason="涉及县直部门", to_level=Level.COUNTY)
    )
    actor = _actor(view, await _members(view))
    await _update(handle, "flag_intensification", FlagIntensification(actor=actor, reason="双方扬言动手"))
    await _update(handle, "accept", Accept(actor=actor, mediator_ids=[actor.id]))
    return handle.id


async def court_ruling_extended(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """Agreement, confirmation applied for and accepted, the ruling's term extended, then confirmed."""
    handle, view = await _start(client, await _court_case(env, serial), tq)
    view, actor = await _accept(handle, view)
    await _update(
        handle,
        "record_agreement",
        RecordAgreement(actor=actor, form=AgreementForm.WRITTEN, terms="分期还款", signed_by=BOTH),
    )
    now = await env.get_current_time()
    await _update(
        handle,
        "apply_confirmation",
        ApplyConfirmation(actor=actor, applicants=BOTH, court="零陵示范县人民法院", applied_at=now),
    )
    await _update(handle, "record_court_decision", RecordCourtDecision(actor=actor, accepted=True))
    await env.sleep(timedelta(days=10))
    await _update(handle, "extend_ruling", ExtendRuling(actor=actor, approval="院长批准延长审查期限"))
    await env.sleep(timedelta(days=10))
    await _update(
        handle, "record_ruling", RecordRuling.model_validate({"actor": actor, "ruling": "confirmed"})
    )
    await handle.result()
    return handle.id


async def through_the_service(client: Client, env: WorkflowEnvironment, tq: str, serial: int) -> str:
    """Actions as the service sends them, each with its request (the audit line written with the
    record): the grid accepts and holds a session, a supervisor reassigns the case to the village,
    whose acceptance deadline then passes."""
    handle, view = await _start(client, case_input(serial), tq)
    actor = _actor(view, await _members(view))

    def request(n: int) -> Request:
        return Request(key=f"key-{n}", client="10.0.0.7")

    view = await _update(handle, "accept", Accept(actor=actor, mediator_ids=[actor.id], request=request(1)))
    now = await env.get_current_time()
    session = RecordSession(actor=actor, held_at=now, attendees=BOTH, notes="双方到场", request=request(2))
    await _update(handle, "record_session", session)
    supervisor = Actor(id="S-0001", role=ActorRole.SUPERVISOR, committee_id="431199")
    reassign = Reassign(
        actor=supervisor, committee_id="C-431199001001", reason="改由村调委会调解", request=request(3)
    )
    await _update(handle, "reassign", reassign)
    await env.sleep(timedelta(days=4))
    return handle.id


SCENARIOS: dict[str, Scenario] = {
    "ladder_to_overdue": ladder_to_overdue,
    "opened_at_intake": opened_at_intake,
    "village_agreement_performed": village_agreement_performed,
    "intensify_transfer_fail_at_top": intensify_transfer_fail_at_top,
    "court_returned": court_returned,
    "court_confirmed_after_invalid": court_confirmed_after_invalid,
    "breach_reopens": breach_reopens,
    "calendar_amended": calendar_amended,
    "court_refused": court_refused,
    "county_flagged": county_flagged,
    "court_ruling_extended": court_ruling_extended,
    "through_the_service": through_the_service,
}
