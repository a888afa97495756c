"""Steps of the service tests: cases brought to the status an action needs, by trusted backends
(the engine's own client), and what a case has left in history and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from temporalio.client import Client

from front.services import Services
from models.actions import Accept, ApplyConfirmation, Escalate, RecordAgreement, RecordCourtDecision
from models.case import Actor
from models.enums import Action, ActorRole, AgreementForm
from models.view import CaseView
from policies import load_policy
from service.cases import CaseError
from service.intake import open_case
from tests.factories import FIELDS, intake

COURT = "零陵示范县人民法院"
GRID = "C-431199001001-G01"
VILLAGE = "C-431199001001"
GRID_WORKER = Actor(id="M-0028", role=ActorRole.GRID_WORKER, committee_id=GRID)
VILLAGE_CHAIR = Actor(id="M-0025", role=ActorRole.CHAIR, committee_id=VILLAGE)
LIAISON = Actor(id="L-0001", role=ActorRole.COURT_LIAISON, committee_id=COURT)

# the status each action needs: awaiting acceptance, mediating, follow-up, applied, court accepted
NEEDS = {
    Action.ACCEPT: 0,
    Action.ESCALATE: 0,
    Action.TRANSFER: 0,
    Action.RECORD_REFUSAL: 0,
    Action.WITHDRAW: 0,
    Action.RECORD_SESSION: 1,
    Action.EXTEND: 1,
    Action.RECORD_AGREEMENT: 1,
    Action.RECORD_FAILURE: 1,
    Action.APPLY_CONFIRMATION: 2,
    Action.RECORD_VISIT: 2,
    Action.FLAG_INTENSIFICATION: 1,
    Action.RECORD_COURT_DECISION: 3,
    Action.EXTEND_RULING: 4,
    Action.RECORD_RULING: 4,
}


async def wait_open(services: Services, case_id: str) -> CaseView:
    for _ in range(400):
        try:
            view = await services.door.cases.view(case_id)
            if view.waiting_for is None:
                return view
        except CaseError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{case_id} did not open")


async def open_unwaited(services: Services) -> str:
    """A fresh case through the intake, its id as soon as its workflow has started."""
    result = await open_case(
        services.door.client,
        services.engine,
        intake(intake_ref=f"door-{uuid.uuid4().hex[:12]}"),
        load_policy("gaotai-4x7"),
        fields=FIELDS,
        task_queue=services.door.task_queue,
    )
    return result.case_id


async def open_at(services: Services, committee: str, step: int = 0) -> str:
    """A fresh case held by `committee` (the grid's or the village's), brought to `step` of NEEDS."""
    case_id = await open_unwaited(services)
    await wait_open(services, case_id)
    act = services.door.cases.act
    if committee == VILLAGE:
        await act(case_id, Action.ESCALATE, Escalate(actor=GRID_WORKER, reason="上交村调委会"))
    member = GRID_WORKER if committee == GRID else VILLAGE_CHAIR
    if step >= 1:
        await act(case_id, Action.ACCEPT, Accept(actor=member, mediator_ids=[member.id]))
    if step >= 2:
        agreement = RecordAgreement(
            actor=member, form=AgreementForm.WRITTEN, terms="围墙按原址重建", signed_by=["P1", "P2"]
        )
        await act(case_id, Action.RECORD_AGREEMENT, agreement)
    if step >= 3:
        applied = ApplyConfirmation(
            actor=member, applicants=["P1", "P2"], court=COURT, applied_at=datetime.now(UTC)
        )
        await act(case_id, Action.APPLY_CONFIRMATION, applied)
    if step >= 4:
        await act(case_id, Action.RECORD_COURT_DECISION, RecordCourtDecision(actor=LIAISON, accepted=True))
    return case_id


def body(action: str, committee: str) -> dict[str, Any]:
    """A valid body of `action` for a case held by `committee` (naming no actor)."""
    now = datetime.now(UTC).isoformat()
    mediator = GRID_WORKER.id if committee == GRID else "M-0026"
    bodies: dict[str, dict[str, Any]] = {
        "accept": {"mediator_ids": [mediator]},
        "record_session": {"held_at": now, "attendees": ["P1", "P2"], "notes": "双方到场"},
        "extend": {
            "by": {"amount": 1, "unit": "working_days"},
            "consenting_parties": ["P1", "P2"],
            "reason": "双方同意延期",
        },
        "escalate": {"reason": "需要上级调解"},
        "transfer": {"committee_id": "C-431199-MED", "reason": "专业调解"},
        "record_agreement": {"form": "written", "terms": "分期还款", "signed_by": ["P1", "P2"]},
        "record_failure": {"reason": "调解不成"},
        "record_refusal": {"party_id": "P2", "reason": "拒绝调解"},
        "withdraw": {"party_id": "P1", "reason": "撤回申请"},
        "apply_confirmation": {"applicants": ["P1", "P2"], "court": COURT, "applied_at": now},
        "record_visit": {"performing": True, "notes": "协议履行中"},
        "record_court_decision": {"accepted": True},
        "record_ruling": {"ruling": "confirmed"},
        "flag_intensification": {"reason": "双方言语冲突升级"},
        "extend_ruling": {"approval": "院长批准（2026）第3号"},
        "reassign": {"committee_id": "C-431199001", "reason": "督导改派"},
        "close_overdue": {"reason": "逾期未结，督导结案"},
    }
    return bodies[action]


async def trace(services: Services, client: Client, case_id: str) -> tuple[int, dict[str, int]]:
    """(history length, rows per table) of a case: what a refused request must leave as it was."""
    events = [e async for e in client.get_workflow_handle(case_id).fetch_history_events()]
    counts = {}
    async with services.engine.connect() as conn:
        for table in ("stages", "case_events", "outbox"):
            found = await conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE case_id = :c"), {"c": case_id}
            )
            counts[table] = int(found.scalar_one())
        version = await conn.execute(text("SELECT version FROM cases WHERE case_id = :c"), {"c": case_id})
        counts["cases.version"] = int(version.scalar_one())
    return len(events), counts
