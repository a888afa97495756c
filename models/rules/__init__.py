"""The escalation rules: (state, action, time) → (new state, effects), as pure functions.

The workflow calls `check` from its update validators, `apply` from its update handlers and
`on_time` when a timer fires; it asks `next_wakeup` when to fire the next one. This module is the
dispatch; each family of actions has its own module beside it:

  allowed.py      what a case allows now (`allowed_actions`, `Rejected`), its next deadline
  transaction.py  `Transition`: a private copy of the case and the effects of one transition
  ladder.py       opening a case, handoffs, deadlines, reminders, escalation, overdue at the top
  acceptance.py   accept and sessions        extension.py   extending the mediation deadline
  escalation.py   escalate, transfer, flag a dispute that may intensify
  endings.py      agreement, failure, refusal, withdrawal, closing, return to the court
  follow_up.py    visits after an agreement, reopening   court_path.py  judicial confirmation
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models import supervision, terms
from models.actions import ActionInput
from models.calendar import cst_text as _fmt
from models.case import MAX_STAGES, CaseState
from models.effects import Effects
from models.enums import Action, ActorRole, CaseStatus, DeadlineKind, EscalationCause
from models.labels import en
from models.rules import acceptance, court_path, endings, escalation, extension, follow_up
from models.rules.allowed import (
    SESSION_CLOCK_SKEW_S,
    Rejected,
    allowed_actions,
    next_deadline,
    under_court_term,
)
from models.rules.ladder import (
    become_overdue,
    escalate,
    next_wakeup,
    open_case,
    overdue_notice,
    pending_reminders,
    plan_reminders,
    reminder_notice,
    with_committee,
)
from models.rules.transaction import Transition

Check = Callable[[CaseState, ActionInput, datetime], None]
Apply = Callable[[Transition, ActionInput, datetime], None]


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
    tx = Transition(state)
    _APPLY[action](tx, payload, now)
    return tx.done()


def on_time(state: CaseState, now: datetime) -> tuple[CaseState, Effects] | None:
    """Fire what is due at `now`: reminders, escalation by timeout, overdue notices."""
    if state.closed:
        return None
    tx = Transition(state)
    if tx.state.aftercare is not None:
        return tx.done() if follow_up.on_time(tx, now) else None
    changed = False
    stage = tx.state.stage
    for index, reminder in enumerate(stage.reminders):
        if reminder in pending_reminders(stage) and reminder.at <= now:
            reminder.sent = True
            changed = True
            reminder_notice(tx, index, reminder)
    if not tx.state.overdue and now >= stage.deadline:
        changed = True
        kind = DeadlineKind.ACCEPTANCE if stage.accepted_at is None else DeadlineKind.MEDIATION
        next_level = tx.state.policy.next_level(stage.level)
        if under_court_term(tx.state):
            endings.return_to_court(tx, f"{en(kind)} passed (court term)", now)
        elif next_level is None or stage.level is tx.state.policy.top:
            become_overdue(tx, kind, now)
        else:
            cause = (
                EscalationCause.ACCEPTANCE_TIMEOUT
                if kind is DeadlineKind.ACCEPTANCE
                else EscalationCause.MEDIATION_TIMEOUT
            )
            escalate(tx, next_level, cause, f"{en(kind)} passed", now)
    elif (
        tx.state.overdue
        and tx.state.next_overdue_reminder_at is not None
        and tx.state.next_overdue_reminder_at <= now
    ):
        changed = True
        overdue_notice(tx, now)
    return tx.done() if changed else None


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
        where += f"; {court_path.window_ended(care.confirmation.window_ends)}"
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


_CHECKS: dict[Action, Check] = {
    Action.ACCEPT: acceptance.check_accept,
    Action.RECORD_SESSION: acceptance.check_session,
    Action.EXTEND: extension.check_extend,
    Action.ESCALATE: escalation.check_escalate,
    Action.TRANSFER: escalation.check_transfer,
    Action.RECORD_AGREEMENT: endings.check_agreement,
    Action.RECORD_FAILURE: endings.check_failure,
    Action.RECORD_REFUSAL: endings.check_party,
    Action.WITHDRAW: endings.check_party,
    Action.APPLY_CONFIRMATION: court_path.check_apply_confirmation,
    Action.RECORD_COURT_DECISION: court_path.check_court_decision,
    Action.RECORD_RULING: court_path.check_ruling,
    Action.RECORD_VISIT: follow_up.check_visit,
    Action.FLAG_INTENSIFICATION: escalation.check_flag,
    Action.EXTEND_RULING: court_path.check_extend_ruling,
}
_APPLY: dict[Action, Apply] = {
    Action.ACCEPT: acceptance.apply_accept,
    Action.RECORD_SESSION: acceptance.apply_session,
    Action.EXTEND: extension.apply_extend,
    Action.ESCALATE: escalation.apply_escalate,
    Action.TRANSFER: escalation.apply_transfer,
    Action.RECORD_AGREEMENT: endings.apply_agreement,
    Action.RECORD_FAILURE: endings.apply_failure,
    Action.RECORD_REFUSAL: endings.apply_refusal,
    Action.WITHDRAW: endings.apply_withdraw,
    Action.APPLY_CONFIRMATION: court_path.apply_apply_confirmation,
    Action.RECORD_COURT_DECISION: court_path.apply_court_decision,
    Action.RECORD_RULING: court_path.apply_ruling,
    Action.RECORD_VISIT: follow_up.apply_visit,
    Action.FLAG_INTENSIFICATION: escalation.apply_flag,
    Action.EXTEND_RULING: court_path.apply_extend_ruling,
}

__all__ = [
    "SESSION_CLOCK_SKEW_S",
    "Rejected",
    "Transition",
    "allowed_actions",
    "apply",
    "check",
    "next_deadline",
    "next_wakeup",
    "on_time",
    "open_case",
    "plan_reminders",
    "under_court_term",
    "with_committee",
]
