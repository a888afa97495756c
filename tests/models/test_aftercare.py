"""After an agreement: follow-up visits, judicial confirmation (Art. 33), reopening on breach."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models import rules
from models.aftercare import AfterInvalid, Ruling
from models.case import CaseState
from models.effects import Effects
from models.enums import Action, AgreementForm, CaseStatus, ClosureReason, NotificationKind, Outcome
from tests.models.helpers import T0, accept, act, eod, of_kind, opened, reject, wake

AGREED_AT = T0 + timedelta(hours=5)  # Monday 15:00 China time
BOTH = ["P1", "P2"]
COURT = "高台县人民法院"


def agree(state: CaseState, now: datetime = AGREED_AT) -> tuple[CaseState, Effects]:
    return act(state, Action.RECORD_AGREEMENT, now, form=AgreementForm.ORAL, terms="赔礼道歉")


@pytest.fixture
def agreed() -> CaseState:
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    return agree(state)[0]


def visit(state: CaseState, now: datetime, performing: bool) -> tuple[CaseState, Effects]:
    return act(state, Action.RECORD_VISIT, now, performing=performing, notes="回访记录")


def apply_for_confirmation(state: CaseState, now: datetime) -> CaseState:
    return act(state, Action.APPLY_CONFIRMATION, now, applicants=BOTH, court=COURT, applied_at=now)[0]


# ---------------------------------------------------------------- visits


def test_follow_up_visits_fall_due_after_seven_and_thirty_days(agreed: CaseState) -> None:
    assert agreed.aftercare is not None
    assert [v.due_at for v in agreed.aftercare.visits] == [eod(2026, 11, 30), eod(2026, 12, 23)]
    assert agreed.aftercare.confirmation.window_ends == eod(2026, 12, 23)


def test_a_due_visit_reminds_the_committee(agreed: CaseState) -> None:
    state, effects, at = wake(agreed)
    assert at == eod(2026, 11, 30)
    assert of_kind(effects, NotificationKind.FOLLOW_UP_DUE) == [f"committee:{state.stage.committee.id}"]
    assert state.aftercare is not None and state.aftercare.visits[0].reminded


def test_visits_showing_performance_close_the_case(agreed: CaseState) -> None:
    state, _, at = wake(agreed)
    state, effects = visit(state, at + timedelta(hours=9), performing=True)
    assert state.status is CaseStatus.FOLLOW_UP
    assert [e.kind for e in effects.events] == ["visit"]
    state, _, at = wake(state)
    state, effects = visit(state, at + timedelta(hours=9), performing=True)
    assert state.closed and state.closure_reason is ClosureReason.PERFORMED
    assert sorted(of_kind(effects, NotificationKind.CASE_CLOSED)) == ["party:P1", "party:P2"]


def test_a_breached_agreement_reopens_mediation_at_the_same_committee(agreed: CaseState) -> None:
    state, effects = visit(agreed, AGREED_AT + timedelta(days=7), performing=False)
    assert state.status is CaseStatus.AWAITING_ACCEPTANCE
    assert state.reopened == 1 and state.aftercare is None
    assert [s.outcome for s in state.stages] == [Outcome.AGREEMENT, None]
    assert state.stage.committee.id == agreed.stage.committee.id
    assert "reopened" in [e.kind for e in effects.events]


def test_keys_stay_unique_when_a_reopened_case_reaches_a_second_agreement(agreed: CaseState) -> None:
    keys: list[str] = []
    state, effects, at = wake(agreed)
    keys += [n.key for n in effects.notifications] + [e.key for e in effects.events]
    for _ in range(2):
        state, effects = visit(state, at + timedelta(hours=9), performing=False)
        keys += [n.key for n in effects.notifications] + [e.key for e in effects.events]
        state, effects = accept(state, at + timedelta(hours=10))
        state, effects = agree(state, at + timedelta(hours=11))
        keys += [n.key for n in effects.notifications]
        state, effects, at = wake(state)
        keys += [n.key for n in effects.notifications] + [e.key for e in effects.events]
    assert len(keys) == len(set(keys)), sorted(keys)


# ---------------------------------------------------------------- judicial confirmation (Art. 33)


def test_confirmed_by_the_court_closes_the_case(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(days=1))
    assert rules.allowed_actions(state) == [Action.RECORD_VISIT, Action.RECORD_COURT_DECISION]
    state, _ = act(state, Action.RECORD_COURT_DECISION, AGREED_AT + timedelta(days=2), accepted=True)
    state, _ = act(state, Action.RECORD_RULING, AGREED_AT + timedelta(days=5), ruling=Ruling.CONFIRMED)
    assert state.closed and state.closure_reason is ClosureReason.CONFIRMED_BY_COURT


def test_confirmation_is_applied_for_jointly(agreed: CaseState) -> None:
    now = AGREED_AT + timedelta(days=1)
    message = reject(agreed, Action.APPLY_CONFIRMATION, now, applicants=["P1"], court=COURT, applied_at=now)
    assert message == "judicial confirmation is applied for jointly (Art. 33); not applying: P2"


def test_confirmation_after_the_thirty_days_is_not_allowed(agreed: CaseState) -> None:
    state = agreed
    while state.aftercare is not None and not state.aftercare.confirmation.window_closed:
        state, _, at = wake(state)
    message = reject(state, Action.APPLY_CONFIRMATION, at, applicants=BOTH, court=COURT, applied_at=at)
    assert "the 30 days for judicial confirmation ended" in message


def test_a_late_court_decision_reminds_the_committee(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(hours=1))
    assert state.aftercare is not None
    assert state.aftercare.confirmation.decision_due == eod(2026, 11, 26)  # 3 working days
    while state.aftercare is not None and not state.aftercare.confirmation.decision_reminded:
        state, effects, _ = wake(state)
    assert "late" in effects.notifications[-1].subject


def test_invalid_ruling_needs_a_next_step(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(days=1))
    state, _ = act(state, Action.RECORD_COURT_DECISION, AGREED_AT + timedelta(days=2), accepted=True)
    message = reject(state, Action.RECORD_RULING, AGREED_AT + timedelta(days=3), ruling=Ruling.INVALID)
    assert "needs `then`: `mediate_again` or `sue`" in message


def test_invalid_ruling_then_sue_closes_and_tells_the_parties_their_routes(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(days=1))
    state, _ = act(state, Action.RECORD_COURT_DECISION, AGREED_AT + timedelta(days=2), accepted=True)
    state, effects = act(
        state,
        Action.RECORD_RULING,
        AGREED_AT + timedelta(days=3),
        ruling=Ruling.INVALID,
        then=AfterInvalid.SUE,
    )
    assert state.closure_reason is ClosureReason.AGREEMENT_INVALID
    assert of_kind(effects, NotificationKind.OTHER_ROUTES) == ["party:P1", "party:P2"]


def test_invalid_ruling_then_mediate_again_reopens(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(days=1))
    state, _ = act(state, Action.RECORD_COURT_DECISION, AGREED_AT + timedelta(days=2), accepted=True)
    state, _ = act(
        state,
        Action.RECORD_RULING,
        AGREED_AT + timedelta(days=3),
        ruling=Ruling.INVALID,
        then=AfterInvalid.MEDIATE_AGAIN,
    )
    assert state.status is CaseStatus.AWAITING_ACCEPTANCE and state.reopened == 1


def test_ruling_before_the_court_accepted_is_not_allowed(agreed: CaseState) -> None:
    state = apply_for_confirmation(agreed, AGREED_AT + timedelta(days=1))
    message = reject(state, Action.RECORD_RULING, AGREED_AT + timedelta(days=3), ruling=Ruling.CONFIRMED)
    assert "the court has not accepted an application" in message
