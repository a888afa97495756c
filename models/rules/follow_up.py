"""After an agreement: follow-up visits, what is due when, closing once followed up, and
mediation reopened when the agreement is not performed. The bookkeeping is models/aftercare.py."""

from __future__ import annotations

from datetime import datetime

from models import aftercare, messages
from models.actions import ActionInput, RecordVisit
from models.aftercare import OnBreach
from models.case import CaseState, Committee
from models.enums import ClosureReason, NotificationKind
from models.rules.endings import close_after_agreement
from models.rules.ladder import committee_for, hand_off
from models.rules.transaction import Transition


def check_visit(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordVisit)


def apply_visit(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordVisit) and tx.state.aftercare is not None
    visit = tx.state.aftercare.next_visit
    assert visit is not None
    visit.done_at, visit.performing = now, payload.performing
    visit.notes, visit.visited_by = payload.notes, payload.actor.id
    key = aftercare_key(tx.state, f"visit-{visit.no}")
    tx.event("visit", now, key, visit=visit.no, performing=payload.performing)
    if payload.performing:
        close_if_followed_up(tx, now)
        return
    state = tx.state
    next_level = state.policy.next_level(state.level) if state.level in state.policy.ladder else None
    if state.policy.follow_up.on_breach is OnBreach.ESCALATE and next_level is not None:
        reopen(tx, committee_for(state, next_level), f"agreement not performed (visit {visit.no})", now)
    else:
        reopen(tx, state.stage.committee, f"agreement not performed (visit {visit.no})", now)


def aftercare_key(state: CaseState, key: str) -> str:
    """An agreement reached after a reopening gets its own visit and confirmation keys."""
    return f"{key}/after-reopen-{state.reopened}" if state.reopened else key


def close_if_followed_up(tx: Transition, now: datetime) -> None:
    care = tx.state.aftercare
    assert care is not None
    if care.visits_done and not care.confirmation.pending:
        close_after_agreement(tx, ClosureReason.PERFORMED, now)


def reopen(tx: Transition, committee: Committee, reason: str, now: datetime) -> None:
    """Mediation starts again after an agreement: a new stage, the agreement's record kept."""
    state = tx.state
    state.aftercare = None
    state.reopened += 1
    tx.event("reopened", now, f"reopened-{state.reopened}", reason=reason, to=committee.id)
    hand_off(tx, committee, now)


def on_time(tx: Transition, now: datetime) -> bool:
    """Fire the follow-up dates due at `now`; whether any was."""
    assert tx.state.aftercare is not None
    fired = aftercare.fire(tx.state.aftercare, now)
    for due, visit_no in fired:
        _due_notice(tx, due, visit_no, now)
    return bool(fired)


def _due_notice(tx: Transition, due: aftercare.Due, visit_no: int, now: datetime) -> None:
    state, committee = tx.state, tx.state.stage.committee
    if due is aftercare.Due.WINDOW_CLOSES:
        tx.event("confirmation_window_closed", now, aftercare_key(state, "confirmation/window-closed"))
    subject, body = messages.follow_up_due(state.case_no, due, visit_no)
    tx.notify(
        aftercare_key(state, f"aftercare/{due.value}/{visit_no}"),
        NotificationKind.FOLLOW_UP_DUE,
        f"committee:{committee.id}",
        subject,
        body,
        what=due.value,
    )
