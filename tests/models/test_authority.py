"""Who may do what: the pure rules behind the service's one authorization dependency."""

from __future__ import annotations

import pytest

from models.authority import (
    CaseFacts,
    Forbidden,
    Membership,
    Principal,
    Staff,
    StaffRole,
    actions_for,
    actor_for,
    may_see,
    place_in_scope,
    reporter_for,
)
from models.enums import Action, ActorRole, CaseStatus
from models.supervision import StaffAction
from tests.factories import PLACE

CASE = CaseFacts(
    case_id="case-431199-2026-000001",
    committee_id="C-431199001001",
    place=PLACE,
    committees_held=("C-431199001001-G01", "C-431199001001"),
    confirmation_court="零陵示范县人民法院",
)


def member(committee: str, role: ActorRole, jurisdiction: str) -> Principal:
    return Principal(
        person_id="M-1",
        name="x",
        memberships=(Membership(committee_id=committee, role=role, jurisdiction=jurisdiction),),
    )


def staff(role: StaffRole, scope: str) -> Principal:
    return Principal(person_id="S-1", name="x", staff=(Staff(role=role, scope=scope),))


def test_a_member_of_the_holding_committee_acts_as_its_member() -> None:
    chair = member("C-431199001001", ActorRole.CHAIR, "431199001001")
    actor = actor_for(chair, Action.ACCEPT, CASE)
    assert (actor.id, actor.role, actor.committee_id) == ("M-1", ActorRole.CHAIR, "C-431199001001")
    with pytest.raises(Forbidden, match="not a member of C-431199001001"):
        actor_for(member("C-431199001001-G01", ActorRole.GRID_WORKER, PLACE.grid), Action.ACCEPT, CASE)


def test_court_records_belong_to_the_courts_liaison() -> None:
    liaison = staff(StaffRole.COURT_LIAISON, "零陵示范县人民法院")
    assert actor_for(liaison, Action.RECORD_RULING, CASE).role is ActorRole.COURT_LIAISON
    with pytest.raises(Forbidden):
        actor_for(staff(StaffRole.COURT_LIAISON, "另一法院"), Action.RECORD_RULING, CASE)
    with pytest.raises(Forbidden):
        actor_for(member("C-431199001001", ActorRole.CHAIR, "431199001001"), Action.RECORD_RULING, CASE)
    with pytest.raises(Forbidden):
        actor_for(liaison, Action.ACCEPT, CASE)


def test_a_supervisor_acts_only_with_staff_actions_and_inside_the_scope() -> None:
    township = staff(StaffRole.SUPERVISOR, "431199001")
    assert actor_for(township, StaffAction.REASSIGN, CASE, "431199001").committee_id == "431199001"
    with pytest.raises(Forbidden, match="outside"):
        actor_for(township, StaffAction.REASSIGN, CASE, "431199")
    with pytest.raises(Forbidden):
        actor_for(staff(StaffRole.SUPERVISOR, "431199002"), StaffAction.CLOSE_OVERDUE, CASE)
    with pytest.raises(Forbidden):
        actor_for(township, Action.ACCEPT, CASE)
    assert place_in_scope(staff(StaffRole.SUPERVISOR, "431199"), "431199003") == "431199"
    with pytest.raises(Forbidden):
        place_in_scope(township, "431199")


def test_who_sees_a_case_and_who_opens_one() -> None:
    may_see(member("C-431199001001-G01", ActorRole.GRID_WORKER, PLACE.grid), CASE)  # held it before
    may_see(staff(StaffRole.COURT_LIAISON, "零陵示范县人民法院"), CASE)
    for outsider in (staff(StaffRole.OPERATOR, ""), member("C-431199002", ActorRole.CHAIR, "431199002")):
        with pytest.raises(Forbidden):
            may_see(outsider, CASE)
    gw = reporter_for(member("C-431199001001-G01", ActorRole.GRID_WORKER, PLACE.grid), PLACE)
    assert gw.committee_id == "C-431199001001-G01"
    with pytest.raises(Forbidden):
        reporter_for(member("C-431199001001-G02", ActorRole.GRID_WORKER, "431199001001-G02"), PLACE)


def test_the_actions_a_person_is_offered_are_those_they_may_take() -> None:
    allowed = [Action.RECORD_VISIT, Action.RECORD_COURT_DECISION]
    chair = member("C-431199001001", ActorRole.CHAIR, "431199001001")
    assert actions_for(chair, CASE, allowed, CaseStatus.FOLLOW_UP, False) == [Action.RECORD_VISIT]
    liaison = staff(StaffRole.COURT_LIAISON, "零陵示范县人民法院")
    assert actions_for(liaison, CASE, allowed, CaseStatus.FOLLOW_UP, False) == [Action.RECORD_COURT_DECISION]
    township = staff(StaffRole.SUPERVISOR, "431199001")
    assert actions_for(township, CASE, [Action.ACCEPT], CaseStatus.AWAITING_ACCEPTANCE, True) == [
        StaffAction.REASSIGN,
        StaffAction.CLOSE_OVERDUE,
    ]
    assert actions_for(township, CASE, [], CaseStatus.FOLLOW_UP, False) == []
    outsider = member("C-431199002", ActorRole.CHAIR, "431199002")
    assert actions_for(outsider, CASE, allowed, CaseStatus.MEDIATING, True) == []


def test_a_case_the_county_holds_is_the_county_supervisors_not_a_townships() -> None:
    """A township's supervisor supervises the committees of the township: once the case climbed
    to the county's centre, reassigning or closing it is the county's (or a county-wide scope's)."""
    held_by_county = CASE.model_copy(update={"committee_id": "C-431199", "holder_jurisdiction": "431199"})
    township, county = staff(StaffRole.SUPERVISOR, "431199001"), staff(StaffRole.SUPERVISOR, "431199")
    for op in (StaffAction.REASSIGN, StaffAction.CLOSE_OVERDUE):
        with pytest.raises(Forbidden, match=r"C-431199, which holds .* serves 431199: outside S-1's scope"):
            actor_for(township, op, held_by_county)
        assert actor_for(county, op, held_by_county).committee_id == "431199"
    assert actions_for(township, held_by_county, [], CaseStatus.MEDIATING, True) == []
    assert actions_for(county, held_by_county, [], CaseStatus.MEDIATING, True) == [
        StaffAction.REASSIGN,
        StaffAction.CLOSE_OVERDUE,
    ]
    both = Principal(
        person_id="S-9",
        name="x",
        staff=tuple(Staff(role=StaffRole.SUPERVISOR, scope=s) for s in ("431199001", "431199")),
    )
    assert actor_for(both, StaffAction.CLOSE_OVERDUE, held_by_county).committee_id == "431199"
    township_held = CASE.model_copy(update={"holder_jurisdiction": "431199001001"})
    assert actor_for(township, StaffAction.CLOSE_OVERDUE, township_held).committee_id == "431199001"


def test_a_supervisor_of_two_scopes_acts_in_the_one_that_covers_the_target_too() -> None:
    both = Principal(
        person_id="S-9",
        name="x",
        staff=tuple(Staff(role=StaffRole.SUPERVISOR, scope=s) for s in ("431199001", "431199")),
    )
    township_held = CASE.model_copy(update={"holder_jurisdiction": "431199001001"})
    assert actor_for(both, StaffAction.REASSIGN, township_held, "431199001").committee_id == "431199001"
    assert actor_for(both, StaffAction.REASSIGN, township_held, "431199").committee_id == "431199"
    township = staff(StaffRole.SUPERVISOR, "431199001")
    with pytest.raises(Forbidden, match="the target committee is outside S-1's scope"):
        actor_for(township, StaffAction.REASSIGN, township_held, "431199")
