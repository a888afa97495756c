"""Rules for staff outside the committees: a supervisor's reassignment and closing of an overdue
case, and what a court liaison may record. Pure functions, like `models.rules`, whose building
blocks they use."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from models.actions import ActionInput
from models.case import MAX_STAGES, TEXT_MAX, CaseState
from models.effects import Effects
from models.enums import Action, ActorRole, CaseStatus, ClosureReason, Outcome
from models.rules.allowed import Rejected
from models.rules.endings import close
from models.rules.ladder import end_stage, hand_off
from models.rules.transaction import Transition
from models.text import PlainText


class StaffAction(StrEnum):
    """Supervisors' actions; each is a workflow update of the same name."""

    REASSIGN = "reassign"
    CLOSE_OVERDUE = "close_overdue"


class Reassign(ActionInput):
    committee_id: str = Field(min_length=1, max_length=40)
    reason: PlainText = Field(min_length=2, max_length=TEXT_MAX)


class CloseOverdue(ActionInput):
    reason: PlainText = Field(min_length=2, max_length=TEXT_MAX)


StaffInput = Reassign | CloseOverdue
STAFF_PAYLOADS: dict[StaffAction, type[Reassign] | type[CloseOverdue]] = {
    StaffAction.REASSIGN: Reassign,
    StaffAction.CLOSE_OVERDUE: CloseOverdue,
}
REASSIGNABLE = (CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING)


def check(state: CaseState, action: StaffAction, payload: StaffInput) -> None:
    """Raise `rules.Rejected` if the supervisor's action does not fit the case now."""
    if payload.actor.role is not ActorRole.SUPERVISOR:
        raise Rejected(
            f"`{action.value}` is a supervisor's action; {payload.actor.id} acts as {payload.actor.role}"
        )
    scope = payload.actor.committee_id
    if not state.intake.place.grid.startswith(scope):
        raise Rejected(f"case {state.case_no} is outside supervisor scope {scope}")
    holder = state.stage.committee
    if not holder.jurisdiction.startswith(scope):  # a township's supervisor, a county-held case
        raise Rejected(
            f"case {state.case_no} is held by {holder.name} ({holder.level.value},"
            f" {holder.jurisdiction}), above supervisor scope {scope}: a supervisor whose scope"
            f" covers {holder.jurisdiction} acts on it"
        )
    if isinstance(payload, Reassign):
        if state.status not in REASSIGNABLE:
            raise Rejected(
                f"case {state.case_no} is {state.status.value}; only a case awaiting acceptance or in"
                " mediation can be reassigned"
            )
        target = state.route.find(payload.committee_id)
        if target is None:
            options = ", ".join(c.id for c in state.route.all() if c.id != state.stage.committee.id)
            raise Rejected(f"unknown committee {payload.committee_id}; this case can go to: {options}")
        if target.id == state.stage.committee.id:
            raise Rejected(f"the case is already held by {target.name}")
        if target.level not in state.policy.ladder:
            raise Rejected(
                f"{target.name} sits at the {target.level.value} level, not on this policy's ladder"
            )
        if len(state.stages) >= MAX_STAGES:
            raise Rejected(f"case {state.case_no} has had {MAX_STAGES} stages, the most a case may have")
        return
    if state.closed or not state.overdue or state.level is not state.policy.top:
        raise Rejected(
            f"case {state.case_no} is {state.status.value} at the {state.level.value} level"
            f"{', overdue' if state.overdue else ', not overdue'}; only an overdue case at the top"
            f" of the ladder ({state.policy.top.value}) can be closed by a supervisor"
        )


def apply(
    state: CaseState, action: StaffAction, payload: StaffInput, now: datetime
) -> tuple[CaseState, Effects]:
    check(state, action, payload)
    tx = Transition(state)
    who = f"supervisor {payload.actor.id}"
    if isinstance(payload, Reassign):
        target = state.route.find(payload.committee_id)
        assert target is not None
        end_stage(tx, Outcome.TRANSFERRED, None, f"reassigned by {who}: {payload.reason}", now)
        hand_off(tx, target, now)
    else:
        text = f"closed overdue by {who}: {payload.reason}"
        close(tx, Outcome.FAILED, ClosureReason.CLOSED_BY_SUPERVISOR, text, now)
    return tx.done()


COURT_LIAISON_ACTIONS = (Action.RECORD_COURT_DECISION, Action.EXTEND_RULING, Action.RECORD_RULING)


def check_court_liaison(state: CaseState, action: Action, payload: ActionInput) -> None:
    """A court liaison records only the court's decision, the extension of its term for the
    ruling and the ruling, for its own court."""
    actor = payload.actor
    if action not in COURT_LIAISON_ACTIONS:
        raise Rejected(
            f"{actor.id} is a court liaison; `{action.value}` comes from the committee holding the case"
        )
    care = state.aftercare
    court = care.confirmation.court if care is not None else None
    if court != actor.committee_id:
        raise Rejected(
            f"{actor.id} is the liaison of {actor.committee_id}; case {state.case_no} applied for"
            f" confirmation to {court or 'no court'}"
        )
