"""Supervisors' reassignment and closing of overdue cases; court liaisons' records: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import rules, supervision
from models.actions import RecordCourtDecision
from models.case import Actor
from models.enums import Action, ActorRole, CaseStatus, ClosureReason, Outcome
from models.supervision import CloseOverdue, Reassign, StaffAction
from tests.factories import case_input

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SUPERVISOR = Actor(id="S-0002", role=ActorRole.SUPERVISOR, committee_id="431199001")


def opened() -> rules.CaseState:
    case = case_input()
    assert case.route is not None
    return rules.open_case(case, case.route, NOW)[0]


def test_a_reassignment_hands_the_case_to_the_committee_with_the_reason() -> None:
    state = opened()
    move = Reassign(actor=SUPERVISOR, committee_id="C-431199001", reason="改派镇调委会")
    after, effects = supervision.apply(state, StaffAction.REASSIGN, move, NOW)
    assert after.stage.committee.id == "C-431199001" and after.status is CaseStatus.AWAITING_ACCEPTANCE
    assert after.stages[0].outcome is Outcome.TRANSFERRED
    assert after.stages[0].reason == "reassigned by supervisor S-0002: 改派镇调委会"
    assert effects.stages


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (Reassign(actor=SUPERVISOR, committee_id="C-NOWHERE", reason="改派"), "unknown committee"),
        (Reassign(actor=SUPERVISOR, committee_id="C-431199001001-G01", reason="改派"), "already held"),
        (
            Reassign(
                actor=Actor(id="S-0003", role=ActorRole.SUPERVISOR, committee_id="431199002"),
                committee_id="C-431199001",
                reason="改派",
            ),
            "outside supervisor scope",
        ),
        (
            Reassign(
                actor=Actor(id="M-0028", role=ActorRole.GRID_WORKER, committee_id="C-431199001001-G01"),
                committee_id="C-431199001",
                reason="改派",
            ),
            "supervisor's action",
        ),
        (CloseOverdue(actor=SUPERVISOR, reason="逾期结案"), "only an overdue case at the top"),
    ],
)
def test_what_does_not_fit_is_rejected(payload: supervision.StaffInput, message: str) -> None:
    action = StaffAction.REASSIGN if isinstance(payload, Reassign) else StaffAction.CLOSE_OVERDUE
    with pytest.raises(rules.Rejected, match=message):
        supervision.check(opened(), action, payload)


COUNTY_SUPERVISOR = Actor(id="S-0001", role=ActorRole.SUPERVISOR, committee_id="431199")


def overdue_at_the_top() -> tuple[rules.CaseState, datetime]:
    """The case left to time out at every level, until the county's centre holds it overdue."""
    state = opened()
    now = NOW
    while not state.overdue:
        wake = rules.next_wakeup(state)
        assert wake is not None
        now = wake + timedelta(seconds=1)
        fired = rules.on_time(state, now)
        if fired is not None:
            state = fired[0]
    assert state.stage.committee.jurisdiction == "431199"
    return state, now


def test_an_overdue_case_at_the_top_is_closed_with_the_reason() -> None:
    state, now = overdue_at_the_top()
    closed, _ = supervision.apply(
        state, StaffAction.CLOSE_OVERDUE, CloseOverdue(actor=COUNTY_SUPERVISOR, reason="久拖不决"), now
    )
    assert closed.closed and closed.closure_reason is ClosureReason.CLOSED_BY_SUPERVISOR
    assert closed.stage.outcome is Outcome.FAILED and "久拖不决" in (closed.stage.reason or "")


def test_a_court_liaison_records_only_the_courts_own_decisions() -> None:
    liaison = Actor(id="L-0001", role=ActorRole.COURT_LIAISON, committee_id="零陵示范县人民法院")
    with pytest.raises(rules.Rejected, match="court liaison"):
        supervision.check_court_liaison(
            opened(), Action.ACCEPT, RecordCourtDecision(actor=liaison, accepted=True)
        )
    with pytest.raises(rules.Rejected, match="no court"):
        supervision.check_court_liaison(
            opened(), Action.RECORD_COURT_DECISION, RecordCourtDecision(actor=liaison, accepted=True)
        )


def test_a_townships_supervisor_does_not_act_on_a_case_the_county_holds() -> None:
    """The case's place is in the township, but the committee holding it serves the whole county:
    closing or reassigning it is for a supervisor whose scope covers the county."""
    state, _ = overdue_at_the_top()
    close = CloseOverdue(actor=SUPERVISOR, reason="久拖不决")
    with pytest.raises(rules.Rejected, match=r"held by .*county, 431199.*above supervisor scope 431199001"):
        supervision.check(state, StaffAction.CLOSE_OVERDUE, close)
    move = Reassign(actor=SUPERVISOR, committee_id="C-431199001", reason="改派镇调委会")
    with pytest.raises(rules.Rejected, match="above supervisor scope 431199001"):
        supervision.check(state, StaffAction.REASSIGN, move)
