"""Moving a case on by decision: escalation up the ladder, transfer to another committee, and a
dispute flagged as one that may intensify (Art. 25)."""

from __future__ import annotations

from datetime import datetime

from models.actions import ActionInput, Escalate, FlagIntensification, Transfer
from models.case import CaseState
from models.enums import EscalationCause, Level, Outcome, Risk
from models.rules.allowed import Rejected
from models.rules.ladder import end_stage, escalate, hand_off, intensification_notices
from models.rules.transaction import Transition


def escalation_target(state: CaseState, payload: Escalate) -> Level:
    policy = state.policy
    ladder = policy.ladder
    target = policy.next_level(state.level)
    assert target is not None
    if payload.intensifying or state.risk is Risk.MAY_INTENSIFY:
        target = max(target, policy.intensify_min_level, key=ladder.index)
    if payload.to_level is not None:
        target = max(target, payload.to_level, key=ladder.index)
    return target


def check_escalate(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Escalate)
    ladder = state.policy.ladder
    if payload.to_level is not None:
        if payload.to_level not in ladder:
            raise Rejected(
                f"level {payload.to_level.value} is not on this policy's ladder ({', '.join(ladder)})"
            )
        if ladder.index(payload.to_level) <= ladder.index(state.level):
            raise Rejected(
                f"escalation goes up: the case is at {state.level.value}, asked for {payload.to_level.value}"
            )


def apply_escalate(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Escalate)
    target = escalation_target(tx.state, payload)
    # the police and departments are told once per flag, not again at every later escalation;
    # an escalation counts as caused by intensification only when the mediator says it is
    if payload.intensifying and tx.state.risk is not Risk.MAY_INTENSIFY:
        tx.state.risk = Risk.MAY_INTENSIFY
        intensification_notices(tx, f"stage-{tx.state.stage.no}")
    cause = EscalationCause.INTENSIFICATION if payload.intensifying else EscalationCause.DECISION
    escalate(tx, target, cause, payload.reason, now)


def check_transfer(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Transfer)
    target = state.route.find(payload.committee_id)
    if target is None:
        options = ", ".join(
            f"{c.id} ({c.name})" for c in state.route.all() if c.id != state.stage.committee.id
        )
        raise Rejected(f"unknown committee {payload.committee_id}; this case can go to: {options}")
    if target.id == state.stage.committee.id:
        raise Rejected(f"the case is already held by {target.name}")
    if target.level not in state.policy.ladder:
        raise Rejected(f"{target.name} sits at the {target.level.value} level, not on this policy's ladder")


def apply_transfer(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Transfer)
    target = tx.state.route.find(payload.committee_id)
    assert target is not None
    end_stage(tx, Outcome.TRANSFERRED, None, payload.reason, now)
    hand_off(tx, target, now)


def check_flag(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, FlagIntensification)


def apply_flag(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, FlagIntensification)
    state = tx.state
    state.risk = Risk.MAY_INTENSIFY
    key = f"stage-{state.stage.no}/flag"
    intensification_notices(tx, key)
    tx.event("intensification_flagged", now, key, reason=payload.reason, flagged_by=payload.actor.id)
