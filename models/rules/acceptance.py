"""A committee accepts the case (its mediators, the mediation deadline) and records sessions."""

from __future__ import annotations

from datetime import datetime

from models import terms
from models.actions import Accept, ActionInput, RecordSession
from models.calendar import add_span
from models.calendar import cst_text as _fmt
from models.case import CaseState, Session
from models.enums import CaseStatus, DeadlineKind
from models.rules.allowed import SESSION_CLOCK_SKEW_S, Rejected, check_parties, under_court_term
from models.rules.ladder import clear_overdue, plan_reminders
from models.rules.transaction import Transition


def check_accept(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Accept)
    committee = state.stage.committee
    if len(set(payload.mediator_ids)) != len(payload.mediator_ids):
        raise Rejected("a mediator is listed twice")
    strangers = [m for m in payload.mediator_ids if not committee.has_member(m)]
    if strangers:
        members = ", ".join(m.id for m in committee.members)
        raise Rejected(
            f"mediator(s) {', '.join(strangers)} are not members of {committee.name}; members: {members}"
        )


def apply_accept(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Accept)
    state, stage = tx.state, tx.state.stage
    stage.accepted_at = now
    stage.accepted_by = payload.actor.id
    stage.mediators = list(payload.mediator_ids)
    if under_court_term(state):
        assert state.referral is not None
        stage.mediation_deadline = terms.court_term_ends(state)
    else:
        rule = state.policy.rule(stage.level)
        start = stage.handed_off_at if rule.mediation_from == "handoff" else now
        stage.mediation_deadline = add_span(start, rule.mediation, state.policy.calendar)
    stage.reminders = [r for r in stage.reminders if r.sent] + plan_reminders(
        state, stage.level, DeadlineKind.MEDIATION, stage.mediation_deadline, now
    )
    state.status = CaseStatus.MEDIATING
    clear_overdue(state, stage, now)
    tx.touched.add(stage.no)


def check_session(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordSession)
    stage = state.stage
    if payload.held_at.timestamp() > now.timestamp() + SESSION_CLOCK_SKEW_S:
        raise Rejected(f"session time {_fmt(payload.held_at)} is in the future")
    if payload.held_at < stage.handed_off_at:
        raise Rejected(
            f"session time {_fmt(payload.held_at)} is before this stage began ({_fmt(stage.handed_off_at)})"
        )
    check_parties(state, payload.attendees)


def apply_session(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordSession)
    tx.state.stage.sessions.append(
        Session(
            held_at=payload.held_at,
            mode=payload.mode,
            attendees=list(payload.attendees),
            notes=payload.notes,
            recorded_by=payload.actor.id,
        )
    )
    stage = tx.state.stage
    tx.event(
        "session",
        payload.held_at,
        f"stage-{stage.no}/session-{len(stage.sessions)}",
        mode=payload.mode.value,
        attendees=list(payload.attendees),
        recorded_by=payload.actor.id,
    )
