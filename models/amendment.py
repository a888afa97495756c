"""A running case receives an amended calendar (a year's holidays published after it opened).

The operator's `mediation calendar send` delivers the installed calendar to every open case as an
update. The case recomputes each deadline, reminder and follow-up date not yet passed on the new
calendar; a passed one never moves, nor does one move into the past. What moved is recorded
(case_events: `deadline_moved`, with from and to) and the committee holding the case is told.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models import rules
from models.calendar import WorkingCalendar, add_span, cst_text
from models.case import CaseState, Stage
from models.effects import Effects
from models.enums import DeadlineKind, NotificationKind


class CalendarAmendment(BaseModel):
    """The `amend_calendar` update: the calendar as installed now, and who sent it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calendar: WorkingCalendar
    sent_by: str = Field(pattern=r"^[A-Za-z0-9_.:@-]{1,60}$", description="the operator who sent it")


class Move(BaseModel):
    deadline: str
    stage_no: int
    moved_from: datetime
    moved_to: datetime


def _same(a: WorkingCalendar, b: WorkingCalendar) -> bool:
    return (a.years, a.holidays, a.make_up_workdays) == (b.years, b.holidays, b.make_up_workdays)


def check(state: CaseState, amendment: CalendarAmendment) -> None:
    """Raise `rules.Rejected` if the case cannot take the calendar. Never changes anything."""
    current, new = state.policy.calendar, amendment.calendar
    if state.closed:
        raise rules.Rejected(f"case {state.case_no} is closed; its deadlines no longer run")
    if new.name != current.name:
        raise rules.Rejected(f"case {state.case_no} runs on calendar {current.name}, not {new.name}")
    dropped = sorted(set(current.years) - set(new.years))
    if dropped:
        raise rules.Rejected(
            f"the calendar sent does not cover {', '.join(map(str, dropped))}, which case {state.case_no}'s"
            " calendar covers; an amendment adds or corrects years"
        )
    if _same(current, new):
        raise rules.Rejected(f"case {state.case_no} already runs on this calendar ({_years(new)})")


def _years(calendar: WorkingCalendar) -> str:
    return ", ".join(str(y) for y in calendar.years)


def _stage_deadline(state: CaseState, stage: Stage, calendar: WorkingCalendar) -> datetime:
    """The stage's current deadline counted again, from the events it was counted from."""
    policy, referral = state.policy, state.referral
    court_term = rules.under_court_term(state) and referral is not None
    if stage.accepted_at is None:
        if court_term:
            assert referral is not None
            return min(
                add_span(stage.handed_off_at, policy.court.acceptance, calendar),
                policy.court.term_ends(referral, calendar),
            )
        return add_span(stage.handed_off_at, policy.rule(stage.level).acceptance, calendar)
    if court_term:
        assert referral is not None
        deadline = policy.court.term_ends(referral, calendar)
    else:
        rule = policy.rule(stage.level)
        start = stage.handed_off_at if rule.mediation_from == "handoff" else stage.accepted_at
        deadline = add_span(start, rule.mediation, calendar)
    for extension in stage.extensions:
        deadline = add_span(deadline, extension.by, calendar)
    return deadline


def _moves_to(old: datetime, new: datetime, now: datetime) -> bool:
    return old > now and new > now and new != old


def apply(state: CaseState, amendment: CalendarAmendment, now: datetime) -> tuple[CaseState, Effects]:
    check(state, amendment)
    tx = rules.Transition(state)
    case = tx.state
    # the counting a case opened with stays (cases opened before Art. 85 counting keep theirs)
    calendar = amendment.calendar.model_copy(update={"art85": case.policy.calendar.art85})
    moves: list[Move] = []
    if case.aftercare is None:
        stage = case.stage
        kind = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
        old, new = stage.deadline, _stage_deadline(case, stage, calendar)
        case.policy = case.policy.model_copy(update={"calendar": calendar})
        if _moves_to(old, new, now) and not case.overdue:
            moves.append(Move(deadline=kind.value, stage_no=stage.no, moved_from=old, moved_to=new))
            if stage.accepted_at is None:
                stage.acceptance_deadline = new
            else:
                stage.mediation_deadline = new
                if stage.extensions:  # as granted, and the deadline it now gives (an extension is frozen)
                    stage.extensions[-1] = stage.extensions[-1].model_copy(update={"new_deadline": new})
            stage.reminders = [r for r in stage.reminders if r.sent or r.deadline is not kind] + (
                rules.plan_reminders(case, stage.level, kind, new, now)
            )
            tx.touched.add(stage.no)
    else:
        case.policy = case.policy.model_copy(update={"calendar": calendar})
        moves += _move_aftercare(case, calendar, now)
    _record(tx, amendment, moves, now)
    return tx.done()


def _move_aftercare(state: CaseState, calendar: WorkingCalendar, now: datetime) -> list[Move]:
    care, policy, moves = state.aftercare, state.policy, []
    assert care is not None
    no = care.agreement_stage
    for visit, span in zip(care.visits, policy.follow_up.visits_after, strict=False):
        new = add_span(care.effective_at, span, calendar)
        if visit.done_at is None and not visit.reminded and _moves_to(visit.due_at, new, now):
            moves.append(
                Move(deadline=f"visit_{visit.no}", stage_no=no, moved_from=visit.due_at, moved_to=new)
            )
            visit.due_at = new
    c = care.confirmation
    new = add_span(care.effective_at, policy.confirmation.window, calendar)
    if c.applied_at is None and not c.window_closed and _moves_to(c.window_ends, new, now):
        moves.append(
            Move(deadline="confirmation_window", stage_no=no, moved_from=c.window_ends, moved_to=new)
        )
        c.window_ends = new
    if c.applied_at is not None and c.decision_due is not None and c.accepted is None:
        new = add_span(c.applied_at, policy.confirmation.court_decision, calendar)
        if not c.decision_reminded and _moves_to(c.decision_due, new, now):
            moves.append(
                Move(deadline="court_decision", stage_no=no, moved_from=c.decision_due, moved_to=new)
            )
            c.decision_due = new
    return moves


def _record(tx: rules.Transition, amendment: CalendarAmendment, moves: list[Move], now: datetime) -> None:
    state = tx.state
    years = _years(amendment.calendar)
    key = f"calendar-{'-'.join(map(str, amendment.calendar.years))}-v{state.version + 1}"
    tx.event("calendar_amended", now, key, years=amendment.calendar.years, sent_by=amendment.sent_by)
    for move in moves:
        tx.event(
            "deadline_moved",
            now,
            f"{key}/{move.deadline}",
            deadline=move.deadline,
            stage_no=move.stage_no,
            moved_from=move.moved_from.isoformat(),
            moved_to=move.moved_to.isoformat(),
        )
    if not moves:
        return
    committee = state.stage.committee
    lines = "; ".join(
        f"{move.deadline}: {cst_text(move.moved_from)} → {cst_text(move.moved_to)}" for move in moves
    )
    tx.notify(
        f"{key}/moved",
        NotificationKind.DEADLINE_MOVED,
        f"committee:{committee.id}",
        f"{state.case_no} 期限调整 deadlines moved",
        f"案件{state.case_no}按新的节假日安排（{years}）重新计算期限：{lines}。"
        f" Case {state.case_no}: deadlines counted again on the amended calendar ({years}): {lines}.",
        due=min(move.moved_to for move in moves).isoformat(),
    )
