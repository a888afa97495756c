"""Deadlines win races: an action that arrives after its deadline passed, before the timer fired,
is judged against the deadline (refused, with the time it passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import rules
from models.calendar import Span, Unit
from models.enums import Action, CaseStatus, Level
from tests.factories import route
from tests.models.helpers import T0, accept, act, committee, opened, referred_case, reject, to_level

LATE = timedelta(seconds=1)
EXTENSION: dict[str, Any] = {
    "by": Span(amount=1, unit=Unit.WORKING_DAYS),
    "consenting_parties": ["P1", "P2"],
    "reason": "补充材料",
}


def test_a_late_accept_is_refused_with_the_time_the_deadline_passed() -> None:
    state, _ = opened()
    deadline = state.stage.acceptance_deadline
    message = reject(state, Action.ACCEPT, deadline + LATE, mediator_ids=["M-0028"])
    assert message.startswith("`accept` comes too late: the acceptance deadline passed at")
    assert "2026-11-24 24:00 CST" in message and "it is escalated" in message
    accepted, _ = accept(state, deadline - LATE)  # just in time
    assert accepted.status is CaseStatus.MEDIATING


def test_extending_an_expired_mediation_term_is_refused() -> None:
    state, _ = opened()
    state, _ = accept(state, T0 + timedelta(hours=1))
    deadline = state.stage.deadline
    message = reject(state, Action.EXTEND, deadline + LATE, **EXTENSION)
    assert "the mediation deadline passed at" in message
    extended, _ = act(state, Action.EXTEND, deadline - LATE, **EXTENSION)
    assert extended.stage.deadline > deadline


def test_extending_an_expired_court_term_is_refused() -> None:
    county = committee(Level.COUNTY)
    state, _ = rules.open_case(referred_case(county.id), route(), T0)
    state, _ = accept(state, T0 + timedelta(hours=1))
    message = reject(state, Action.EXTEND, state.stage.deadline + LATE, **EXTENSION)
    assert "the court's term passed at" in message and "it returns to the court" in message


def test_at_the_top_a_late_accept_is_allowed_as_it_is_once_overdue() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    late = state.stage.acceptance_deadline + LATE
    accepted, _ = accept(state, late)
    assert accepted.status is CaseStatus.MEDIATING


def test_other_actions_are_not_judged_against_the_deadline() -> None:
    state, _ = opened()
    refused, _ = act(
        state, Action.RECORD_REFUSAL, state.stage.deadline + LATE, party_id="P2", reason="不愿调解"
    )
    assert refused.closed
