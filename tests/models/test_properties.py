"""Random actions by random people at random times never break the case's invariants.

Actions, valid or not, come from members, outsiders, strangers and supervisors, interleaved
with timers fired at the next wakeup or at any later time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from models import rules
from models.actions import PAYLOADS, ActionInput
from models.aftercare import AfterInvalid, Ruling
from models.calendar import Span, Unit
from models.case import Actor, CaseState, Stage
from models.effects import Effects
from models.enums import Action, ActorRole, AgreementForm, CaseStatus, DisputeType, Level, Risk
from policies import load_policy
from tests.factories import case_input, member_of, route
from tests.models.helpers import referred_case, stranger

ROUTE = route()
POLICIES = {name: load_policy(name) for name in ("gaotai-4x7", "general", "demo-fast")}
PARTY_IDS = ["P1", "P2", "P3"]
OUTSIDERS = [member_of(c) for c in ROUTE.all()]
REASONS = st.sampled_from(["双方分歧较大", "需要上级协调", "reason enough"])
MINUTE = timedelta(minutes=1)
CLOSING = {Action.RECORD_REFUSAL, Action.WITHDRAW}


def parties() -> st.SearchStrategy[list[str]]:
    """Mostly every party; sometimes some of them, or one the case does not know."""
    return st.one_of(
        st.just(["P1", "P2"]), st.just(["P2", "P1"]), st.lists(st.sampled_from(PARTY_IDS), max_size=3)
    )


def actors(state: CaseState) -> st.SearchStrategy[Actor]:
    """Mostly the holding committee's members; sometimes anyone else."""
    holder = state.stage.committee
    members = [Actor(id=m.id, role=ActorRole.MEDIATOR, committee_id=holder.id) for m in holder.members]
    supervisor = Actor(id="S-0001", role=ActorRole.SUPERVISOR, committee_id=holder.id)
    others = st.sampled_from([*OUTSIDERS, stranger(holder.id), supervisor])
    return st.one_of(st.sampled_from(members), st.sampled_from(members), st.sampled_from(members), others)


def actions(state: CaseState) -> st.SearchStrategy[Action]:
    """Half the time an action that fits the case and does not end it, to get deep into the ladder."""
    useful = [a for a in rules.allowed_actions(state) if a not in CLOSING]
    anything = st.sampled_from(Action)
    return st.one_of(st.sampled_from(useful), anything) if useful else anything


def fields(action: Action, state: CaseState, now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    member_ids = [m.id for m in state.stage.committee.members]
    by_action: dict[Action, st.SearchStrategy[dict[str, Any]]] = {
        Action.ACCEPT: st.fixed_dictionaries(
            {
                "mediator_ids": st.lists(
                    st.sampled_from([*member_ids, "M-0001", "M-9999"]), min_size=1, max_size=3
                )
            }
        ),
        Action.RECORD_SESSION: st.fixed_dictionaries(
            {
                "held_at": st.integers(-3 * 24 * 60, 60).map(lambda m: now + m * MINUTE),
                "attendees": st.lists(st.sampled_from(PARTY_IDS), min_size=1, max_size=3),
                "notes": st.just("面谈记录"),
            }
        ),
        Action.EXTEND: st.fixed_dictionaries(
            {
                "by": st.sampled_from(
                    [Span(amount=1, unit=Unit.WORKING_DAYS), Span(amount=5, unit=Unit.HOURS)]
                )
                | st.builds(Span, amount=st.integers(0, 4), unit=st.sampled_from(Unit)),
                "consenting_parties": parties(),
                "reason": REASONS,
            }
        ),
        Action.ESCALATE: st.fixed_dictionaries(
            {"reason": REASONS, "intensifying": st.booleans(), "to_level": st.none() | st.sampled_from(Level)}
        ),
        Action.TRANSFER: st.fixed_dictionaries(
            {"committee_id": st.sampled_from([*(c.id for c in ROUTE.all()), "C-000000"]), "reason": REASONS}
        ),
        Action.RECORD_AGREEMENT: st.fixed_dictionaries(
            {"form": st.sampled_from(AgreementForm), "terms": st.just("赔偿500元"), "signed_by": parties()}
        ),
        Action.RECORD_FAILURE: st.fixed_dictionaries({"reason": REASONS}),
        Action.RECORD_REFUSAL: st.fixed_dictionaries(
            {"party_id": st.sampled_from(PARTY_IDS), "reason": REASONS}
        ),
        Action.WITHDRAW: st.fixed_dictionaries({"party_id": st.sampled_from(PARTY_IDS), "reason": REASONS}),
        Action.APPLY_CONFIRMATION: st.fixed_dictionaries(
            {
                "applicants": parties().filter(bool),
                "court": st.just("高台县人民法院"),
                "applied_at": st.integers(-40 * 24 * 60, 10).map(lambda m: now + m * MINUTE),
            }
        ),
        Action.RECORD_COURT_DECISION: st.fixed_dictionaries({"accepted": st.booleans()}),
        Action.RECORD_RULING: st.fixed_dictionaries(
            {"ruling": st.sampled_from(Ruling), "then": st.none() | st.sampled_from(AfterInvalid)}
        ),
        Action.RECORD_VISIT: st.fixed_dictionaries({"performing": st.booleans(), "notes": st.just("回访")}),
        Action.FLAG_INTENSIFICATION: st.fixed_dictionaries({"reason": REASONS}),
        Action.EXTEND_RULING: st.fixed_dictionaries({"approval": REASONS}),
    }
    return by_action[action]


class CaseLife(RuleBasedStateMachine):
    state: CaseState
    now: datetime
    keys: set[str]

    @initialize(
        policy=st.sampled_from(sorted(POLICIES)),
        dispute_type=st.sampled_from(DisputeType),
        risk=st.sampled_from(Risk),
        start=st.datetimes(datetime(2026, 1, 1), datetime(2026, 11, 30), timezones=st.just(UTC)),
        referred_to=st.none() | st.sampled_from(["C-431199001001", "C-431199-MED"]),
    )
    def open(
        self, policy: str, dispute_type: DisputeType, risk: Risk, start: datetime, referred_to: str | None
    ) -> None:
        if referred_to is None:
            case = case_input(policy=policy, dispute_type=dispute_type, risk=risk)
        else:
            case = referred_case(referred_to, at=start, policy=policy)
        self.now, self.keys = start, set()
        self.state, effects = rules.open_case(case, ROUTE, start)
        assert self.state.version == 1
        self._record(effects)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        action = data.draw(actions(self.state))
        payload: ActionInput = PAYLOADS[action](
            actor=data.draw(actors(self.state)), **data.draw(fields(action, self.state, self.now))
        )
        before = self.state.model_dump()
        try:
            new, effects = rules.apply(self.state, action, payload, self.now)
        except rules.Rejected:
            assert self.state.model_dump() == before
            return
        assert action in rules.allowed_actions(self.state)
        self._advance(new, effects)

    @rule()
    def wake(self) -> None:
        at = rules.next_wakeup(self.state)
        if at is not None:
            self._tick(max(at, self.now))

    @rule(minutes=st.integers(1, 4 * 24 * 60))
    def later(self, minutes: int) -> None:
        self._tick(self.now + minutes * MINUTE)

    def _tick(self, now: datetime) -> None:
        self.now = now
        before = self.state.model_dump()
        result = rules.on_time(self.state, now)
        assert self.state.model_dump() == before
        if result is None:
            return
        self._advance(*result)
        assert rules.on_time(self.state, now) is None, "on_time left something due at the same instant"

    def _advance(self, new: CaseState, effects: Effects) -> None:
        old = self.state
        assert not old.closed, "a closed case changed"
        assert new.version == old.version + 1
        assert effects.projection is not None and effects.projection.version == new.version
        assert len(new.stages) >= len(old.stages)
        for was in old.stages:
            _deadlines_move_only_by_extension(was, new.stages[was.no - 1])
        self._record(effects)
        self.state = new

    def _record(self, effects: Effects) -> None:
        for key in [n.key for n in effects.notifications] + [e.key for e in effects.events]:
            assert key not in self.keys, f"key {key} written twice"
            self.keys.add(key)

    @invariant()
    def stages_are_numbered_and_only_the_last_can_be_open(self) -> None:
        stages = self.state.stages
        assert [s.no for s in stages] == list(range(1, len(stages) + 1))
        still_open = [s.no for s in stages if s.open]
        mediating = self.state.status in (CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING)
        assert still_open == ([len(stages)] if mediating else [])

    @invariant()
    def a_closed_case_has_a_reason_and_nothing_more_to_do(self) -> None:
        state = self.state
        if state.closed:
            assert state.closure_reason is not None and state.closed_at is not None
            assert rules.allowed_actions(state) == []
            assert rules.next_wakeup(state) is None
            assert rules.on_time(state, self.now + timedelta(days=365)) is None
        else:
            assert state.closure_reason is None
        if state.status is not CaseStatus.FOLLOW_UP and not state.closed:
            assert rules.next_wakeup(state) is not None, "an open stage always has a deadline"


def _deadlines_move_only_by_extension(was: Stage, now: Stage) -> None:
    assert now.acceptance_deadline == was.acceptance_deadline
    if was.mediation_deadline is None:
        return
    assert now.mediation_deadline is not None
    if len(now.extensions) == len(was.extensions):
        assert now.mediation_deadline == was.mediation_deadline
    else:
        assert len(now.extensions) == len(was.extensions) + 1
        assert now.mediation_deadline > was.mediation_deadline
        assert now.mediation_deadline == now.extensions[-1].new_deadline


CaseLife.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # "explain" traces: too slow here
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_life = CaseLife.TestCase
