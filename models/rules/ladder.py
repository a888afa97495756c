"""The ladder: the case handed from committee to committee, each stage with its deadlines and
reminders, escalation to the next level, and an overdue case at the top of the ladder."""

from __future__ import annotations

from datetime import datetime

from models import aftercare, messages, terms
from models.calendar import add_span, reminder_time
from models.case import CaseInput, CaseState, Committee, Reminder, Route, Stage
from models.effects import Effects
from models.enums import (
    LEVEL_ORDER,
    CaseStatus,
    DeadlineKind,
    EscalationCause,
    Level,
    NotificationKind,
    Outcome,
    Risk,
)
from models.rules.allowed import Rejected, under_court_term
from models.rules.transaction import Transition, private_copy


def open_case(case: CaseInput, route: Route, now: datetime) -> tuple[CaseState, Effects]:
    """The first handoff: to the grid, or higher when the dispute may intensify (Art. 25)."""
    policy = case.policy
    level = policy.ladder[0]
    if case.intake.risk is Risk.MAY_INTENSIFY:
        level = max(level, policy.intensify_min_level, key=LEVEL_ORDER.index)
    state = CaseState(
        case_id=case.case_id,
        case_no=case.case_no,
        intake=case.intake,
        policy=policy,
        route=route,
        opened_at=now,
        risk=case.intake.risk,
        status=CaseStatus.AWAITING_ACCEPTANCE,
        stages=[],
    )
    tx = Transition(state)
    if case.intake.risk is Risk.MAY_INTENSIFY:
        intensification_notices(tx, "intake")
    referral = case.intake.referral
    if referral is not None:
        committee = route.find(referral.committee_id)
        if committee is None:
            raise Rejected(f"the court referred the case to unknown committee {referral.committee_id}")
        hand_off(tx, committee, now)
    else:
        hand_off(tx, committee_for(tx.state, level), now)
    return tx.done()


def committee_for(state: CaseState, level: Level) -> Committee:
    """The committee that takes the case at `level`: a specialised one when the policy routes it."""
    specialty = state.policy.specialty_for(state.intake.dispute_type, level)
    if specialty is not None:
        for committee in state.route.specialised:
            if committee.specialty == specialty:
                return committee
    if level not in state.route.by_level:
        raise Rejected(f"no {level.value}-level committee is registered for this case's place")
    return state.route.by_level[level]


def with_committee(state: CaseState, committee: Committee) -> CaseState:
    """Fresh membership of the committee holding the case, as the registry has it now."""
    if state.stage.committee.id != committee.id:
        return state
    updated = private_copy(state)
    updated.stage.committee = committee
    return updated


def hand_off(tx: Transition, committee: Committee, now: datetime) -> None:
    """A new stage at `committee`, with its acceptance deadline and reminders."""
    state = tx.state
    if under_court_term(state):
        assert state.referral is not None
        court = state.policy.court
        deadline = min(
            add_span(now, court.acceptance, state.policy.calendar),
            terms.court_term_ends(state),
        )
    else:
        deadline = add_span(now, state.policy.rule(committee.level).acceptance, state.policy.calendar)
    stage = Stage(
        no=len(state.stages) + 1,
        level=committee.level,
        committee=committee,
        handed_off_at=now,
        acceptance_deadline=deadline,
        reminders=plan_reminders(state, committee.level, DeadlineKind.ACCEPTANCE, deadline, now),
    )
    state.stages.append(stage)
    state.status = CaseStatus.AWAITING_ACCEPTANCE
    state.overdue = False
    state.next_overdue_reminder_at = None
    tx.touched.add(stage.no)
    tx.effects.refresh_committee = committee.id
    subject, body = messages.handoff(state, committee, deadline)
    tx.notify(
        f"stage-{stage.no}/handoff",
        NotificationKind.HANDOFF,
        f"committee:{committee.id}",
        subject,
        body,
        due=deadline.isoformat(),
    )


def end_stage(
    tx: Transition, outcome: Outcome, cause: EscalationCause | None, reason: str, now: datetime
) -> None:
    stage = tx.state.stage
    stage.outcome = outcome
    stage.cause = cause
    stage.reason = reason
    stage.ended_at = now
    tx.touched.add(stage.no)


def escalate(tx: Transition, target: Level, cause: EscalationCause, reason: str, now: datetime) -> None:
    end_stage(tx, Outcome.ESCALATED, cause, reason, now)
    hand_off(tx, committee_for(tx.state, target), now)


def plan_reminders(
    state: CaseState, level: Level, kind: DeadlineKind, deadline: datetime, now: datetime
) -> list[Reminder]:
    reminders = []
    spans = state.policy.court.reminders_before if under_court_term(state) else None
    for before in spans if spans is not None else state.policy.rule(level).reminders_before:
        at = reminder_time(deadline, before, state.policy.calendar)
        if now < at < deadline:
            reminders.append(Reminder(deadline=kind, before=before, at=at))
    return sorted(reminders, key=lambda r: r.at)


def pending_reminders(stage: Stage) -> list[Reminder]:
    phase = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
    return [r for r in stage.reminders if not r.sent and r.deadline is phase]


def next_wakeup(state: CaseState) -> datetime | None:
    """When the case next needs attention without anyone acting: a reminder or a deadline."""
    if state.closed:
        return None
    if state.aftercare is not None:
        due = aftercare.due_times(state.aftercare)
        return min(due) if due else None
    stage = state.stage
    times = [r.at for r in pending_reminders(stage)]
    if state.overdue:
        if state.next_overdue_reminder_at is not None:
            times.append(state.next_overdue_reminder_at)
    else:
        times.append(stage.deadline)
    return min(times) if times else None


def reminder_notice(tx: Transition, index: int, reminder: Reminder) -> None:
    stage = tx.state.stage
    subject, body = messages.reminder(tx.state, reminder)
    tx.notify(
        f"stage-{stage.no}/reminder-{index}",
        NotificationKind.REMINDER,
        f"committee:{stage.committee.id}",
        subject,
        body,
        deadline=reminder.deadline.value,
        due=stage.deadline.isoformat(),
    )


def become_overdue(tx: Transition, kind: DeadlineKind, now: datetime) -> None:
    """A deadline passed at the top of the ladder: the case stays, the supervisor is told."""
    state, stage = tx.state, tx.state.stage
    state.overdue = True
    stage.overdue = True
    tx.touched.add(stage.no)
    overdue_notice(tx, now)
    # a stage is overdue once per deadline: an extension gives it a new one
    deadline_no = f"-{len(stage.extensions)}" if stage.extensions else ""
    subject, body = messages.overdue_committee(state.case_no, kind)
    tx.notify(
        f"stage-{stage.no}/overdue-{kind.value}{deadline_no}/committee",
        NotificationKind.OVERDUE,
        f"committee:{stage.committee.id}",
        subject,
        body,
        deadline=kind.value,
    )


def overdue_notice(tx: Transition, now: datetime) -> None:
    """The supervisor's notice, again every `overdue_reminder_every` until someone acts."""
    state, stage = tx.state, tx.state.stage
    state.overdue_reminders_sent += 1
    state.next_overdue_reminder_at = add_span(now, state.policy.overdue_reminder_every, state.policy.calendar)
    subject, body = messages.overdue_supervisor(state)
    tx.notify(
        f"overdue-{state.overdue_reminders_sent}",
        NotificationKind.OVERDUE,
        f"supervisor:{state.intake.place.county}",
        subject,
        body,
        due=stage.deadline.isoformat(),
    )


def clear_overdue(state: CaseState, stage: Stage, now: datetime) -> None:
    if stage.deadline > now:
        state.overdue = False
        state.next_overdue_reminder_at = None


def intensification_notices(tx: Transition, key: str) -> None:
    """The police and the responsible departments told of a dispute that may intensify (Art. 25)."""
    state = tx.state
    subject, body = messages.intensification(state)
    for agency in state.policy.notify_on_intensification:
        tx.notify(
            f"intensification/{key}/{agency}",
            NotificationKind.INTENSIFICATION,
            f"agency:{agency}:{state.intake.place.county}",
            subject,
            body,
            dispute_type=state.intake.dispute_type.value,
        )
