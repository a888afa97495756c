"""Court-invited mediation: the court's term replaces the ladder until an agreement is reopened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from models import rules
from models.calendar import Span, Unit
from models.case import CaseIntake, CaseState
from models.court import ReferralMode
from models.enums import Action, AgreementForm, Channel, ClosureReason, Level, NotificationKind, Outcome
from tests.factories import intake, route
from tests.models.helpers import T0, accept, act, committee, eod, of_kind, referred_case, reject, wake

VILLAGE = committee(Level.VILLAGE)
BOTH = ["P1", "P2"]


def referred(mode: ReferralMode = ReferralMode.DIVERSION, simplified: bool = False) -> CaseState:
    return rules.open_case(referred_case(VILLAGE.id, mode, simplified), route(), T0)[0]


def test_a_referral_goes_straight_to_the_named_committee() -> None:
    state = referred()
    assert state.stage.committee.id == VILLAGE.id
    assert state.stage.acceptance_deadline == eod(2026, 11, 26)  # 3 working days


def test_diversion_runs_thirty_days_from_the_referral() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    assert state.stage.mediation_deadline == eod(2026, 12, 23)


def test_simplified_entrustment_runs_seven_days() -> None:
    state, _ = accept(referred(ReferralMode.ENTRUSTMENT, simplified=True), T0 + timedelta(hours=1))
    assert state.stage.mediation_deadline == eod(2026, 11, 30)


def test_a_referral_is_not_escalated() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    assert Action.ESCALATE not in rules.allowed_actions(state)
    message = reject(state, Action.ESCALATE, T0 + timedelta(hours=2), reason="上交")
    assert "a court referral is not escalated" in message


def test_failure_returns_the_case_to_the_court() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    state, effects = act(state, Action.RECORD_FAILURE, T0 + timedelta(days=3), reason="双方分歧较大")
    assert state.closure_reason is ClosureReason.RETURNED_TO_COURT
    assert state.stage.outcome is Outcome.RETURNED_TO_COURT
    assert of_kind(effects, NotificationKind.RETURN_TO_COURT) == ["court:高台县人民法院"]


def test_the_end_of_the_term_returns_the_case_to_the_court() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    while not state.closed:
        state, _, at = wake(state)
    assert at == eod(2026, 12, 23)
    assert state.closure_reason is ClosureReason.RETURNED_TO_COURT


def test_the_term_is_extended_with_both_parties_up_to_the_courts_cap() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    month = Span(amount=30, unit=Unit.CALENDAR_DAYS)
    state, _ = act(
        state, Action.EXTEND, T0 + timedelta(days=5), by=month, consenting_parties=BOTH, reason="双方同意"
    )
    assert state.stage.mediation_deadline == eod(2027, 1, 22)
    message = reject(
        state, Action.EXTEND, T0 + timedelta(days=6), by=month, consenting_parties=BOTH, reason="再延"
    )
    assert "the most the policy allows" in message


def test_a_reopened_referral_follows_the_ladder() -> None:
    state, _ = accept(referred(), T0 + timedelta(hours=1))
    state, _ = act(
        state, Action.RECORD_AGREEMENT, T0 + timedelta(days=1), form=AgreementForm.ORAL, terms="拆墙"
    )
    state, _ = act(state, Action.RECORD_VISIT, T0 + timedelta(days=8), performing=False, notes="未履行")
    assert state.reopened == 1
    assert Action.ESCALATE in rules.allowed_actions(state)


def test_a_court_referral_needs_its_referral() -> None:
    data = intake().model_dump() | {"channel": Channel.COURT_REFERRAL}
    with pytest.raises(ValidationError, match="a court referral needs `referral`"):
        CaseIntake.model_validate(data)


def test_a_referral_to_an_unknown_committee_is_rejected() -> None:
    with pytest.raises(rules.Rejected, match="unknown committee C-000000"):
        rules.open_case(referred_case("C-000000"), route(), T0)
