"""A case's rows as the record activity writes them: a stage's row, and the case's current row."""

from __future__ import annotations

from datetime import datetime

from models.case import CaseState, Stage
from models.effects import CaseProjection, StageRecord


def stage_record(state: CaseState, stage: Stage) -> StageRecord:
    return StageRecord(
        case_id=state.case_id,
        stage_no=stage.no,
        committee_id=stage.committee.id,
        level=stage.level,
        mediators=stage.mediators,
        outcome=stage.outcome.value if stage.outcome else None,
        cause=stage.cause.value if stage.cause else None,
        reason=stage.reason,
        agreement=stage.agreement.model_dump(mode="json") if stage.agreement else None,
        started_at=stage.handed_off_at,
        accepted_at=stage.accepted_at,
        deadline=stage.deadline,
        overdue=stage.overdue,
        ended_at=stage.ended_at,
    )


def projection(state: CaseState, next_deadline: datetime | None) -> CaseProjection:
    """The cases row; `next_deadline` is the rules' answer (models.rules.next_deadline)."""
    place = state.intake.place
    return CaseProjection(
        case_id=state.case_id,
        case_no=state.case_no,
        version=state.version,
        status=state.status,
        level=state.level,
        committee_id=state.stage.committee.id,
        dispute_type=state.intake.dispute_type,
        risk=state.risk,
        county=place.county,
        township=place.township,
        village=place.village,
        grid=place.grid,
        channel=state.intake.channel.value,
        policy=state.policy.name,
        stage_no=state.stage.no,
        next_deadline=next_deadline,
        overdue=state.overdue,
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        closure_reason=state.closure_reason,
    )
