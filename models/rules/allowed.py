"""What a case allows now: the actions open to it, whose term it runs on, its next deadline."""

from __future__ import annotations

from datetime import datetime

from models import aftercare, terms
from models.aftercare import Aftercare
from models.calendar import Span
from models.case import MAX_STAGES, CaseState
from models.enums import Action, CaseStatus, Risk

SESSION_CLOCK_SKEW_S = 300  # a time this far in the future is a clock's error, not a claim

_BY_STATUS: dict[CaseStatus, tuple[Action, ...]] = {
    CaseStatus.AWAITING_ACCEPTANCE: (
        Action.ACCEPT,
        Action.ESCALATE,
        Action.TRANSFER,
        Action.RECORD_REFUSAL,
        Action.WITHDRAW,
        Action.FLAG_INTENSIFICATION,
    ),
    CaseStatus.MEDIATING: (
        Action.RECORD_SESSION,
        Action.EXTEND,
        Action.ESCALATE,
        Action.TRANSFER,
        Action.RECORD_AGREEMENT,
        Action.RECORD_FAILURE,
        Action.RECORD_REFUSAL,
        Action.WITHDRAW,
        Action.FLAG_INTENSIFICATION,
    ),
    CaseStatus.FOLLOW_UP: (
        Action.RECORD_VISIT,
        Action.APPLY_CONFIRMATION,
        Action.RECORD_COURT_DECISION,
        Action.RECORD_RULING,
        Action.EXTEND_RULING,
    ),
    CaseStatus.CLOSED: (),
}


class Rejected(ValueError):
    """An action that does not fit the case; the message says why and what is allowed now."""


def allowed_actions(state: CaseState) -> list[Action]:
    allowed = list(_BY_STATUS[state.status])
    if state.level is state.policy.top or under_court_term(state):
        allowed.remove(Action.ESCALATE) if Action.ESCALATE in allowed else None
    used = terms.extensions_used(state, under_court_term(state))
    if state.status is CaseStatus.MEDIATING and used >= extension_limits(state)[0]:
        allowed.remove(Action.EXTEND)
    if len(state.stages) >= MAX_STAGES and Action.TRANSFER in allowed:
        allowed.remove(Action.TRANSFER)
    if state.aftercare is not None:
        allowed = [a for a in allowed if aftercare_allows(state.aftercare, a)]
    if state.risk is Risk.MAY_INTENSIFY and Action.FLAG_INTENSIFICATION in allowed:
        allowed.remove(Action.FLAG_INTENSIFICATION)  # one flag, one notice (Art. 25)
    return allowed


def under_court_term(state: CaseState) -> bool:
    """A referred case runs on the court's term until an agreement is reopened after it."""
    return state.referral is not None and state.reopened == 0


def extension_limits(state: CaseState) -> tuple[int, Span, bool]:
    """How many extensions, how long each at most, and whether every party must consent."""
    if under_court_term(state):
        court = state.policy.court
        return court.max_extensions, court.extension_cap, True  # both parties must agree
    rule = state.policy.extensions
    return rule.max_count, rule.max_span, rule.needs_every_party


def aftercare_allows(care: Aftercare, action: Action) -> bool:
    c = care.confirmation
    match action:
        case Action.RECORD_VISIT:
            return care.next_visit is not None
        case Action.APPLY_CONFIRMATION:
            return c.applied_at is None and not c.window_closed
        case Action.RECORD_COURT_DECISION:
            return c.applied_at is not None and c.accepted is None
        case Action.RECORD_RULING:
            return c.accepted is True and c.ruling is None
        case Action.EXTEND_RULING:
            return c.awaiting_ruling and not c.ruling_extended
    return True


def next_deadline(state: CaseState) -> datetime | None:
    """The next date someone must act by: a stage deadline, or the next follow-up date."""
    if state.closed:
        return None
    if state.aftercare is not None:
        times = aftercare.due_times(state.aftercare)
        return min(times) if times else None
    return state.stage.deadline


def check_parties(state: CaseState, party_ids: list[str]) -> None:
    """Raise `Rejected` unless each id is one of the case's parties, listed once."""
    known = state.intake.party_ids()
    unknown = [p for p in party_ids if p not in known]
    if unknown:
        raise Rejected(
            f"unknown party id(s) {', '.join(unknown)}; this case's parties are {', '.join(known)}"
        )
    if len(set(party_ids)) != len(party_ids):
        raise Rejected("a party is listed twice")
