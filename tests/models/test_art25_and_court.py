"""Art. 25 at any level (one notice per flag, causes counted as they were), and the court told of
every ending of a referral."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import rules
from models.calendar import Span, Unit
from models.enums import Action, EscalationCause, Level, NotificationKind, Risk
from tests.factories import route
from tests.models.helpers import T0, accept, act, committee, of_kind, opened, referred_case, reject, to_level

LATER = T0 + timedelta(hours=2)
TEN_DAYS = Span(amount=10, unit=Unit.CALENDAR_DAYS)
AGENCIES = ["agency:police:431199", "agency:responsible_department:431199"]


def test_a_flag_at_the_county_notifies_once_and_does_not_escalate() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    flagged, effects = act(state, Action.FLAG_INTENSIFICATION, LATER, reason="双方扬言动手")
    assert flagged.level is Level.COUNTY and flagged.stage.no == state.stage.no
    assert flagged.risk is Risk.MAY_INTENSIFY
    assert sorted(of_kind(effects, NotificationKind.INTENSIFICATION)) == AGENCIES
    assert [e.kind for e in effects.events] == ["intensification_flagged"]
    assert Action.FLAG_INTENSIFICATION not in rules.allowed_actions(flagged)
    message = reject(flagged, Action.FLAG_INTENSIFICATION, LATER, reason="再次")
    assert "`flag_intensification` is not allowed now" in message


def test_later_escalations_of_a_flagged_case_send_no_new_notice_and_count_as_they_were() -> None:
    state, _ = opened()
    state, _ = act(state, Action.FLAG_INTENSIFICATION, LATER, reason="双方扬言动手")
    escalated, effects = act(state, Action.ESCALATE, LATER, reason="不属网格处理")
    assert escalated.level is Level.TOWNSHIP  # a flagged case still goes where Art. 25 puts it
    assert escalated.stages[0].cause is EscalationCause.DECISION
    assert of_kind(effects, NotificationKind.INTENSIFICATION) == []
    again, effects = act(escalated, Action.ESCALATE, LATER, reason="矛盾升级", intensifying=True)
    assert again.stages[1].cause is EscalationCause.INTENSIFICATION
    assert of_kind(effects, NotificationKind.INTENSIFICATION) == []


def test_a_court_referral_may_be_flagged_without_escalating() -> None:
    county = committee(Level.COUNTY)
    state, _ = rules.open_case(referred_case(county.id), route(), T0)
    assert Action.ESCALATE not in rules.allowed_actions(state)
    flagged, effects = act(state, Action.FLAG_INTENSIFICATION, LATER, reason="当事人情绪激动")
    assert flagged.stage.no == 1 and sorted(of_kind(effects, NotificationKind.INTENSIFICATION)) == AGENCIES


def _referred() -> rules.CaseState:
    county = committee(Level.COUNTY)
    state, _ = rules.open_case(referred_case(county.id), route(), T0)
    return state


def test_a_referral_refused_is_reported_to_the_court() -> None:
    _, effects = act(_referred(), Action.RECORD_REFUSAL, LATER, party_id="P2", reason="不同意调解")
    (notice,) = [n for n in effects.notifications if n.kind is NotificationKind.COURT_OUTCOME]
    assert notice.recipient == "court:高台县人民法院"
    assert "(2026)甘0724民诉前调1号" in notice.subject and "refused" in notice.body
    assert "不同意调解" in notice.body


def test_a_referral_withdrawn_is_reported_to_the_court() -> None:
    _, effects = act(_referred(), Action.WITHDRAW, LATER, party_id="P1", reason="已自行和解")
    assert of_kind(effects, NotificationKind.COURT_OUTCOME) == ["court:高台县人民法院"]


def test_a_referral_agreement_goes_to_the_court_with_its_terms() -> None:
    state, _ = accept(_referred(), LATER)
    terms = "被申请人于2027年1月31日前返还借款5万元"
    _, effects = act(
        state, Action.RECORD_AGREEMENT, LATER, form="written", terms=terms, signed_by=["P1", "P2"]
    )
    (notice,) = [n for n in effects.notifications if n.kind is NotificationKind.COURT_OUTCOME]
    assert terms in notice.body and "agreement" in notice.body


def test_an_ordinary_case_sends_nothing_to_a_court() -> None:
    state, _ = opened()
    _, effects = act(state, Action.RECORD_REFUSAL, LATER, party_id="P2", reason="不同意调解")
    assert of_kind(effects, NotificationKind.COURT_OUTCOME) == []


def test_an_extended_referral_transferred_keeps_its_term_and_its_cap() -> None:
    county = committee(Level.COUNTY)
    state, _ = rules.open_case(referred_case(county.id), route(), T0)
    state, _ = accept(state, LATER)
    term = state.stage.deadline
    extension: dict[str, Any] = {"by": TEN_DAYS, "consenting_parties": ["P1", "P2"], "reason": "筹措还款"}
    state, _ = act(state, Action.EXTEND, LATER, **extension)
    extended = state.stage.deadline
    assert extended > term
    other = next(c for c in route().specialised if c.level is Level.COUNTY)
    state, _ = act(state, Action.TRANSFER, LATER, committee_id=other.id, reason="属专业调委会")
    assert state.stage.acceptance_deadline <= extended
    state, _ = accept(state, LATER + timedelta(hours=1))
    assert state.stage.mediation_deadline == extended
    assert Action.EXTEND not in rules.allowed_actions(state)
    message = reject(state, Action.EXTEND, LATER + timedelta(hours=1), **extension)
    assert "the referral already had 1 extension(s), the most the policy allows" in message
