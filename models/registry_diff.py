"""What loading a county's file would change, and which open cases the change touches.

Pure: the registry now in the database and the one in the file (models.registry_import), plus the
county's open cases, give the adds, changes and removes, and the removals a load must refuse
because they would strand an open case.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from models.registry_data import Registry

KINDS = ("county", "places", "committees", "members", "people", "staff_roles", "agencies")


@dataclass(frozen=True)
class OpenCase:
    """An open case as the database projects it: where it is, who holds it, who mediates it."""

    case_id: str
    committee_id: str
    places: tuple[str, ...]  # county, township, village, grid
    mediators: tuple[str, ...]  # of its current stage


@dataclass(frozen=True)
class Change:
    kind: str
    key: str
    before: dict[str, Any] | None  # None: added
    after: dict[str, Any] | None  # None: removed

    @property
    def verb(self) -> str:
        return "add" if self.before is None else "remove" if self.after is None else "change"

    def fields(self) -> dict[str, tuple[Any, Any]]:
        """The fields that differ, before and after (every field for an add or a remove)."""
        before, after = self.before or {}, self.after or {}
        names = list(dict.fromkeys([*before, *after]))
        return {n: (before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)}

    def __str__(self) -> str:
        if self.verb == "change":
            detail = ", ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in self.fields().items())
        else:
            detail = ", ".join(f"{k}={v!r}" for k, v in (self.after or self.before or {}).items() if v)
        return f"{self.verb} {self.kind} {self.key} ({detail})"


@dataclass
class RegistryDiff:
    changes: list[Change] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)  # removals that would strand an open case
    touched: list[str] = field(default_factory=list)  # open cases a change reaches (load goes ahead)

    def of(self, kind: str, verb: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and (verb is None or c.verb == verb)]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.kind, {"add": 0, "change": 0, "remove": 0})[c.verb] += 1
        return out

    @property
    def empty(self) -> bool:
        return not self.changes


def _compare(kind: str, before: Mapping[Any, Any], after: Mapping[Any, Any]) -> list[Change]:
    def key(k: Hashable) -> str:
        return "/".join(k) if isinstance(k, tuple) else str(k)

    def row(v: Any) -> dict[str, Any]:
        return {k: str(x) if hasattr(x, "value") else x for k, x in asdict(v).items()}

    out = []
    for k in sorted(set(before) | set(after), key=key):
        b, a = before.get(k), after.get(k)
        if b != a:
            out.append(
                Change(kind, key(k), row(b) if b is not None else None, row(a) if a is not None else None)
            )
    return out


def _roles(roles: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], Any]:
    return {r: _Role(*r) for r in roles}


@dataclass(frozen=True)
class _Role:
    person_id: str
    role: str
    scope: str


def diff_registry(
    current: Registry, new: Registry, open_cases: list[OpenCase], elsewhere: Mapping[str, str] | None = None
) -> RegistryDiff:
    """`current` holds what the database has for the county (people: those the file names, and
    those the county's committees and staff hold); a person is never removed, only their
    memberships and roles. `elsewhere`: committee and agency ids the database holds for another
    place than this county, with that place (a file may not take them over)."""
    county_before = {current.county.code: current.county} if current.county.code else {}
    changes = [
        *_compare("county", county_before, {new.county.code: new.county}),
        *_compare("places", current.places, new.places),
        *_compare("committees", current.committees, new.committees),
        *_compare("members", current.members, new.members),
        *_compare("people", {k: v for k, v in current.people.items() if k in new.people}, new.people),
        *_compare("staff_roles", _roles(current.staff_roles), _roles(new.staff_roles)),
        *_compare("agencies", current.agencies, new.agencies),
    ]
    result = RegistryDiff(changes=changes)
    removed_places = {c.key for c in changes if c.kind == "places" and c.verb == "remove"}
    removed_committees = {c.key for c in changes if c.kind == "committees" and c.verb == "remove"}
    changed_committees = {c.key for c in changes if c.kind == "committees" and c.verb == "change"}
    removed_members = {
        tuple(c.key.split("/", 1)) for c in changes if c.kind == "members" and c.verb == "remove"
    }
    for change in changes:
        if (
            change.kind in ("committees", "agencies")
            and change.verb == "add"
            and change.key in (elsewhere or {})
        ):
            what = "agency" if change.kind == "agencies" else "committee"
            where = (elsewhere or {})[change.key]
            result.blockers.append(f"{what} id {change.key} is already used in {where}: give it another id")
    for case in open_cases:
        if case.committee_id in removed_committees:
            result.blockers.append(
                f"committee {case.committee_id} holds open case {case.case_id}: it cannot go"
            )
        for code in case.places:
            if code in removed_places:
                result.blockers.append(f"place {code} has open case {case.case_id}: it cannot go")
        if case.committee_id in changed_committees:
            result.touched.append(f"{case.case_id}: its committee {case.committee_id} changes")
        for mediator in case.mediators:
            if (case.committee_id, mediator) in removed_members:
                result.touched.append(
                    f"{case.case_id}: its mediator {mediator} leaves {case.committee_id}"
                    " (assign another mediator to this case)"
                )
    return result
