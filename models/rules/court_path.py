"""Judicial confirmation of an agreement (Art. 33, SPC 2011): the joint application, the court's
decision to accept it, its ruling and the ruling's extension."""

from __future__ import annotations

from datetime import datetime

from models import aftercare
from models.actions import ActionInput, ApplyConfirmation, ExtendRuling, RecordCourtDecision, RecordRuling
from models.aftercare import AfterInvalid, Ruling
from models.calendar import add_span
from models.calendar import cst_text as _fmt
from models.case import CaseState
from models.enums import ClosureReason
from models.rules.allowed import SESSION_CLOCK_SKEW_S, Rejected, check_parties
from models.rules.endings import close_after_agreement, other_routes
from models.rules.follow_up import aftercare_key, close_if_followed_up, reopen
from models.rules.transaction import Transition


def window_ended(window: datetime) -> str:
    return (
        f"the 30 days for judicial confirmation ended {_fmt(window)}"
        " (Art. 33: within 30 days of the agreement taking effect)"
    )


def check_apply_confirmation(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ApplyConfirmation) and state.aftercare is not None
    care = state.aftercare
    window = care.confirmation.window_ends
    if payload.applied_at.timestamp() > now.timestamp() + SESSION_CLOCK_SKEW_S:
        raise Rejected(f"application date {_fmt(payload.applied_at)} is in the future")
    if payload.applied_at < care.effective_at:
        raise Rejected(f"application date {_fmt(payload.applied_at)} is before the agreement took effect")
    if payload.applied_at > window:
        raise Rejected(f"{window_ended(window)}; the application cannot be recorded")
    check_parties(state, payload.applicants)
    missing = [p for p in state.intake.party_ids() if p not in payload.applicants]
    if missing:
        raise Rejected(
            f"judicial confirmation is applied for jointly (Art. 33); not applying: {', '.join(missing)}"
        )


def apply_apply_confirmation(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ApplyConfirmation) and tx.state.aftercare is not None
    c = tx.state.aftercare.confirmation
    c.applied_at = payload.applied_at
    c.applicants = list(payload.applicants)
    c.court = payload.court
    c.decision_due = add_span(
        payload.applied_at, tx.state.policy.confirmation.court_decision, tx.state.policy.calendar
    )
    tx.event(
        "confirmation_applied",
        now,
        aftercare_key(tx.state, "confirmation/applied"),
        court=payload.court,
        applied_at=str(payload.applied_at),
    )


def check_court_decision(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordCourtDecision)


def apply_court_decision(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordCourtDecision) and tx.state.aftercare is not None
    c = tx.state.aftercare.confirmation
    c.accepted = payload.accepted
    if payload.accepted and tx.state.policy.calendar.art85:  # cases opened since the terms patch
        rule, calendar = tx.state.policy.confirmation, tx.state.policy.calendar
        c.accepted_at = now
        aftercare.ruling_due(c, add_span(now, rule.ruling, calendar), rule, calendar)
    tx.event(
        "court_decision",
        now,
        aftercare_key(tx.state, "confirmation/decision"),
        accepted=payload.accepted,
        reason=payload.reason,
    )
    close_if_followed_up(tx, now)


def check_ruling(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRuling)
    if payload.ruling is Ruling.INVALID and payload.then is None:
        raise Rejected("a ruling of invalidity needs `then`: `mediate_again` or `sue` (Art. 33)")
    if payload.ruling is Ruling.CONFIRMED and payload.then is not None:
        raise Rejected("`then` applies only to a ruling of invalidity")


def apply_ruling(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRuling) and tx.state.aftercare is not None
    c = tx.state.aftercare.confirmation
    c.ruling, c.ruled_at = payload.ruling, now
    key = aftercare_key(tx.state, "confirmation/ruling")
    tx.event("ruling", now, key, ruling=payload.ruling.value, then=payload.then)
    if payload.ruling is Ruling.CONFIRMED:
        close_after_agreement(tx, ClosureReason.CONFIRMED_BY_COURT, now)
    elif payload.then is AfterInvalid.MEDIATE_AGAIN:
        reopen(tx, tx.state.stage.committee, "agreement found invalid by the court; mediating again", now)
    else:
        close_after_agreement(tx, ClosureReason.AGREEMENT_INVALID, now)
        other_routes(tx)


def check_extend_ruling(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ExtendRuling) and state.aftercare is not None
    due = state.aftercare.confirmation.ruling_due
    if due is not None and now >= due:
        raise Rejected(
            f"the 15 days for the ruling ended {_fmt(due)}; an extension is approved before they end"
        )


def apply_extend_ruling(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ExtendRuling) and tx.state.aftercare is not None
    c, policy = tx.state.aftercare.confirmation, tx.state.policy
    assert c.ruling_due is not None
    c.ruling_extended = True
    aftercare.ruling_due(
        c,
        add_span(c.ruling_due, policy.confirmation.ruling_extension, policy.calendar),
        policy.confirmation,
        policy.calendar,
    )
    key = aftercare_key(tx.state, "confirmation/ruling-extended")
    tx.event("ruling_extended", now, key, approval=payload.approval, ruling_due=str(c.ruling_due))
