"""Mediator actions, one test per path through `rules.check` and `rules.apply`."""

from __future__ import annotations

import copy
import importlib
import pkgutil
from datetime import date, timedelta

import pytest
from pydantic import BaseModel, ValidationError

import models
from models import rules
from models.actions import Accept
from models.calendar import Span, Unit
from models.case import Actor, CaseState, Session, Stage
from models.enums import (
    Action,
    ActorRole,
    AgreementForm,
    CaseStatus,
    ClosureReason,
    EscalationCause,
    Level,
    NotificationKind,
    Outcome,
    Risk,
)
from models.rules.transaction import _SHALLOW, _copier, _model, _plan, _thawed, private_copy
from tests.factories import member_of
from tests.models.helpers import (
    T0,
    accept,
    act,
    committee,
    cst,
    eod,
    holder,
    of_kind,
    opened,
    reject,
    specialised,
    stranger,
    to_level,
    wake,
)

GRID, VILLAGE, TOWNSHIP, COUNTY = (committee(level) for level in Level)
NOW = T0 + timedelta(hours=1)  # Monday 11:00 China time
LATER = T0 + timedelta(hours=5)
BOTH = ["P1", "P2"]
REASON = "双方同意 both agree"


def wd(amount: int) -> Span:
    return Span(amount=amount, unit=Unit.WORKING_DAYS)


@pytest.fixture
def new() -> CaseState:
    return opened()[0]


@pytest.fixture
def mediating(new: CaseState) -> CaseState:
    return accept(new, NOW)[0]


@pytest.fixture
def at_county() -> CaseState:
    state = to_level(opened()[0], Level.COUNTY)
    return accept(state, state.stage.handed_off_at + timedelta(hours=9))[0]


# ---------------------------------------------------------------- accept (Art. 19)


def test_accept_assigns_mediators_and_starts_the_mediation_deadline(new: CaseState) -> None:
    state, effects = accept(new, NOW)
    assert state.status is CaseStatus.MEDIATING
    assert state.stage.accepted_at == NOW
    assert state.stage.mediators == [GRID.members[0].id]
    assert state.stage.mediation_deadline == eod(2026, 11, 24)
    assert [(r.stage_no, r.accepted_at, r.deadline) for r in effects.stages] == [(1, NOW, eod(2026, 11, 24))]


def test_accept_with_a_mediator_from_elsewhere_lists_the_members(new: CaseState) -> None:
    message = reject(new, Action.ACCEPT, NOW, mediator_ids=["M-0025"])
    assert f"M-0025 are not members of {GRID.name}; members: M-0028" in message


def test_accept_with_a_mediator_twice_is_rejected(new: CaseState) -> None:
    assert "listed twice" in reject(new, Action.ACCEPT, NOW, mediator_ids=["M-0028", "M-0028"])


# ---------------------------------------------------------------- sessions


def test_session_is_recorded(mediating: CaseState) -> None:
    state, effects = act(
        mediating,
        Action.RECORD_SESSION,
        LATER,
        held_at=LATER - timedelta(hours=1),
        attendees=BOTH,
        notes="面谈",
    )
    assert len(state.stage.sessions) == 1
    assert state.stage.sessions[0].recorded_by == holder(mediating).id
    assert effects.projection is not None and effects.projection.version == mediating.version + 1


def test_session_in_the_future_is_rejected(mediating: CaseState) -> None:
    message = reject(
        mediating, Action.RECORD_SESSION, NOW, held_at=NOW + timedelta(hours=1), attendees=BOTH, notes="面谈"
    )
    assert "is in the future" in message


def test_session_before_the_stage_began_is_rejected(mediating: CaseState) -> None:
    message = reject(
        mediating, Action.RECORD_SESSION, NOW, held_at=T0 - timedelta(days=1), attendees=BOTH, notes="面谈"
    )
    assert "before this stage began" in message


def test_session_with_an_unknown_party_is_rejected(mediating: CaseState) -> None:
    message = reject(mediating, Action.RECORD_SESSION, NOW, held_at=NOW, attendees=["P1", "P7"], notes="面谈")
    assert message == "unknown party id(s) P7; this case's parties are P1, P2"


# ---------------------------------------------------------------- extensions


def test_extension_with_every_party_moves_the_deadline_and_recomputes_reminders(mediating: CaseState) -> None:
    assert mediating.stage.mediation_deadline == eod(2026, 11, 24)
    state, effects = act(mediating, Action.EXTEND, LATER, by=wd(2), consenting_parties=BOTH, reason=REASON)
    assert state.stage.mediation_deadline == eod(2026, 11, 26)  # Tuesday 24:00 + 2 working days
    [extension] = state.stage.extensions
    assert extension.new_deadline == eod(2026, 11, 26)
    assert [r.at for r in state.stage.reminders] == [cst(date(2026, 11, 26), 20)]
    assert [r.deadline for r in effects.stages] == [eod(2026, 11, 26)]


def test_extension_over_a_weekend_counts_working_days() -> None:
    state = to_level(opened()[0], Level.TOWNSHIP)  # handed over at Wednesday 24:00
    state, _ = accept(state, state.stage.handed_off_at + timedelta(hours=9))  # Thursday morning
    # Gaotai counts the level's 2 working days from the handoff: Thursday, Friday
    assert state.stage.mediation_deadline == eod(2026, 11, 27)
    state, _ = act(
        state, Action.EXTEND, LATER + timedelta(days=3), by=wd(2), consenting_parties=BOTH, reason=REASON
    )
    assert state.stage.mediation_deadline == eod(2026, 12, 1)  # (weekend), Monday, Tuesday


def test_extension_without_a_party_names_who_is_missing(mediating: CaseState) -> None:
    message = reject(mediating, Action.EXTEND, LATER, by=wd(1), consenting_parties=["P1"], reason=REASON)
    assert message == "an extension needs every party's consent; missing: P2 (respondent)"


def test_extension_longer_than_the_policy_allows_is_rejected(mediating: CaseState) -> None:
    message = reject(mediating, Action.EXTEND, LATER, by=wd(3), consenting_parties=BOTH, reason=REASON)
    assert message == "an extension may be at most 2 working days; asked for 3 working days"


def test_extension_of_zero_is_rejected(mediating: CaseState) -> None:
    message = reject(mediating, Action.EXTEND, LATER, by=wd(0), consenting_parties=BOTH, reason=REASON)
    assert message == "an extension must be longer than zero"


def test_a_second_extension_is_rejected(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.EXTEND, LATER, by=wd(1), consenting_parties=BOTH, reason=REASON)
    message = reject(state, Action.EXTEND, LATER, by=wd(1), consenting_parties=BOTH, reason=REASON)
    assert "already had 1 extension(s), the most the policy allows" in message
    assert Action.EXTEND not in rules.allowed_actions(state)


def test_extension_before_acceptance_is_not_allowed(new: CaseState) -> None:
    message = reject(new, Action.EXTEND, NOW, by=wd(1), consenting_parties=BOTH, reason=REASON)
    assert "`extend` is not allowed now" in message


# ---------------------------------------------------------------- escalate


def test_escalate_early_hands_the_case_to_the_next_level(mediating: CaseState) -> None:
    state, effects = act(mediating, Action.ESCALATE, LATER, reason="需村调委会协调")
    assert state.stage.committee.id == VILLAGE.id
    assert state.stages[0].outcome is Outcome.ESCALATED
    assert state.stages[0].cause is EscalationCause.DECISION
    assert state.status is CaseStatus.AWAITING_ACCEPTANCE
    assert of_kind(effects, NotificationKind.HANDOFF) == [f"committee:{VILLAGE.id}"]
    assert of_kind(effects, NotificationKind.INTENSIFICATION) == []


def test_escalate_before_acceptance_is_allowed(new: CaseState) -> None:
    state, _ = act(new, Action.ESCALATE, NOW, reason="不属网格处理")
    assert state.level is Level.VILLAGE


def test_escalate_may_skip_to_a_named_level(new: CaseState) -> None:
    state, _ = act(new, Action.ESCALATE, NOW, reason="涉及县直部门", to_level=Level.COUNTY)
    assert state.stage.committee.id == COUNTY.id


def test_escalate_downwards_is_rejected(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.ESCALATE, LATER, reason="上交", to_level=Level.TOWNSHIP)
    message = reject(state, Action.ESCALATE, LATER, reason="上交", to_level=Level.VILLAGE)
    assert message == "escalation goes up: the case is at township, asked for village"


def test_escalate_at_the_top_is_rejected(at_county: CaseState) -> None:
    message = reject(at_county, Action.ESCALATE, LATER, reason="上交")
    assert "already at the top of the ladder" in message


def test_intensifying_escalation_from_the_grid_jumps_to_the_township(new: CaseState) -> None:
    state, effects = act(new, Action.ESCALATE, NOW, reason="双方扬言动手", intensifying=True)
    assert state.stage.committee.id == TOWNSHIP.id
    assert state.stages[0].cause is EscalationCause.INTENSIFICATION
    assert state.risk is Risk.MAY_INTENSIFY
    assert sorted(of_kind(effects, NotificationKind.INTENSIFICATION)) == [
        "agency:police:431199",
        "agency:responsible_department:431199",
    ]
    assert effects.projection is not None and effects.projection.risk is Risk.MAY_INTENSIFY


# ---------------------------------------------------------------- transfer


def test_transfer_to_a_specialised_committee(mediating: CaseState) -> None:
    state, effects = act(mediating, Action.TRANSFER, LATER, committee_id="C-431199-MED", reason="医疗纠纷")
    assert state.stage.committee.id == "C-431199-MED"
    assert state.level is Level.COUNTY
    assert state.stages[0].outcome is Outcome.TRANSFERRED
    assert of_kind(effects, NotificationKind.HANDOFF) == ["committee:C-431199-MED"]
    assert effects.refresh_committee == "C-431199-MED"


def test_transfer_to_an_unknown_committee_lists_the_options(mediating: CaseState) -> None:
    message = reject(mediating, Action.TRANSFER, LATER, committee_id="C-000000", reason="移送")
    assert message.startswith("unknown committee C-000000; this case can go to: ")
    assert "C-431199-MED (" in message
    assert f"{VILLAGE.id} ({VILLAGE.name})" in message
    assert f"{GRID.id} (" not in message


def test_transfer_to_the_holder_is_rejected(mediating: CaseState) -> None:
    message = reject(mediating, Action.TRANSFER, LATER, committee_id=GRID.id, reason="移送")
    assert message == f"the case is already held by {GRID.name}"


# ---------------------------------------------------------------- routing


def test_medical_dispute_escalated_to_the_county_goes_to_the_medical_committee() -> None:
    state, _ = opened(dispute_type="medical")
    state, _ = act(state, Action.ESCALATE, NOW, reason="涉及医院", to_level=Level.COUNTY)
    assert state.stage.committee.id == specialised("C-431199-MED").id


# ---------------------------------------------------------------- agreement (Arts. 28–32)


def test_written_agreement_signed_by_every_party_ends_the_stage_and_starts_follow_up(
    mediating: CaseState,
) -> None:
    state, effects = act(
        mediating,
        Action.RECORD_AGREEMENT,
        LATER,
        form=AgreementForm.WRITTEN,
        terms="围墙后移0.5米",
        signed_by=BOTH,
    )
    assert state.status is CaseStatus.FOLLOW_UP and not state.closed
    assert state.stage.outcome is Outcome.AGREEMENT
    assert state.aftercare is not None and state.aftercare.effective_at == LATER
    [record] = effects.stages
    assert record.outcome == "agreement"
    assert record.agreement is not None and record.agreement["signed_by"] == BOTH
    assert sorted(of_kind(effects, NotificationKind.CONFIRMATION)) == ["party:P1", "party:P2"]
    assert rules.allowed_actions(state) == [Action.RECORD_VISIT, Action.APPLY_CONFIRMATION]


def test_written_agreement_missing_a_signature_is_rejected(mediating: CaseState) -> None:
    message = reject(
        mediating,
        Action.RECORD_AGREEMENT,
        LATER,
        form=AgreementForm.WRITTEN,
        terms="围墙后移",
        signed_by=["P1"],
    )
    assert message.endswith("not signed by: P2")


def test_oral_agreement_needs_no_signature(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.RECORD_AGREEMENT, LATER, form=AgreementForm.ORAL, terms="当场赔礼道歉")
    assert state.status is CaseStatus.FOLLOW_UP
    assert state.stage.agreement is not None and state.stage.agreement.form is AgreementForm.ORAL


def test_agreement_before_acceptance_is_not_allowed(new: CaseState) -> None:
    message = reject(new, Action.RECORD_AGREEMENT, NOW, form=AgreementForm.ORAL, terms="和解")
    assert "`record_agreement` is not allowed now" in message


# ---------------------------------------------------------------- failure (Art. 26)


def test_failure_below_the_top_escalates(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.RECORD_FAILURE, LATER, reason="双方分歧较大")
    assert state.level is Level.VILLAGE
    assert state.stages[0].outcome is Outcome.FAILED
    assert state.stages[0].cause is EscalationCause.FAILURE
    assert not state.closed


def test_failure_at_the_county_closes_and_tells_each_party_their_other_routes(at_county: CaseState) -> None:
    state, effects = act(at_county, Action.RECORD_FAILURE, LATER + timedelta(days=9), reason="调解不成")
    assert state.closed and state.closure_reason is ClosureReason.FAILED_AT_TOP
    assert state.stage.outcome is Outcome.FAILED
    assert of_kind(effects, NotificationKind.OTHER_ROUTES) == ["party:P1", "party:P2"]
    assert all("Art. 26" in n.body for n in effects.notifications if n.kind is NotificationKind.OTHER_ROUTES)
    assert rules.next_wakeup(state) is None


# ---------------------------------------------------------------- refusal (Art. 17) and withdrawal


def test_refusal_closes_the_case(new: CaseState) -> None:
    state, _ = act(new, Action.RECORD_REFUSAL, NOW, party_id="P2", reason="不同意调解")
    assert state.closure_reason is ClosureReason.REFUSED
    assert state.stage.reason == "P2: 不同意调解"


def test_withdrawal_closes_the_case(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.WITHDRAW, LATER, party_id="P1", reason="已私下和解")
    assert state.closure_reason is ClosureReason.WITHDRAWN
    assert state.closed_at == LATER


def test_refusal_by_an_unknown_party_is_rejected(new: CaseState) -> None:
    assert "unknown party id(s) P9" in reject(new, Action.RECORD_REFUSAL, NOW, party_id="P9", reason="拒绝")


def test_a_closed_case_accepts_no_action(mediating: CaseState) -> None:
    state, _ = act(mediating, Action.WITHDRAW, LATER, party_id="P1", reason="撤回")
    message = reject(state, Action.RECORD_SESSION, LATER, held_at=LATER, attendees=BOTH, notes="面谈")
    assert message.endswith("(withdrawn); no action is allowed")
    assert rules.allowed_actions(state) == []
    assert rules.on_time(state, LATER + timedelta(days=30)) is None


# ---------------------------------------------------------------- who may act


def test_a_non_member_is_rejected(new: CaseState) -> None:
    message = reject(new, Action.ACCEPT, NOW, actor=stranger(GRID.id), mediator_ids=["M-0028"])
    assert message == f"M-9999 is not a member of {GRID.name} ({GRID.id})"


def test_a_member_of_another_committee_is_rejected(new: CaseState) -> None:
    message = reject(new, Action.ACCEPT, NOW, actor=member_of(VILLAGE), mediator_ids=["M-0025"])
    assert message.startswith(f"M-0025 acts for committee {VILLAGE.id}, but case")
    assert f"is held by {GRID.name} ({GRID.id})" in message


def test_a_supervisor_cannot_act_on_the_case(new: CaseState) -> None:
    supervisor = Actor(id="S-0001", role=ActorRole.SUPERVISOR, committee_id=GRID.id)
    message = reject(new, Action.ACCEPT, NOW, actor=supervisor, mediator_ids=["M-0028"])
    assert message.startswith("S-0001 is a supervisor")


def test_action_not_allowed_now_lists_the_allowed_ones(new: CaseState) -> None:
    message = reject(new, Action.RECORD_FAILURE, NOW, reason="不成")
    assert message == (
        f"case {new.case_no} is awaiting acceptance at {GRID.name} (grid level); `record_failure` is not"
        " allowed now, only `accept`, `escalate`, `transfer`, `record_refusal`, `withdraw`,"
        " `flag_intensification`"
    )


def test_check_never_changes_the_state(new: CaseState) -> None:
    before = new.model_dump()
    rules.check(new, Action.ACCEPT, Accept(actor=holder(new), mediator_ids=["M-0028"]), NOW)
    with pytest.raises(rules.Rejected):
        rules.check(new, Action.ACCEPT, Accept(actor=holder(new), mediator_ids=["M-0001"]), NOW)
    assert new.model_dump() == before


def test_apply_leaves_its_input_unchanged(new: CaseState) -> None:
    before = new.model_dump()
    accept(new, NOW)
    assert new.model_dump() == before


def test_fresh_membership_applies_to_the_holder_only(new: CaseState) -> None:
    grown = GRID.model_copy(update={"members": [*GRID.members, VILLAGE.members[0]]})
    assert rules.with_committee(new, grown).stage.committee.has_member(VILLAGE.members[0].id)
    assert rules.with_committee(new, VILLAGE) is new


# ---------------------------------------------------------------- effects


def test_projection_version_increases_with_every_transition(new: CaseState) -> None:
    versions = [new.version]
    state, effects = accept(new, NOW)
    versions.append(effects.projection.version if effects.projection else -1)
    state, effects, _ = wake(state)
    versions.append(effects.projection.version if effects.projection else -1)
    state, effects = act(state, Action.ESCALATE, LATER + timedelta(days=1), reason="上交")
    versions.append(effects.projection.version if effects.projection else -1)
    assert versions == [1, 2, 3, 4]
    assert state.version == 4


def test_projection_describes_the_case(mediating: CaseState) -> None:
    _, effects = act(mediating, Action.ESCALATE, LATER, reason="上交")
    projection = effects.projection
    assert projection is not None
    assert (projection.level, projection.committee_id, projection.stage_no) == (Level.VILLAGE, VILLAGE.id, 2)
    assert (projection.county, projection.village, projection.policy) == (
        "431199",
        VILLAGE.jurisdiction,
        "gaotai-4x7",
    )
    assert projection.status is CaseStatus.AWAITING_ACCEPTANCE


def test_stage_records_cover_the_ended_and_the_new_stage(mediating: CaseState) -> None:
    _, effects = act(mediating, Action.TRANSFER, LATER, committee_id="C-431199-LND", reason="土地纠纷")
    assert [(r.stage_no, r.committee_id, r.outcome, r.mediators) for r in effects.stages] == [
        (1, GRID.id, "transferred", ["M-0028"]),
        (2, "C-431199-LND", None, []),
    ]
    assert effects.stages[0].ended_at == LATER
    assert effects.stages[1].started_at == LATER


def test_a_transition_shares_the_frozen_parts_and_leaves_the_old_state_alone(mediating: CaseState) -> None:
    before = mediating.model_dump(mode="json")
    state, _ = act(
        mediating,
        Action.RECORD_SESSION,
        LATER,
        held_at=LATER - timedelta(hours=1),
        attendees=BOTH,
        notes="面谈",
    )
    assert mediating.model_dump(mode="json") == before
    assert state.stage is not mediating.stage and state.stage.sessions != mediating.stage.sessions
    assert state.stage.reminders[0] is not mediating.stage.reminders[0]
    # not copied: the intake, the policy snapshot with its calendar, the route, each committee
    assert state.intake is mediating.intake and state.policy is mediating.policy
    assert state.route is mediating.route and state.stage.committee is mediating.stage.committee


def _mutable_parts(value: object, found: dict[int, object]) -> dict[int, object]:
    """Every list, dict and unfrozen model reachable from `value`, by id (frozen models: skipped)."""
    if isinstance(value, BaseModel):
        if value.model_config.get("frozen"):
            return found
        found[id(value)] = value
        for item in value.__dict__.values():
            _mutable_parts(item, found)
    elif isinstance(value, list | dict):
        found[id(value)] = value
        for item in value.values() if isinstance(value, dict) else value:
            _mutable_parts(item, found)
    return found


def test_the_private_copy_is_the_deep_copy_without_copying_what_is_frozen(at_county: CaseState) -> None:
    accepted_at = at_county.stage.accepted_at
    assert accepted_at is not None
    state, _ = act(
        at_county,
        Action.RECORD_AGREEMENT,
        accepted_at + timedelta(hours=2),
        form=AgreementForm.WRITTEN,
        terms="赔偿并道歉",
        signed_by=BOTH,
    )
    assert state.aftercare is not None and len(state.stages) == 4
    copied = private_copy(state)
    assert copied == copy.deepcopy(state) and copied.model_dump() == state.model_dump()
    assert copied.model_fields_set == state.model_fields_set
    original = _mutable_parts(state, {})
    assert not set(_mutable_parts(copied, {})) & set(original)  # nothing the rules change is shared
    copied.stage.reminders.clear()
    copied.aftercare.visits[0].reminded = True  # type: ignore[union-attr]
    copied.stages[0].mediators.append("M-9999")
    assert state.stage.reminders and not state.aftercare.visits[0].reminded
    assert "M-9999" not in state.stages[0].mediators
    assert copied.intake is state.intake and copied.policy is state.policy and copied.route is state.route
    assert all(a.committee is b.committee for a, b in zip(copied.stages, state.stages, strict=True))


def test_a_transition_shares_what_is_recorded_so_its_copy_does_not_grow_with_the_sessions(
    mediating: CaseState,
) -> None:
    state = mediating
    for n in range(30):
        held_at = LATER - timedelta(minutes=n)
        state, _ = act(state, Action.RECORD_SESSION, LATER, held_at=held_at, attendees=BOTH, notes="面谈")
    copied = private_copy(state)
    assert len(copied.stage.sessions) == 30 and copied.stage.sessions is not state.stage.sessions
    assert all(a is b for a, b in zip(copied.stage.sessions, state.stage.sessions, strict=True))
    with pytest.raises(ValidationError, match="frozen"):
        copied.stage.sessions[0].notes = "改写"  # type: ignore[misc]  # what is recorded stays as it was
    assert copied == copy.deepcopy(state)


def test_the_copy_follows_each_class_plan_and_looks_at_no_frozen_or_scalar_field() -> None:
    plan = dict(_plan(CaseState) or ())
    assert not {"intake", "policy", "route", "case_id", "opened_at", "status", "version"} & set(plan)
    assert {"stages", "aftercare"} <= set(plan)
    assert plan["aftercare"] is _model  # `Aftercare | None`: by its class's plan, not by what it holds
    assert _plan(Session) is None  # frozen: shared whole
    stage = dict(_plan(Stage) or ())
    assert stage["sessions"] is _SHALLOW and stage["extensions"] is _SHALLOW  # frozen items: the list alone
    assert "committee" not in stage and "agreement" not in stage


class _Loose(BaseModel):
    """A model with fields whose types the plan does not know: copied by what they hold."""

    anything: object = None
    table: dict[str, list[int]] = {}


def test_a_field_of_a_type_the_plan_does_not_know_is_copied_by_what_it_holds() -> None:
    loose = _Loose(anything={"a": [1, 2]}, table={"t": [3]})
    copied = _thawed(loose)
    assert copied == loose
    assert isinstance(copied.anything, dict) and isinstance(loose.anything, dict)
    assert copied.anything is not loose.anything and copied.anything["a"] is not loose.anything["a"]
    assert copied.table["t"] is not loose.table["t"]


def test_a_union_of_more_than_one_type_besides_none_is_copied_by_what_it_holds() -> None:
    assert _copier(str | list[str]) is _thawed and _copier(int | Stage | None) is _thawed
    assert _copier(Stage | None) is _model and _copier(Session | None) is None


def _subclasses(cls: type[BaseModel]) -> list[type[BaseModel]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_no_model_unfreezes_a_frozen_one_in_a_subclass() -> None:
    """The copy shares a field typed as a frozen class without looking at it (`_copier`)."""
    from pathlib import Path

    for info in pkgutil.walk_packages([str(Path(models.__file__).parent)], "models."):
        importlib.import_module(info.name)
    frozen = [
        c
        for c in _subclasses(BaseModel)
        if c.__module__.startswith("models.") and c.model_config.get("frozen")
    ]
    assert Session in frozen and len(frozen) > 10
    unfrozen = [(c, s) for c in frozen for s in _subclasses(c) if not s.model_config.get("frozen")]
    assert unfrozen == []
