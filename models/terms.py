"""Terms and the calendar they are counted on: which deadlines are provisional (in a year the
case's calendar does not cover), when an action comes too late, how far a court's term reaches."""

from __future__ import annotations

from datetime import datetime

from models.calendar import WorkingCalendar, cst_text
from models.case import CaseState
from models.enums import Action
from models.labels import ReportTerm, both


def provisional(deadline: datetime | None, calendar: WorkingCalendar) -> bool:
    """Whether a deadline lies in a year the calendar does not cover: counted on weekends alone."""
    return deadline is not None and calendar.provisional(deadline)


def provisional_note(calendar: WorkingCalendar) -> str:
    """What a provisional mark says, e.g. on the Web UI and in the CLI."""
    years = ", ".join(str(y) for y in calendar.years)
    return f"{both(ReportTerm.PROVISIONAL)} (calendar {calendar.name} covers {years}; weekends only)"


def too_late(state: CaseState, action: Action, now: datetime, moves_on: bool) -> str | None:
    """Why an action is refused because its deadline passed while the timer had not yet fired, or None.

    `moves_on`: the passing deadline moves the case (an escalation, a return to the court) rather
    than leaving it overdue where it is, where accepting or extending late is still allowed."""
    if state.closed or state.aftercare is not None or state.overdue or not moves_on:
        return None
    stage = state.stage
    if now < stage.deadline:
        return None
    if action is Action.ACCEPT and stage.accepted_at is None:
        what = "acceptance deadline"
    elif action is Action.EXTEND and stage.accepted_at is not None:
        what = "mediation deadline" if state.referral is None else "court's term"
    else:
        return None
    then = "it returns to the court" if state.referral is not None else "it is escalated"
    return f"`{action.value}` comes too late: the {what} passed at {cst_text(stage.deadline)}; {then}"


def whole_referral(state: CaseState) -> bool:
    """Whether a court referral's term and extensions are kept across transfers: under Art. 85
    counting (`calendar.art85`), which every case has."""
    return state.referral is not None and state.policy.calendar.art85


def extensions_used(state: CaseState, court_term: bool) -> int:
    """Extensions that count against the cap: the stage's, or under a court's term every stage's
    (one cap per referral, kept across transfers)."""
    if court_term and whole_referral(state):
        return sum(len(s.extensions) for s in state.stages)
    return len(state.stage.extensions)


def court_term_ends(state: CaseState) -> datetime:
    """The court's term as extended so far: a transfer keeps it."""
    referral = state.referral
    assert referral is not None
    term = state.policy.court.term_ends(referral, state.policy.calendar)
    if not whole_referral(state):
        return term
    extended = [e.new_deadline for s in state.stages for e in s.extensions]
    return max([term, *extended])
