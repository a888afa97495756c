"""Judicial confirmation complete (SPC 2011, Arts. 4-5): once the court accepts, it rules within 15
days, 10 more with the court president's approval: a deadline, a reminder, the extension, the ruling."""

from __future__ import annotations

from datetime import timedelta

from models import rules
from models.aftercare import Ruling, due_times
from models.calendar import Span, Unit, add_span
from models.enums import Action
from tests.models.helpers import T0, accept, act, opened, reject

LATER = T0 + timedelta(hours=3)


def accepted_by_court() -> rules.CaseState:
    state, _ = opened()
    state, _ = accept(state, T0 + timedelta(hours=1))
    state, _ = act(
        state, Action.RECORD_AGREEMENT, LATER, form="written", terms="拆除围墙", signed_by=["P1", "P2"]
    )
    state, _ = act(
        state,
        Action.APPLY_CONFIRMATION,
        LATER,
        applicants=["P1", "P2"],
        court="高台县人民法院",
        applied_at=LATER,
    )
    state, _ = act(state, Action.RECORD_COURT_DECISION, LATER, accepted=True)
    return state


def test_the_ruling_is_due_15_days_after_acceptance_with_a_reminder() -> None:
    state = accepted_by_court()
    c = state.aftercare.confirmation  # type: ignore[union-attr]
    assert c.ruling_due == add_span(LATER, Span(amount=15, unit=Unit.CALENDAR_DAYS), state.policy.calendar)
    assert c.ruling_remind_at is not None and c.ruling_remind_at < c.ruling_due
    assert Action.EXTEND_RULING in rules.allowed_actions(state)
    assert state.aftercare is not None and c.ruling_remind_at in due_times(state.aftercare)
    reminded, effects = rules.on_time(state, c.ruling_remind_at)  # type: ignore[misc]
    assert any("ruling due soon" in n.subject for n in effects.notifications)
    late, effects = rules.on_time(reminded, c.ruling_due)  # type: ignore[misc]
    assert any("ruling late" in n.subject for n in effects.notifications)
    assert late.aftercare is not None and late.aftercare.confirmation.ruling_late
    assert c.ruling_due not in due_times(late.aftercare)


def test_the_presidents_approval_gives_10_more_days_once() -> None:
    state = accepted_by_court()
    due = state.aftercare.confirmation.ruling_due  # type: ignore[union-attr]
    assert due is not None
    extended, effects = act(state, Action.EXTEND_RULING, LATER, approval="院长审批（2026）第12号")
    c = extended.aftercare.confirmation  # type: ignore[union-attr]
    assert c.ruling_due == add_span(due, Span(amount=10, unit=Unit.CALENDAR_DAYS), state.policy.calendar)
    assert c.ruling_extended and [e.kind for e in effects.events] == ["ruling_extended"]
    assert Action.EXTEND_RULING not in rules.allowed_actions(extended)
    ruled, _ = act(extended, Action.RECORD_RULING, LATER + timedelta(days=20), ruling=Ruling.CONFIRMED)
    assert ruled.closed


def test_an_extension_after_the_15_days_is_refused_with_the_time_they_ended() -> None:
    state = accepted_by_court()
    due = state.aftercare.confirmation.ruling_due  # type: ignore[union-attr]
    assert due is not None
    message = reject(state, Action.EXTEND_RULING, due + timedelta(minutes=1), approval="院长审批")
    assert message.startswith("the 15 days for the ruling ended")


def test_a_court_that_does_not_accept_sets_no_ruling_deadline() -> None:
    state, _ = opened()
    state, _ = accept(state, T0 + timedelta(hours=1))
    state, _ = act(
        state, Action.RECORD_AGREEMENT, LATER, form="written", terms="拆除围墙", signed_by=["P1", "P2"]
    )
    state, _ = act(
        state,
        Action.APPLY_CONFIRMATION,
        LATER,
        applicants=["P1", "P2"],
        court="高台县人民法院",
        applied_at=LATER,
    )
    state, _ = act(state, Action.RECORD_COURT_DECISION, LATER, accepted=False)
    assert state.aftercare is not None and state.aftercare.confirmation.ruling_due is None
    assert Action.EXTEND_RULING not in rules.allowed_actions(state)
