"""Who may do what to which case: roles and scopes from the registry, as pure functions.

The service loads the person's memberships and staff roles from the live registry on every
request and asks these functions; a refusal is `Forbidden` with the reason. The actor an
action runs as is derived here from the person and the case, never taken from a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.case import Actor, Place
from models.enums import Action, ActorRole, CaseStatus
from models.registry import place_codes
from models.supervision import REASSIGNABLE, StaffAction


class Forbidden(PermissionError):
    """The person may not do this; the message says why."""


class StaffRole(StrEnum):
    SUPERVISOR = "supervisor"
    COURT_LIAISON = "court_liaison"
    OPERATOR = "operator"


COURT_ACTIONS = frozenset({Action.RECORD_COURT_DECISION, Action.EXTEND_RULING, Action.RECORD_RULING})
CaseOp = Action | StaffAction


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True)

    committee_id: str
    role: ActorRole = Field(description="grid_worker, mediator or chair")
    jurisdiction: str


class Staff(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: StaffRole
    scope: str


class Principal(BaseModel):
    """A logged-in registry person with what the registry says about them now."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    memberships: tuple[Membership, ...] = ()
    staff: tuple[Staff, ...] = ()

    def member_of(self, committee_id: str) -> Membership | None:
        return next((m for m in self.memberships if m.committee_id == committee_id), None)

    def scopes(self, role: StaffRole) -> list[str]:
        return [s.scope for s in self.staff if s.role is role]

    def is_operator(self) -> bool:
        return bool(self.scopes(StaffRole.OPERATOR))

    def role_names(self) -> str:
        names = [f"{m.role.value} of {m.committee_id}" for m in self.memberships]
        names += [f"{s.role.value} {s.scope}".strip() for s in self.staff]
        return ", ".join(names) or "no role"


class CaseFacts(BaseModel):
    """What authorization needs to know about a case (from its view)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    committee_id: str
    place: Place
    committees_held: tuple[str, ...] = Field(description="every committee that had a stage")
    referral_court: str | None = None
    confirmation_court: str | None = None
    holder_jurisdiction: str | None = Field(
        default=None, description="the holding committee's jurisdiction, when the caller knows it"
    )


def covers(scope: str, code: str) -> bool:
    """A supervisor's scope (a place code) covers a place or committee jurisdiction inside it."""
    return bool(scope) and code.startswith(scope)


def supervisor_scope(p: Principal, place: Place) -> str | None:
    return next((s for s in p.scopes(StaffRole.SUPERVISOR) if covers(s, place.grid)), None)


def staff_scope(p: Principal, case: CaseFacts, target: str | None = None) -> str | None:
    """The scope `p` takes a supervisor's action on `case` in: one covering its place and the
    committee holding it (a township's supervisor does not act on a case the county holds), and
    the `target` jurisdiction of a reassignment when there is one."""
    holder = case.holder_jurisdiction
    return next(
        (
            s
            for s in p.scopes(StaffRole.SUPERVISOR)
            if covers(s, case.place.grid)
            and (holder is None or covers(s, holder))
            and (target is None or covers(s, target))
        ),
        None,
    )


def court_scope(p: Principal, case: CaseFacts) -> str | None:
    courts = {case.referral_court, case.confirmation_court} - {None}
    return next((s for s in p.scopes(StaffRole.COURT_LIAISON) if s in courts), None)


def actor_for(p: Principal, op: CaseOp, case: CaseFacts, target_jurisdiction: str | None = None) -> Actor:
    """The actor `p` acts as when doing `op` on `case`, or Forbidden.

    Mediator actions: a member of the committee holding the case (the grid worker at a grid).
    The court's decision and ruling on judicial confirmation: that court's liaison. Reassigning
    and closing an overdue case: a supervisor whose scope covers the case (and, for a reassignment,
    the target committee, whose jurisdiction is `target_jurisdiction`)."""
    if isinstance(op, StaffAction):
        if supervisor_scope(p, case.place) is None:
            raise Forbidden(
                f"{p.person_id} ({p.role_names()}) does not supervise the place of {case.case_id}"
            )
        if staff_scope(p, case) is None:
            raise Forbidden(
                f"{case.committee_id}, which holds {case.case_id}, serves {case.holder_jurisdiction}:"
                f" outside {p.person_id}'s scope ({p.role_names()})"
            )
        scope = staff_scope(p, case, target_jurisdiction)
        if scope is None:
            raise Forbidden(f"the target committee is outside {p.person_id}'s scope ({p.role_names()})")
        return Actor(id=p.person_id, role=ActorRole.SUPERVISOR, committee_id=scope)
    if op in COURT_ACTIONS:
        court = court_scope(p, case)
        if court is None:
            raise Forbidden(
                f"`{op.value}` is recorded by the liaison of the court concerned; {p.person_id}"
                f" ({p.role_names()}) is not"
            )
        return Actor(id=p.person_id, role=ActorRole.COURT_LIAISON, committee_id=court)
    membership = p.member_of(case.committee_id)
    if membership is None:
        raise Forbidden(
            f"{p.person_id} ({p.role_names()}) is not a member of {case.committee_id}, which holds"
            f" {case.case_id}; only its members act on it"
        )
    return Actor(id=p.person_id, role=membership.role, committee_id=membership.committee_id)


def actions_for(
    p: Principal, case: CaseFacts, allowed: Sequence[Action], status: CaseStatus, overdue: bool
) -> list[CaseOp]:
    """The actions `p` may take on the case now: of those the case allows, a member's, the
    court liaison's, and a supervisor's reassigning and closing of an overdue case."""
    mine: list[CaseOp] = []
    if p.member_of(case.committee_id):
        mine += [a for a in allowed if a not in COURT_ACTIONS]
    if court_scope(p, case):
        mine += [a for a in allowed if a in COURT_ACTIONS]
    if staff_scope(p, case):
        if status in REASSIGNABLE:
            mine.append(StaffAction.REASSIGN)
        if overdue:
            mine.append(StaffAction.CLOSE_OVERDUE)
    return mine


def may_see(p: Principal, case: CaseFacts) -> None:
    """Members of every committee that held the case, supervisors in scope, the court's liaison."""
    if any(p.member_of(c) for c in case.committees_held):
        return
    if supervisor_scope(p, case.place) is not None or court_scope(p, case) is not None:
        return
    raise Forbidden(f"{p.person_id} ({p.role_names()}) may not see {case.case_id}")


def may_open_file(p: Principal, case_id: str, committee_id: str, status: CaseStatus) -> Membership:
    """The case file (parties' names, phones and ID numbers, the summary, the sessions' notes) is
    for the committee mediating the case: members of `committee_id`, the committee holding it,
    while it is open. Committees that held it before, supervisors and courts see the case view,
    parties masked."""
    membership = p.member_of(committee_id)
    if membership is None:
        raise Forbidden(
            f"{p.person_id} ({p.role_names()}) is not a member of {committee_id}, which holds"
            f" {case_id}; its file, with the parties' contacts, is for that committee's members"
        )
    if status is CaseStatus.CLOSED:
        raise Forbidden(f"{case_id} is closed; its file is no longer open to mediators")
    return membership


def reporter_for(p: Principal, place: Place) -> Actor:
    """Who opens a case at `place`: a member of a committee serving it, the grid's first."""
    codes = place_codes(place)
    serving = [m for m in p.memberships if m.jurisdiction in codes.values()]
    if not serving:
        raise Forbidden(
            f"{p.person_id} ({p.role_names()}) is not a member of a committee serving grid {place.grid}"
        )
    first = min(serving, key=lambda m: -len(m.jurisdiction))
    return Actor(id=p.person_id, role=first.role, committee_id=first.committee_id)


def place_in_scope(p: Principal, code: str) -> str:
    """A supervisor's scope covering the place `code` (for reports, digests, lists), or Forbidden."""
    scope = next((s for s in p.scopes(StaffRole.SUPERVISOR) if covers(s, code)), None)
    if scope is None:
        raise Forbidden(f"{p.person_id} ({p.role_names()}) does not supervise {code}")
    return scope


def may_read_committee(p: Principal, committee_id: str, jurisdiction: str) -> None:
    """A committee's inbox and lists: its members, and supervisors whose scope covers it."""
    if p.member_of(committee_id) is not None:
        return
    if any(covers(s, jurisdiction) for s in p.scopes(StaffRole.SUPERVISOR)):
        return
    raise Forbidden(f"{p.person_id} ({p.role_names()}) may not read the cases of {committee_id}")


def must_operate(p: Principal) -> None:
    if not p.is_operator():
        raise Forbidden(f"{p.person_id} ({p.role_names()}) is not an operator")
