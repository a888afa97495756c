"""The case as supervisors, mediators and the UI see it (the `state` query)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models import terms
from models.aftercare import Aftercare, due_times
from models.calendar import cst_text
from models.case import CaseState, Place, Reminder, Stage
from models.enums import Action, CaseStatus, ClosureReason, DeadlineKind, DisputeType, Level, Risk
from models.labels import en
from models.rules import allowed_actions, next_deadline
from models.terms import provisional, provisional_note


class StageView(BaseModel):
    no: int
    level: Level
    committee_id: str
    committee_name: str
    mediators: list[str]
    handed_off_at: datetime
    acceptance_deadline: datetime
    accepted_at: datetime | None
    mediation_deadline: datetime | None
    extensions: int
    sessions: int
    overdue: bool
    outcome: str | None
    cause: str | None
    reason: str | None
    agreement_terms: str | None
    ended_at: datetime | None


class CaseView(BaseModel):
    case_id: str
    case_no: str
    policy: str
    status: CaseStatus
    level: Level
    committee_id: str
    committee_name: str
    committee_jurisdiction: str = Field(
        default="", description="the place code the holding committee serves (supervisors' scopes)"
    )
    mediators: list[str]
    dispute_type: DisputeType
    risk: Risk
    place: Place
    parties: list[dict[str, str]]
    opened_at: datetime
    acceptance_deadline: datetime
    mediation_deadline: datetime | None
    next_deadline: datetime | None
    overdue: bool
    reminders: list[Reminder]
    reminders_sent: int
    overdue_notices: int = 0
    stages: list[StageView]
    allowed_actions: list[Action]
    closed_at: datetime | None
    closure_reason: ClosureReason | None
    waiting_for: str | None = None
    aftercare: Aftercare | None = None
    court: str | None = None
    referral_no: str | None = None
    court_term_ends: datetime | None = None
    reopened: int = 0
    version: int
    provisional: list[str] = Field(
        default_factory=list,
        description="the deadlines above (field names) in a year the case's calendar does not cover",
    )
    calendar_years: list[int] = Field(default_factory=list, description="years the case's calendar covers")

    @property
    def being_mediated(self) -> bool:
        """Whether its stage's terms run: awaiting acceptance or mediating (not after an outcome)."""
        return self.status in (CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING)

    @property
    def court_term_running(self) -> bool:
        """The court's term counts while the case is mediated under its referral; an outcome ends it."""
        return self.court_term_ends is not None and self.being_mediated

    @property
    def court_decision_pending(self) -> bool:
        """An application for judicial confirmation the court has not yet decided to accept."""
        care = self.aftercare
        return (
            care is not None
            and care.confirmation.decision_due is not None
            and care.confirmation.accepted is None
        )

    @property
    def reminders_shown(self) -> list[Reminder]:
        """The stage's reminders: all while its terms run, after an outcome only those sent."""
        return self.reminders if self.being_mediated else [r for r in self.reminders if r.sent]


def stage_view(stage: Stage) -> StageView:
    return StageView(
        no=stage.no,
        level=stage.level,
        committee_id=stage.committee.id,
        committee_name=stage.committee.name,
        mediators=stage.mediators,
        handed_off_at=stage.handed_off_at,
        acceptance_deadline=stage.acceptance_deadline,
        accepted_at=stage.accepted_at,
        mediation_deadline=stage.mediation_deadline,
        extensions=len(stage.extensions),
        sessions=len(stage.sessions),
        overdue=stage.overdue,
        outcome=stage.outcome.value if stage.outcome else None,
        cause=stage.cause.value if stage.cause else None,
        reason=stage.reason,
        agreement_terms=stage.agreement.terms if stage.agreement else None,
        ended_at=stage.ended_at,
    )


def case_view(state: CaseState, waiting_for: str | None = None) -> CaseView:
    stage = state.stage
    referral = state.referral
    sent = sum(r.sent for s in state.stages for r in s.reminders) + state.overdue_reminders_sent
    calendar = state.policy.calendar
    court_term_ends = terms.court_term_ends(state) if referral else None
    deadlines = {
        "acceptance_deadline": stage.acceptance_deadline,
        "mediation_deadline": stage.mediation_deadline,
        "next_deadline": next_deadline(state),
        "court_term_ends": court_term_ends,
    }
    return CaseView(
        case_id=state.case_id,
        case_no=state.case_no,
        policy=state.policy.name,
        status=state.status,
        level=state.level,
        committee_id=stage.committee.id,
        committee_name=stage.committee.name,
        committee_jurisdiction=stage.committee.jurisdiction,
        mediators=stage.mediators,
        dispute_type=state.intake.dispute_type,
        risk=state.risk,
        place=state.intake.place,
        parties=[p.masked() for p in state.intake.parties],
        opened_at=state.opened_at,
        acceptance_deadline=stage.acceptance_deadline,
        mediation_deadline=stage.mediation_deadline,
        next_deadline=next_deadline(state),
        overdue=state.overdue,
        reminders=stage.reminders,
        reminders_sent=sent,
        overdue_notices=state.overdue_reminders_sent,
        stages=[stage_view(s) for s in state.stages],
        allowed_actions=allowed_actions(state),
        closed_at=state.closed_at,
        closure_reason=state.closure_reason,
        waiting_for=waiting_for,
        aftercare=state.aftercare,
        court=referral.court if referral else None,
        referral_no=referral.referral_no if referral else None,
        court_term_ends=court_term_ends,
        reopened=state.reopened,
        version=state.version,
        provisional=[] if state.closed else [n for n, at in deadlines.items() if provisional(at, calendar)],
        calendar_years=list(calendar.years),
    )


def next_timer_summary(state: CaseState) -> str:
    """What the workflow's next timer is for, as the Web UI shows it on the timer."""
    stage = state.stage
    level = en(stage.level)
    if state.aftercare is not None:
        care = state.aftercare
        visit = care.next_visit
        if visit is not None and not visit.reminded and min(due_times(care)) == visit.due_at:
            return f"follow-up visit {visit.no} due"
        if care.confirmation.applied_at is None and not care.confirmation.window_closed:
            return "judicial confirmation window closes (Art. 33)"
        if care.confirmation.awaiting_ruling and due_times(care):
            return "court's ruling on judicial confirmation due (SPC 2011, Art. 5)"
        return "court's acceptance decision due" if due_times(care) else "waiting for a follow-up visit"
    phase = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
    pending = [r for r in stage.reminders if not r.sent and r.deadline is phase]
    if state.overdue:
        candidates = [(state.next_overdue_reminder_at, f"overdue notice to the supervisor ({level})")]
    else:
        candidates = [(stage.deadline, f"{level} {en(phase)}")]
    candidates += [(r.at, f"reminder: {level} {phase.value} due in {r.before}") for r in pending]
    timed = [(at, text) for at, text in candidates if at is not None]
    return min(timed, key=lambda pair: pair[0])[1] if timed else "waiting for a mediator's action"


def current_details(state: CaseState, waiting_for: str | None = None) -> str:
    """Markdown for the Web UI's current details: where the case is and what it waits for."""
    return Details(state).text(waiting_for)


class Details:
    """The current details of one state, composed once: `text(waiting_for)` for what the case
    waits for at each moment of a transition (its recording, then the next action)."""

    def __init__(self, state: CaseState) -> None:
        stage = state.stage
        self._awaited: str | None = None
        self._tail: list[str] = []
        if state.closed:
            reason = en(state.closure_reason) if state.closure_reason else "closed"
            at = f"{stage.committee.name} ({en(stage.level)})"
            self._head = [f"**{state.case_no}** closed: {reason} at {at}"]
            return
        if state.status is CaseStatus.AWAITING_ACCEPTANCE:
            self._awaited = f"acceptance by {stage.committee.name}"
        elif state.status is CaseStatus.FOLLOW_UP:
            self._awaited = f"follow-up of the agreement by {stage.committee.name}"
        else:
            self._awaited = f"mediation by {', '.join(stage.mediators) or stage.committee.name}"
        deadline = next_deadline(state)
        self._head = [
            f"**{state.case_no}** · {en(state.intake.dispute_type)} · grid {state.intake.place.grid}",
            f"- level: {en(stage.level)} · committee: {stage.committee.name} ({stage.committee.id})",
            f"- status: {en(state.status)}{' · **OVERDUE**' if state.overdue else ''}",
        ]
        self._tail = [
            f"- next deadline: {cst_text(deadline)}{_provisional_mark(state, deadline)}"
            if deadline
            else "- no deadline",
            f"- stage {stage.no}; allowed: {', '.join(a.value for a in allowed_actions(state)) or 'none'}",
        ]

    def text(self, waiting_for: str | None = None) -> str:
        if self._awaited is None:
            return self._head[0]
        return "\n".join([*self._head, f"- awaiting: {waiting_for or self._awaited}", *self._tail])


def _provisional_mark(state: CaseState, deadline: datetime) -> str:
    calendar = state.policy.calendar
    return f" · **{provisional_note(calendar)}**" if provisional(deadline, calendar) else ""
