"""What the pages count down: a court's term while the case is mediated under its referral, the
court's decision while it is pending, and the stage's reminders while its terms run."""

from __future__ import annotations

from datetime import timedelta

from models import rules
from models.enums import Action, AgreementForm, Level
from models.view import case_view
from tests.factories import route
from tests.models.helpers import T0, accept, act, committee, referred_case

COURT = "高台县人民法院"


def test_a_court_term_runs_until_the_outcome_and_a_decision_until_it_is_recorded() -> None:
    state, _ = rules.open_case(referred_case(committee(Level.VILLAGE).id), route(), T0)
    assert case_view(state).court_term_running
    state, _ = accept(state, T0 + timedelta(hours=1))
    mediating = case_view(state)
    assert mediating.court_term_running and mediating.reminders_shown == mediating.reminders
    assert any(not r.sent for r in mediating.reminders)
    at = T0 + timedelta(hours=2)
    state, _ = act(
        state,
        Action.RECORD_AGREEMENT,
        at,
        form=AgreementForm.WRITTEN,
        terms="拆除越界围墙",
        signed_by=["P1", "P2"],
    )
    agreed = case_view(state)
    assert agreed.court_term_ends is not None and not agreed.court_term_running  # the outcome ended it
    assert agreed.reminders_shown == [r for r in agreed.reminders if r.sent] != agreed.reminders  # moot now
    assert not agreed.court_decision_pending
    state, _ = act(state, Action.APPLY_CONFIRMATION, at, applicants=["P1", "P2"], court=COURT, applied_at=at)
    assert case_view(state).court_decision_pending
    state, _ = act(state, Action.RECORD_COURT_DECISION, at + timedelta(days=1), accepted=True)
    assert not case_view(state).court_decision_pending
