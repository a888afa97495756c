"""Extending a stage's mediation deadline: how long, how often, and with whose consent."""

from __future__ import annotations

from datetime import datetime

from models.actions import ActionInput, Extend
from models.calendar import add_span
from models.case import CaseState, Extension
from models.enums import DeadlineKind
from models.rules.allowed import Rejected, check_parties, extension_limits
from models.rules.ladder import clear_overdue, plan_reminders
from models.rules.transaction import Transition


def check_extend(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Extend)
    _, max_span, needs_every_party = extension_limits(state)
    stage = state.stage
    if payload.by.amount == 0:
        raise Rejected("an extension must be longer than zero")
    if add_span(stage.deadline, payload.by, state.policy.calendar) > add_span(
        stage.deadline, max_span, state.policy.calendar
    ):
        raise Rejected(f"an extension may be at most {max_span}; asked for {payload.by}")
    check_parties(state, payload.consenting_parties)
    if needs_every_party:
        missing = [p for p in state.intake.parties if p.party_id not in payload.consenting_parties]
        if missing:
            who = ", ".join(f"{p.party_id} ({p.role.value})" for p in missing)
            raise Rejected(f"an extension needs every party's consent; missing: {who}")


def apply_extend(tx: Transition, payload: ActionInput, now: datetime) -> None:
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
    clear_overdue(state, stage, now)
    tx.touched.add(stage.no)
