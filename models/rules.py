"""The escalation rules: (state, action, time) → (new state, effects).

Pure functions. The workflow calls `check` from its update validators, `apply`
from its update handlers and `on_time` when a timer fires; it asks `next_wakeup`
when to fire the next one.
"""

from __future__ import annotations

import copy
from datetime import datetime

from models import aftercare, supervision, terms
from models.actions import (
    Accept,
    ActionInput,
    ApplyConfirmation,
    Escalate,
    Extend,
    ExtendRuling,
    FlagIntensification,
    RecordAgreement,
    RecordCourtDecision,
    RecordFailure,
    RecordRefusal,
    RecordRuling,
    RecordSession,
    RecordVisit,
    Transfer,
    Withdraw,
)
from models.aftercare import Aftercare, AfterInvalid, OnBreach, Ruling
from models.calendar import Span, add_span, reminder_time
from models.calendar import cst_text as _fmt
from models.case import (
    MAX_STAGES,
    Agreement,
    CaseInput,
    CaseState,
    Committee,
    Extension,
    Reminder,
    Route,
    Session,
    Stage,
)
from models.court_notices import court_outcome_notice
from models.effects import CaseEvent, CaseProjection, Effects, Notification, StageRecord
from models.enums import (
    LEVEL_ORDER,
    Action,
    ActorRole,
    AgreementForm,
    CaseStatus,
    ClosureReason,
    DeadlineKind,
    EscalationCause,
    Level,
    NotificationKind,
    Outcome,
    Risk,
)
from models.labels import both, en, zh

SESSION_CLOCK_SKEW_S = 300
OTHER_ROUTES = (
    "调解不成，调解终止。您可以依法通过仲裁、行政途径或者向人民法院提起诉讼维护权益（人民调解法第二十六条）。"
    " Mediation has ended without agreement. You may seek arbitration, administrative handling"
    " or file a lawsuit (People's Mediation Law, Art. 26)."
)

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
    if state.status is CaseStatus.MEDIATING and used >= _extension_limits(state)[0]:
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


def _extension_limits(state: CaseState) -> tuple[int, Span, bool]:
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


# ---------------------------------------------------------------- transitions


def private_copy(state: CaseState) -> CaseState:
    """A copy a transition may change. Its stages, reminders and aftercare are new objects; the
    frozen parts (intake, policy snapshot with its calendar, route, each stage's committee) are
    shared: copying them was most of a transition's cost."""
    frozen = [state.intake, state.policy, state.route, *(s.committee for s in state.stages)]
    return copy.deepcopy(state, {id(part): part for part in frozen})


class _Tx:
    """A transition in progress: a private copy of the state and the effects so far."""

    def __init__(self, state: CaseState) -> None:
        self.state = private_copy(state)
        self.effects = Effects()
        self.touched: set[int] = set()

    def notify(
        self, key: str, kind: NotificationKind, recipient: str, subject: str, body: str, **facts: str
    ) -> None:
        """`facts`: what the short notices need besides the case number (models/notices.py)."""
        self.effects.notifications.append(
            Notification(
                key=f"{self.state.case_id}/{key}",
                kind=kind,
                recipient=recipient,
                subject=subject,
                body=body,
                facts={"case_no": self.state.case_no, **facts},
            )
        )

    def event(self, kind: str, at: datetime, key: str, **data: object) -> None:
        """A per-committee record of what happened after or around a stage (case_events table)."""
        state = self.state
        self.effects.events.append(
            CaseEvent(
                key=f"{state.case_id}/{key}",
                case_id=state.case_id,
                stage_no=state.stage.no,
                committee_id=state.stage.committee.id,
                kind=kind,
                at=at,
                data=data,
            )
        )

    def done(self) -> tuple[CaseState, Effects]:
        state = self.state
        state.version += 1
        self.effects.stages = [stage_record(state, state.stages[i - 1]) for i in sorted(self.touched)]
        self.effects.projection = projection(state)
        return state, self.effects


Transition = _Tx  # for rule modules beside this one (models/amendment.py)


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
    tx = _Tx(state)
    if case.intake.risk is Risk.MAY_INTENSIFY:
        _intensification_notices(tx, "intake")
    referral = case.intake.referral
    if referral is not None:
        committee = route.find(referral.committee_id)
        if committee is None:
            raise Rejected(f"the court referred the case to unknown committee {referral.committee_id}")
        _hand_off(tx, committee, now)
    else:
        _hand_off(tx, committee_for(tx.state, level), now)
    return tx.done()


def with_committee(state: CaseState, committee: Committee) -> CaseState:
    """Fresh membership of the committee holding the case, as the registry has it now."""
    if state.stage.committee.id != committee.id:
        return state
    updated = private_copy(state)
    updated.stage.committee = committee
    return updated


def check(state: CaseState, action: Action, payload: ActionInput, now: datetime) -> None:
    """Raise `Rejected` if `action` may not be applied now. Never changes anything."""
    allowed = allowed_actions(state)
    stage = state.stage
    if action not in allowed:
        raise Rejected(_not_now(state, action, allowed))
    actor = payload.actor
    if actor.role is ActorRole.COURT_LIAISON:
        supervision.check_court_liaison(state, action, payload)
        _CHECKS[action](state, payload, now)
        return
    if actor.role is ActorRole.SUPERVISOR:
        raise Rejected(
            f"{actor.id} is a supervisor; mediator actions come from the committee holding the case"
        )
    if actor.committee_id != stage.committee.id:
        raise Rejected(
            f"{actor.id} acts for committee {actor.committee_id}, but case {state.case_no} is held by"
            f" {stage.committee.name} ({stage.committee.id})"
        )
    if not stage.committee.has_member(actor.id):
        raise Rejected(f"{actor.id} is not a member of {stage.committee.name} ({stage.committee.id})")
    moves_on = under_court_term(state) or state.level is not state.policy.top
    late = terms.too_late(state, action, now, moves_on)
    if late is not None:
        raise Rejected(late)
    _CHECKS[action](state, payload, now)


def apply(state: CaseState, action: Action, payload: ActionInput, now: datetime) -> tuple[CaseState, Effects]:
    check(state, action, payload, now)
    tx = _Tx(state)
    _APPLY[action](tx, payload, now)
    return tx.done()


def next_wakeup(state: CaseState) -> datetime | None:
    """When the case next needs attention without anyone acting: a reminder or a deadline."""
    if state.closed:
        return None
    if state.aftercare is not None:
        due = aftercare.due_times(state.aftercare)
        return min(due) if due else None
    stage = state.stage
    times = [r.at for r in _pending_reminders(stage)]
    if state.overdue:
        if state.next_overdue_reminder_at is not None:
            times.append(state.next_overdue_reminder_at)
    else:
        times.append(stage.deadline)
    return min(times) if times else None


def on_time(state: CaseState, now: datetime) -> tuple[CaseState, Effects] | None:
    """Fire what is due at `now`: reminders, escalation by timeout, overdue notices."""
    if state.closed:
        return None
    tx = _Tx(state)
    if tx.state.aftercare is not None:
        fired = aftercare.fire(tx.state.aftercare, now)
        for due, visit_no in fired:
            _aftercare_notice(tx, due, visit_no, now)
        return tx.done() if fired else None
    changed = False
    stage = tx.state.stage
    for index, reminder in enumerate(stage.reminders):
        if reminder in _pending_reminders(stage) and reminder.at <= now:
            reminder.sent = True
            changed = True
            _reminder_notice(tx, index, reminder)
    if not tx.state.overdue and now >= stage.deadline:
        changed = True
        kind = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
        next_level = tx.state.policy.next_level(stage.level)
        if under_court_term(tx.state):
            _return_to_court(tx, f"{en(kind)} passed (court term)", now)
        elif next_level is None or stage.level is tx.state.policy.top:
            _become_overdue(tx, kind, now)
        else:
            cause = (
                EscalationCause.ACCEPTANCE_TIMEOUT
                if kind is DeadlineKind.ACCEPTANCE
                else EscalationCause.MEDIATION_TIMEOUT
            )
            _escalate(tx, next_level, cause, f"{en(kind)} passed", now)
    elif (
        tx.state.overdue
        and tx.state.next_overdue_reminder_at is not None
        and tx.state.next_overdue_reminder_at <= now
    ):
        changed = True
        _overdue_notice(tx, now)
    return tx.done() if changed else None


# ---------------------------------------------------------------- checks


def _not_now(state: CaseState, action: Action, allowed: list[Action]) -> str:
    where = f"case {state.case_no} is {en(state.status)}"
    if state.closed:
        reason = en(state.closure_reason) if state.closure_reason else "closed"
        return f"{where} ({reason}); no action is allowed"
    where += f" at {state.stage.committee.name} ({en(state.level)} level)"
    care = state.aftercare
    if action is Action.ESCALATE and under_court_term(state):
        where += "; a court referral is not escalated: when mediation fails it returns to the court"
    elif action is Action.ESCALATE and state.level is state.policy.top:
        where += "; it is already at the top of the ladder, so it cannot be escalated"
    elif action is Action.APPLY_CONFIRMATION and care is not None and care.confirmation.applied_at:
        where += f"; judicial confirmation was already applied for on {_fmt(care.confirmation.applied_at)}"
    elif action is Action.APPLY_CONFIRMATION and care is not None and care.confirmation.window_closed:
        where += f"; {_window_ended(care.confirmation.window_ends)}"
    elif action is Action.RECORD_RULING and care is not None and care.confirmation.accepted is not True:
        where += "; the court has not accepted an application for judicial confirmation"
    elif action is Action.EXTEND and state.status is CaseStatus.MEDIATING:
        where += (
            f"; the {'referral' if under_court_term(state) and terms.whole_referral(state) else 'stage'}"
            f" already had {terms.extensions_used(state, under_court_term(state))} extension(s),"
            " the most the policy allows"
        )
    elif action is Action.TRANSFER and len(state.stages) >= MAX_STAGES:
        where += f"; it has had {MAX_STAGES} stages, the most a case may have"
    names = ", ".join(f"`{a.value}`" for a in allowed) or "none"
    return f"{where}; `{action.value}` is not allowed now, only {names}"


def _unknown_parties(state: CaseState, party_ids: list[str]) -> None:
    known = state.intake.party_ids()
    unknown = [p for p in party_ids if p not in known]
    if unknown:
        raise Rejected(
            f"unknown party id(s) {', '.join(unknown)}; this case's parties are {', '.join(known)}"
        )
    if len(set(party_ids)) != len(party_ids):
        raise Rejected("a party is listed twice")


def _check_accept(state: CaseState, payload: ActionInput, now: datetime) -> None:
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


def _check_session(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordSession)
    stage = state.stage
    if payload.held_at.timestamp() > now.timestamp() + SESSION_CLOCK_SKEW_S:
        raise Rejected(f"session time {_fmt(payload.held_at)} is in the future")
    if payload.held_at < stage.handed_off_at:
        raise Rejected(
            f"session time {_fmt(payload.held_at)} is before this stage began ({_fmt(stage.handed_off_at)})"
        )
    _unknown_parties(state, payload.attendees)


def _check_extend(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Extend)
    _, max_span, needs_every_party = _extension_limits(state)
    stage = state.stage
    if payload.by.amount == 0:
        raise Rejected("an extension must be longer than zero")
    if add_span(stage.deadline, payload.by, state.policy.calendar) > add_span(
        stage.deadline, max_span, state.policy.calendar
    ):
        raise Rejected(f"an extension may be at most {max_span}; asked for {payload.by}")
    _unknown_parties(state, payload.consenting_parties)
    if needs_every_party:
        missing = [p for p in state.intake.parties if p.party_id not in payload.consenting_parties]
        if missing:
            who = ", ".join(f"{p.party_id} ({p.role.value})" for p in missing)
            raise Rejected(f"an extension needs every party's consent; missing: {who}")


def _escalation_target(state: CaseState, payload: Escalate) -> Level:
    policy = state.policy
    ladder = policy.ladder
    target = policy.next_level(state.level)
    assert target is not None
    if payload.intensifying or state.risk is Risk.MAY_INTENSIFY:
        target = max(target, policy.intensify_min_level, key=ladder.index)
    if payload.to_level is not None:
        target = max(target, payload.to_level, key=ladder.index)
    return target


def _check_escalate(state: CaseState, payload: ActionInput, now: datetime) -> None:
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


def _check_transfer(state: CaseState, payload: ActionInput, now: datetime) -> None:
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


def _check_agreement(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordAgreement)
    _unknown_parties(state, payload.signed_by)
    if payload.form is AgreementForm.WRITTEN:
        missing = [p for p in state.intake.party_ids() if p not in payload.signed_by]
        if missing:
            raise Rejected(
                "a written agreement takes effect when every party has signed (Art. 29);"
                f" not signed by: {', '.join(missing)}"
            )


def _check_party(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRefusal | Withdraw)
    _unknown_parties(state, [payload.party_id])


def _check_nothing(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordFailure | FlagIntensification)


# ---------------------------------------------------------------- effects of actions


def _apply_accept(tx: _Tx, payload: ActionInput, now: datetime) -> None:
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
    _clear_overdue(state, stage, now)
    tx.touched.add(stage.no)


def _apply_session(tx: _Tx, payload: ActionInput, now: datetime) -> None:
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


def _apply_extend(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Extend)
    state, stage = tx.state, tx.state.stage
    new_deadline = add_span(stage.deadline, payload.by, state.policy.calendar)
    stage.extensions.append(
        Extension(
            by=payload.by,
            granted_at=now,
            consenting_parties=list(payload.consenting_parties),
            reason=payload.reason,
            new_deadline=new_deadline,
        )
    )
    stage.mediation_deadline = new_deadline
    stage.reminders = [r for r in stage.reminders if r.sent] + plan_reminders(
        state, stage.level, DeadlineKind.MEDIATION, new_deadline, now
    )
    _clear_overdue(state, stage, now)
    tx.touched.add(stage.no)


def _apply_escalate(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Escalate)
    target = _escalation_target(tx.state, payload)
    # the police and departments are told once per flag, not again at every later escalation;
    # an escalation counts as caused by intensification only when the mediator says it is
    if payload.intensifying and tx.state.risk is not Risk.MAY_INTENSIFY:
        tx.state.risk = Risk.MAY_INTENSIFY
        _intensification_notices(tx, f"stage-{tx.state.stage.no}")
    cause = EscalationCause.INTENSIFICATION if payload.intensifying else EscalationCause.DECISION
    _escalate(tx, target, cause, payload.reason, now)


def _apply_flag(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, FlagIntensification)
    state = tx.state
    state.risk = Risk.MAY_INTENSIFY
    key = f"stage-{state.stage.no}/flag"
    _intensification_notices(tx, key)
    tx.event("intensification_flagged", now, key, reason=payload.reason, flagged_by=payload.actor.id)


def _apply_transfer(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Transfer)
    target = tx.state.route.find(payload.committee_id)
    assert target is not None
    _end_stage(tx, Outcome.TRANSFERRED, None, payload.reason, now)
    _hand_off(tx, target, now)


def _apply_agreement(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordAgreement)
    # By design (issue 4): an agreement ends the stage but not the case. The case moves to
    # FOLLOW_UP (visits, judicial confirmation) and closes as resolved only after the last
    # visit or a court confirmation. Tests that expect an agreement to close the case are outdated.
    state = tx.state
    state.stage.agreement = Agreement(
        form=payload.form, terms=payload.terms, signed_by=list(payload.signed_by), reached_at=now
    )
    _end_stage(tx, Outcome.AGREEMENT, None, "agreement reached", now)
    _tell_court(tx, Outcome.AGREEMENT, f"协议内容 terms: {payload.terms}")
    policy = state.policy
    state.aftercare = aftercare.plan(
        state.stage.no, state.stage.committee.id, now, policy.follow_up, policy.confirmation, policy.calendar
    )
    state.status = CaseStatus.FOLLOW_UP
    state.overdue = False
    state.next_overdue_reminder_at = None
    window = state.aftercare.confirmation.window_ends
    for party in state.intake.parties:
        tx.notify(
            f"stage-{state.stage.no}/agreement/{party.party_id}",
            NotificationKind.CONFIRMATION,
            f"party:{party.party_id}",
            f"{state.case_no} 达成调解协议 agreement reached",
            f"案件{state.case_no}已达成调解协议。双方可于{_fmt(window)}前共同向人民法院申请司法确认（人民调解法第三十三条）。"
            f" Case {state.case_no}: an agreement was reached. The parties may jointly apply for judicial"
            f" confirmation by {_fmt(window)} (Art. 33).",
            due=window.isoformat(),
        )


def _check_apply_confirmation(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ApplyConfirmation) and state.aftercare is not None
    care = state.aftercare
    window = care.confirmation.window_ends
    if payload.applied_at.timestamp() > now.timestamp() + SESSION_CLOCK_SKEW_S:
        raise Rejected(f"application date {_fmt(payload.applied_at)} is in the future")
    if payload.applied_at < care.effective_at:
        raise Rejected(f"application date {_fmt(payload.applied_at)} is before the agreement took effect")
    if payload.applied_at > window:
        raise Rejected(f"{_window_ended(window)}; the application cannot be recorded")
    _unknown_parties(state, payload.applicants)
    missing = [p for p in state.intake.party_ids() if p not in payload.applicants]
    if missing:
        raise Rejected(
            f"judicial confirmation is applied for jointly (Art. 33); not applying: {', '.join(missing)}"
        )


def _window_ended(window: datetime) -> str:
    return (
        f"the 30 days for judicial confirmation ended {_fmt(window)}"
        " (Art. 33: within 30 days of the agreement taking effect)"
    )


def _apply_apply_confirmation(tx: _Tx, payload: ActionInput, now: datetime) -> None:
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
        _aftercare_key(tx.state, "confirmation/applied"),
        court=payload.court,
        applied_at=str(payload.applied_at),
    )


def _check_court_decision(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordCourtDecision)


def _apply_court_decision(tx: _Tx, payload: ActionInput, now: datetime) -> None:
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
        _aftercare_key(tx.state, "confirmation/decision"),
        accepted=payload.accepted,
        reason=payload.reason,
    )
    _close_if_followed_up(tx, now)


def _check_ruling(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRuling)
    if payload.ruling is Ruling.INVALID and payload.then is None:
        raise Rejected("a ruling of invalidity needs `then`: `mediate_again` or `sue` (Art. 33)")
    if payload.ruling is Ruling.CONFIRMED and payload.then is not None:
        raise Rejected("`then` applies only to a ruling of invalidity")


def _apply_ruling(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRuling) and tx.state.aftercare is not None
    c = tx.state.aftercare.confirmation
    c.ruling, c.ruled_at = payload.ruling, now
    key = _aftercare_key(tx.state, "confirmation/ruling")
    tx.event("ruling", now, key, ruling=payload.ruling.value, then=payload.then)
    if payload.ruling is Ruling.CONFIRMED:
        _close_after_agreement(tx, ClosureReason.CONFIRMED_BY_COURT, now)
    elif payload.then is AfterInvalid.MEDIATE_AGAIN:
        _reopen(tx, tx.state.stage.committee, "agreement found invalid by the court; mediating again", now)
    else:
        _close_after_agreement(tx, ClosureReason.AGREEMENT_INVALID, now)
        _other_routes(tx)


def _check_extend_ruling(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, ExtendRuling) and state.aftercare is not None
    due = state.aftercare.confirmation.ruling_due
    if due is not None and now >= due:
        raise Rejected(
            f"the 15 days for the ruling ended {_fmt(due)}; an extension is approved before they end"
        )


def _apply_extend_ruling(tx: _Tx, payload: ActionInput, now: datetime) -> None:
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
    key = _aftercare_key(tx.state, "confirmation/ruling-extended")
    tx.event("ruling_extended", now, key, approval=payload.approval, ruling_due=str(c.ruling_due))


def _check_visit(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordVisit)


def _apply_visit(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordVisit) and tx.state.aftercare is not None
    visit = tx.state.aftercare.next_visit
    assert visit is not None
    visit.done_at, visit.performing = now, payload.performing
    visit.notes, visit.visited_by = payload.notes, payload.actor.id
    key = _aftercare_key(tx.state, f"visit-{visit.no}")
    tx.event("visit", now, key, visit=visit.no, performing=payload.performing)
    if payload.performing:
        _close_if_followed_up(tx, now)
        return
    state = tx.state
    next_level = state.policy.next_level(state.level) if state.level in state.policy.ladder else None
    if state.policy.follow_up.on_breach is OnBreach.ESCALATE and next_level is not None:
        _reopen(tx, committee_for(state, next_level), f"agreement not performed (visit {visit.no})", now)
    else:
        _reopen(tx, state.stage.committee, f"agreement not performed (visit {visit.no})", now)


def _aftercare_key(state: CaseState, key: str) -> str:
    """An agreement reached after a reopening gets its own visit and confirmation keys."""
    return f"{key}/after-reopen-{state.reopened}" if state.reopened else key


def _close_if_followed_up(tx: _Tx, now: datetime) -> None:
    care = tx.state.aftercare
    assert care is not None
    if care.visits_done and not care.confirmation.pending:
        _close_after_agreement(tx, ClosureReason.PERFORMED, now)


def _close_after_agreement(tx: _Tx, reason: ClosureReason, now: datetime) -> None:
    state = tx.state
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = reason
    _closed_notices(tx, reason)


def _reopen(tx: _Tx, committee: Committee, reason: str, now: datetime) -> None:
    """Mediation starts again after an agreement: a new stage, the agreement's record kept."""
    state = tx.state
    state.aftercare = None
    state.reopened += 1
    tx.event("reopened", now, f"reopened-{state.reopened}", reason=reason, to=committee.id)
    _hand_off(tx, committee, now)


def _return_to_court(tx: _Tx, reason: str, now: datetime) -> None:
    state = tx.state
    referral = state.referral
    assert referral is not None
    _end_stage(tx, Outcome.RETURNED_TO_COURT, None, reason, now)
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = ClosureReason.RETURNED_TO_COURT
    record = "; ".join(
        f"{s.no}. {s.committee.id} sessions {len(s.sessions)} → {s.outcome.value if s.outcome else 'open'}"
        for s in state.stages
    )
    tx.notify(
        "return-to-court",
        NotificationKind.RETURN_TO_COURT,
        f"court:{referral.court}",
        f"{referral.referral_no} 调解未成，退回立案 returned for filing",
        f"委派/委托调解案件{referral.referral_no}（{state.case_no}）{reason}，退回立案。调解记录：{record}。"
        f" Referral {referral.referral_no} ({state.case_no}): {reason}; returned to the court for filing."
        f" Mediation record: {record}.",
        referral_no=referral.referral_no,
    )
    _closed_notices(tx, ClosureReason.RETURNED_TO_COURT)


def _aftercare_notice(tx: _Tx, due: aftercare.Due, visit_no: int, now: datetime) -> None:
    state, committee = tx.state, tx.state.stage.committee
    if due is aftercare.Due.VISIT:
        subject, body = "回访到期 follow-up visit due", f"follow-up visit {visit_no} of the agreement is due"
    elif due is aftercare.Due.WINDOW_CLOSES:
        subject, body = (
            "司法确认申请期限届满 confirmation window closed",
            ("the 30 days for a joint application for judicial confirmation passed without one (Art. 33)"),
        )
        tx.event("confirmation_window_closed", now, _aftercare_key(state, "confirmation/window-closed"))
    elif due is aftercare.Due.RULING_SOON:
        subject, body = (
            "司法确认裁定即将到期 ruling due soon",
            "the court's ruling on confirmation is due soon",
        )
    elif due is aftercare.Due.RULING_LATE:
        subject, body = (
            "司法确认裁定逾期 ruling late",
            "the court has not ruled within its days after accepting the application (SPC 2011, Art. 5)",
        )
    else:
        subject, body = (
            "法院受理决定逾期 court decision late",
            ("the court has not decided within 3 days whether to accept the application (SPC 2011)"),
        )
    tx.notify(
        _aftercare_key(state, f"aftercare/{due.value}/{visit_no}"),
        NotificationKind.FOLLOW_UP_DUE,
        f"committee:{committee.id}",
        f"{state.case_no} {subject}",
        f"案件{state.case_no}: {subject}. Case {state.case_no}: {body}.",
        what=due.value,
    )


def _apply_failure(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordFailure)
    if under_court_term(tx.state):
        _return_to_court(tx, f"mediation failed: {payload.reason}", now)
        return
    next_level = tx.state.policy.next_level(tx.state.level)
    if next_level is None:
        _close(tx, Outcome.FAILED, ClosureReason.FAILED_AT_TOP, payload.reason, now)
        _other_routes(tx)
        return
    _end_stage(tx, Outcome.FAILED, EscalationCause.FAILURE, payload.reason, now)
    _hand_off(tx, committee_for(tx.state, next_level), now)


def _other_routes(tx: _Tx) -> None:
    for party in tx.state.intake.parties:
        tx.notify(
            f"other-routes/{party.party_id}",
            NotificationKind.OTHER_ROUTES,
            f"party:{party.party_id}",
            f"{tx.state.case_no} 调解终止 mediation ended",
            OTHER_ROUTES,
        )


def _apply_refusal(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRefusal)
    _close(tx, Outcome.REFUSED, ClosureReason.REFUSED, f"{payload.party_id}: {payload.reason}", now)


def _apply_withdraw(tx: _Tx, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Withdraw)
    _close(tx, Outcome.WITHDRAWN, ClosureReason.WITHDRAWN, f"{payload.party_id}: {payload.reason}", now)


_CHECKS = {
    Action.ACCEPT: _check_accept,
    Action.RECORD_SESSION: _check_session,
    Action.EXTEND: _check_extend,
    Action.ESCALATE: _check_escalate,
    Action.TRANSFER: _check_transfer,
    Action.RECORD_AGREEMENT: _check_agreement,
    Action.RECORD_FAILURE: _check_nothing,
    Action.RECORD_REFUSAL: _check_party,
    Action.WITHDRAW: _check_party,
    Action.APPLY_CONFIRMATION: _check_apply_confirmation,
    Action.RECORD_COURT_DECISION: _check_court_decision,
    Action.RECORD_RULING: _check_ruling,
    Action.RECORD_VISIT: _check_visit,
    Action.FLAG_INTENSIFICATION: _check_nothing,
    Action.EXTEND_RULING: _check_extend_ruling,
}
_APPLY = {
    Action.ACCEPT: _apply_accept,
    Action.RECORD_SESSION: _apply_session,
    Action.EXTEND: _apply_extend,
    Action.ESCALATE: _apply_escalate,
    Action.TRANSFER: _apply_transfer,
    Action.RECORD_AGREEMENT: _apply_agreement,
    Action.RECORD_FAILURE: _apply_failure,
    Action.RECORD_REFUSAL: _apply_refusal,
    Action.WITHDRAW: _apply_withdraw,
    Action.APPLY_CONFIRMATION: _apply_apply_confirmation,
    Action.RECORD_COURT_DECISION: _apply_court_decision,
    Action.RECORD_RULING: _apply_ruling,
    Action.RECORD_VISIT: _apply_visit,
    Action.FLAG_INTENSIFICATION: _apply_flag,
    Action.EXTEND_RULING: _apply_extend_ruling,
}


# ---------------------------------------------------------------- building blocks


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


def _hand_off(tx: _Tx, committee: Committee, now: datetime) -> None:
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
    dossier = "; ".join(
        f"{s.no}. {s.committee.name} → {en(s.outcome) if s.outcome else 'open'}" for s in state.stages[:-1]
    )
    tx.notify(
        f"stage-{stage.no}/handoff",
        NotificationKind.HANDOFF,
        f"committee:{committee.id}",
        f"{state.case_no} 待受理 handed to you",
        f"案件{state.case_no}（{zh(state.intake.dispute_type)}）移交{committee.name}，请于{_fmt(deadline)}前受理。"
        f" Case {state.case_no} ({en(state.intake.dispute_type)}) is handed to {committee.id};"
        f" accept by {_fmt(deadline)}. Earlier stages: {dossier or 'none'}.",
        due=deadline.isoformat(),
    )


def _end_stage(tx: _Tx, outcome: Outcome, cause: EscalationCause | None, reason: str, now: datetime) -> None:
    stage = tx.state.stage
    stage.outcome = outcome
    stage.cause = cause
    stage.reason = reason
    stage.ended_at = now
    tx.touched.add(stage.no)


def _escalate(tx: _Tx, target: Level, cause: EscalationCause, reason: str, now: datetime) -> None:
    _end_stage(tx, Outcome.ESCALATED, cause, reason, now)
    _hand_off(tx, committee_for(tx.state, target), now)


def _tell_court(tx: _Tx, outcome: Outcome, detail: str) -> None:
    notice = court_outcome_notice(tx.state, outcome, detail)
    if notice is not None:
        key, recipient, subject, body = notice
        referral_no = tx.state.referral.referral_no if tx.state.referral else ""
        tx.notify(
            key,
            NotificationKind.COURT_OUTCOME,
            recipient,
            subject,
            body,
            referral_no=referral_no,
            outcome=outcome.value,
        )


def _close(tx: _Tx, outcome: Outcome, reason: ClosureReason, text: str, now: datetime) -> None:
    _tell_court(tx, outcome, f"原因 reason: {text}")
    _end_stage(tx, outcome, None, text, now)
    state = tx.state
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = reason
    state.overdue = False
    state.next_overdue_reminder_at = None
    _closed_notices(tx, reason)


def _closed_notices(tx: _Tx, reason: ClosureReason) -> None:
    state = tx.state
    for party in state.intake.parties:
        tx.notify(
            f"closed/{party.party_id}",
            NotificationKind.CASE_CLOSED,
            f"party:{party.party_id}",
            f"{state.case_no} 已结案 case closed",
            f"案件{state.case_no}已结案：{zh(reason)}。 Case {state.case_no} is closed: {en(reason)}.",
            reason=reason.value,
        )


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


def _pending_reminders(stage: Stage) -> list[Reminder]:
    phase = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
    return [r for r in stage.reminders if not r.sent and r.deadline is phase]


def _reminder_notice(tx: _Tx, index: int, reminder: Reminder) -> None:
    state, stage = tx.state, tx.state.stage
    tx.notify(
        f"stage-{stage.no}/reminder-{index}",
        NotificationKind.REMINDER,
        f"committee:{stage.committee.id}",
        f"{state.case_no} {zh(reminder.deadline)}提醒 reminder",
        f"案件{state.case_no}的{zh(reminder.deadline)}为{_fmt(stage.deadline)}（还有{reminder.before}）。"
        f" Case {state.case_no}: {en(reminder.deadline)} {_fmt(stage.deadline)}, due in {reminder.before}.",
        deadline=reminder.deadline.value,
        due=stage.deadline.isoformat(),
    )


def _become_overdue(tx: _Tx, kind: DeadlineKind, now: datetime) -> None:
    state, stage = tx.state, tx.state.stage
    state.overdue = True
    stage.overdue = True
    tx.touched.add(stage.no)
    _overdue_notice(tx, now)
    # a stage is overdue once per deadline: an extension gives it a new one
    deadline_no = f"-{len(stage.extensions)}" if stage.extensions else ""
    tx.notify(
        f"stage-{stage.no}/overdue-{kind.value}{deadline_no}/committee",
        NotificationKind.OVERDUE,
        f"committee:{stage.committee.id}",
        f"{state.case_no} 已逾期 overdue",
        f"案件{state.case_no}的{zh(kind)}已过，已报告督办。 Case {state.case_no}: {en(kind)} passed;"
        " the supervisor has been told.",
        deadline=kind.value,
    )


def _overdue_notice(tx: _Tx, now: datetime) -> None:
    state, stage = tx.state, tx.state.stage
    state.overdue_reminders_sent += 1
    state.next_overdue_reminder_at = add_span(now, state.policy.overdue_reminder_every, state.policy.calendar)
    tx.notify(
        f"overdue-{state.overdue_reminders_sent}",
        NotificationKind.OVERDUE,
        f"supervisor:{state.intake.place.county}",
        f"{state.case_no} 逾期督办 overdue at the top level",
        f"案件{state.case_no}在{stage.committee.name}已逾期（{_fmt(stage.deadline)}），无更高层级可上交，请督办。"
        f" Case {state.case_no} is overdue at {stage.committee.id} since {_fmt(stage.deadline)};"
        f" it is at the top level: please follow up (notice {state.overdue_reminders_sent}).",
        due=stage.deadline.isoformat(),
    )


def _clear_overdue(state: CaseState, stage: Stage, now: datetime) -> None:
    if stage.deadline > now:
        state.overdue = False
        state.next_overdue_reminder_at = None


def _intensification_notices(tx: _Tx, key: str) -> None:
    state = tx.state
    for agency in state.policy.notify_on_intensification:
        tx.notify(
            f"intensification/{key}/{agency}",
            NotificationKind.INTENSIFICATION,
            f"agency:{agency}:{state.intake.place.county}",
            f"{state.case_no} 纠纷可能激化 may intensify (Art. 25)",
            f"案件{state.case_no}（{zh(state.intake.dispute_type)}，{state.intake.place.village}）可能激化，"
            "请采取预防措施（人民调解法第二十五条）。"
            f" Case {state.case_no} ({en(state.intake.dispute_type)}) may intensify: preventive measures"
            " requested (People's Mediation Law, Art. 25).",
            dispute_type=state.intake.dispute_type.value,
        )


def stage_record(state: CaseState, stage: Stage) -> StageRecord:
    return StageRecord(
        case_id=state.case_id,
        stage_no=stage.no,
        committee_id=stage.committee.id,
        level=stage.level,
        mediators=stage.mediators,
        outcome=stage.outcome.value if stage.outcome else None,
        cause=stage.cause.value if stage.cause else None,
        reason=stage.reason,
        agreement=stage.agreement.model_dump(mode="json") if stage.agreement else None,
        started_at=stage.handed_off_at,
        accepted_at=stage.accepted_at,
        deadline=stage.deadline,
        overdue=stage.overdue,
        ended_at=stage.ended_at,
    )


def projection(state: CaseState) -> CaseProjection:
    place = state.intake.place
    return CaseProjection(
        case_id=state.case_id,
        case_no=state.case_no,
        version=state.version,
        status=state.status,
        level=state.level,
        committee_id=state.stage.committee.id,
        dispute_type=state.intake.dispute_type,
        risk=state.risk,
        county=place.county,
        township=place.township,
        village=place.village,
        grid=place.grid,
        channel=state.intake.channel.value,
        policy=state.policy.name,
        stage_no=state.stage.no,
        next_deadline=next_deadline(state),
        overdue=state.overdue,
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        closure_reason=state.closure_reason,
    )


__all__ = [
    "Rejected",
    "allowed_actions",
    "apply",
    "both",
    "check",
    "next_wakeup",
    "on_time",
    "open_case",
]
