"""A county's registry file, sheet by sheet: parsed and checked before anything is written.

Pure: the caller reads the CSV folder or XLSX workbook into `Sheets` (sheet name → rows of text,
each with its row number in the file) and passes the policies it knows; this module says what is
in the file and every problem with it, each with its sheet, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from models.case import PHONE
from models.enums import DisputeType, Level
from models.registry_data import (
    COLUMNS,
    REQUIRED,
    Agency,
    Committee,
    County,
    Membership,
    Person,
    Place,
    Problem,
    Registry,
    Row,
    Sheets,
)

CODE_PATTERNS = {
    Level.COUNTY: re.compile(r"^[0-9]{6}$"),
    Level.TOWNSHIP: re.compile(r"^[0-9]{9}$"),
    Level.VILLAGE: re.compile(r"^[0-9]{12}$"),
    Level.GRID: re.compile(r"^[0-9]{12}-G[0-9]{2}$"),
}
CODE_FORMS = {
    Level.COUNTY: "6 digits",
    Level.TOWNSHIP: "9 digits",
    Level.VILLAGE: "12 digits",
    Level.GRID: "the village's 12 digits, -G and two digits (431199001001-G01)",
}
PARENT = {Level.TOWNSHIP: Level.COUNTY, Level.VILLAGE: Level.TOWNSHIP, Level.GRID: Level.VILLAGE}
MEMBER_ROLES = ("grid_worker", "mediator", "chair")
STAFF_ROLES = ("supervisor", "court_liaison", "operator")
AGENCY_KINDS = ("police", "responsible_department", "court")
LANGUAGE = re.compile(r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")  # as an actor's id (models.case.Actor)


class _Reader:
    """Collects the registry and the problems as the sheets are read in order."""

    def __init__(self, sheets: Sheets, policies: Mapping[str, set[str]]) -> None:
        self.sheets = sheets
        self.policies = policies
        self.problems: list[Problem] = []
        self.registry = Registry(county=County("", "", "", ""))
        self.rows: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, key) → where it was given

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(sheet, row, column, message))

    def rows_of(self, sheet: str) -> list[tuple[int, Row]]:
        if sheet not in self.sheets:
            self.problem(sheet, None, None, f"sheet missing (columns: {', '.join(COLUMNS[sheet])})")
            return []
        given = {k for _, row in self.sheets[sheet] for k in row}
        absent = [c for c in REQUIRED[sheet] if c not in given and self.sheets[sheet]]
        if absent:
            self.problem(sheet, 1, ", ".join(absent), "column missing from the header row")
            return []
        out = []
        for number, row in self.sheets[sheet]:
            cells = {k: (row.get(k) or "").strip() for k in COLUMNS[sheet]}
            if not any(cells.values()):
                continue
            missing = [c for c in REQUIRED[sheet] if not cells[c]]
            for column in missing:
                self.problem(sheet, number, column, "empty")
            if not missing:
                out.append((number, cells))
        return out

    def first(self, kind: str, key: str, sheet: str, number: int, column: str) -> bool:
        """Note where `key` was given; False (and a problem) if it was given before."""
        seen = self.rows.get((kind, key))
        if seen is not None:
            self.problem(sheet, number, column, f"duplicate {key} (first in {seen[0]} row {seen[1]})")
            return False
        self.rows[(kind, key)] = (sheet, number)
        return True

    def where(self, kind: str, key: str) -> tuple[str, int | None]:
        return self.rows.get((kind, key), (kind, None))

    def person(self, sheet: str, number: int, cells: Row) -> None:
        pid = cells["person_id"]
        if not ID.fullmatch(pid):
            self.problem(sheet, number, "person_id", f"{pid!r} is not an id (letters, digits, - _ . :)")
        if not PHONE.fullmatch(cells["phone"]):
            self.problem(sheet, number, "phone", f"{cells['phone']!r} is not a mobile or landline number")
        if cells["email"] and not EMAIL.fullmatch(cells["email"]):
            self.problem(sheet, number, "email", f"{cells['email']!r} is not an e-mail address")
        language = cells["language"] or "zh"
        if not LANGUAGE.fullmatch(language):
            self.problem(sheet, number, "language", f"{language!r} is not a language code (zh, en)")
        person = Person(pid, cells["name"], cells["phone"], cells["email"] or None, language)
        known = self.registry.people.setdefault(pid, person)
        if known != person:
            first = self.where("person", pid)
            self.problem(
                sheet, number, "person_id", f"{pid} is given with other details in {first[0]} row {first[1]}"
            )
        else:
            self.rows.setdefault(("person", pid), (sheet, number))


def read_registry(sheets: Sheets, policies: Mapping[str, set[str]]) -> tuple[Registry, list[Problem]]:
    """The registry in `sheets` and every problem in it (none: it may be loaded).

    `policies` maps each known policy's name to the specialties it routes dispute types to."""
    r = _Reader(sheets, policies)
    _county(r)
    _places(r)
    _grids(r)
    _committees(r)
    _members(r)
    _staff(r)
    _agencies(r)
    _coverage(r)
    unique = dict.fromkeys(r.problems)  # in the order found, then by sheet and row
    return r.registry, sorted(unique, key=lambda p: (list(COLUMNS).index(p.sheet), p.row or 0))


def _county(r: _Reader) -> None:
    rows = r.rows_of("county")
    if len(rows) != 1:
        if "county" in r.sheets:
            r.problem("county", None, None, f"needs exactly one row, has {len(rows)}")
        return
    number, c = rows[0]
    if not CODE_PATTERNS[Level.COUNTY].fullmatch(c["code"]):
        r.problem(
            "county", number, "code", f"{c['code']!r} is not a county code ({CODE_FORMS[Level.COUNTY]})"
        )
    if c["default_policy"] not in r.policies:
        known = ", ".join(sorted(r.policies))
        r.problem(
            "county", number, "default_policy", f"unknown policy {c['default_policy']!r}; known: {known}"
        )
    r.registry.county = County(c["code"], c["name"], c["name_en"], c["default_policy"])
    r.registry.places[c["code"]] = Place(c["code"], Level.COUNTY, c["name"], c["name_en"], None)
    r.rows[("place", c["code"])] = ("county", number)


def _place(r: _Reader, sheet: str, number: int, code: str, kind: Level, parent: str, names: Row) -> None:
    column = "parent" if sheet == "places" else "village"
    if not CODE_PATTERNS[kind].fullmatch(code):
        r.problem(sheet, number, "code", f"{code!r} is not a {kind.value} code ({CODE_FORMS[kind]})")
        return
    above = r.registry.places.get(parent)
    if above is None:
        r.problem(sheet, number, column, f"{parent} is not a place given above")
    elif above.kind is not PARENT[kind]:
        r.problem(sheet, number, column, f"{parent} is a {above.kind.value}, not a {PARENT[kind].value}")
    elif not code.startswith(parent):
        r.problem(sheet, number, "code", f"{code} does not nest in {parent}: it must begin with {parent}")
    if r.first("place", code, sheet, number, "code"):
        r.registry.places[code] = Place(code, kind, names["name"], names["name_en"], parent)


def _places(r: _Reader) -> None:
    kinds = {Level.TOWNSHIP.value: Level.TOWNSHIP, Level.VILLAGE.value: Level.VILLAGE}
    rows = r.rows_of("places")
    # Townships first, so a village may come before its township in the sheet.
    for number, c in sorted(rows, key=lambda row: row[1]["kind"] != Level.TOWNSHIP.value):
        kind = kinds.get(c["kind"])
        if kind is None:
            r.problem("places", number, "kind", f"{c['kind']!r}: a place is a township or a village")
            continue
        _place(r, "places", number, c["code"], kind, c["parent"], c)


def _grids(r: _Reader) -> None:
    for number, c in r.rows_of("grids"):
        _place(r, "grids", number, c["code"], Level.GRID, c["village"], c)


def _committees(r: _Reader) -> None:
    routed = set().union(*r.policies.values()) if r.policies else set()
    for number, c in r.rows_of("committees"):
        if not ID.fullmatch(c["id"]):
            r.problem("committees", number, "id", f"{c['id']!r} is not an id (letters, digits, - _ . :)")
            continue
        if c["level"] not in {level.value for level in Level}:
            r.problem(
                "committees", number, "level", f"{c['level']!r}: one of grid, village, township, county"
            )
            continue
        level = Level(c["level"])
        place = r.registry.places.get(c["place"])
        if place is None:
            r.problem("committees", number, "place", f"{c['place']} is not a place in this file")
            continue
        if place.kind is not level:
            r.problem(
                "committees", number, "level", f"{c['place']} is a {place.kind.value}, not a {level.value}"
            )
            continue
        specialty = c["specialty"] or None
        if specialty and specialty not in routed:
            r.problem(
                "committees",
                number,
                "specialty",
                f"no policy routes a dispute type to {specialty!r} (routed: {', '.join(sorted(routed))})",
            )
        if r.first("committee", c["id"], "committees", number, "id"):
            committee = Committee(c["id"], c["name"], c["name_en"], level, c["place"], specialty)
            r.registry.committees[c["id"]] = committee


def _members(r: _Reader) -> None:
    for number, c in r.rows_of("members"):
        if c["committee"] not in r.registry.committees:
            r.problem("members", number, "committee", f"{c['committee']} is not a committee in this file")
            continue
        if c["role"] not in MEMBER_ROLES:
            r.problem(
                "members", number, "role", f"unknown role {c['role']!r}: one of {', '.join(MEMBER_ROLES)}"
            )
            continue
        r.person("members", number, c)
        key = (c["committee"], c["person_id"])
        if r.first("membership", "/".join(key), "members", number, "person_id"):
            r.registry.members[key] = Membership(c["committee"], c["person_id"], c["name"], c["role"])


def _staff(r: _Reader) -> None:
    courts = {a["name"] for _, a in r.sheets.get("agencies", []) if (a.get("kind") or "").strip() == "court"}
    for number, c in r.rows_of("staff"):
        role, scope = c["role"], c["scope"]
        if role not in STAFF_ROLES:
            r.problem("staff", number, "role", f"unknown role {role!r}: one of {', '.join(STAFF_ROLES)}")
            continue
        place = r.registry.places.get(scope)
        if role == "supervisor" and (place is None or place.kind not in (Level.COUNTY, Level.TOWNSHIP)):
            r.problem(
                "staff", number, "scope", f"a supervisor's scope is the county or a township, not {scope!r}"
            )
            continue
        if role == "court_liaison" and scope not in courts:
            r.problem("staff", number, "scope", f"{scope!r} is not the name of a court in the agencies sheet")
            continue
        if role == "operator" and scope:
            r.problem("staff", number, "scope", "an operator has no scope: leave it empty")
            continue
        r.person("staff", number, c)
        if r.first("staff role", f"{c['person_id']}/{role}/{scope}", "staff", number, "role"):
            r.registry.staff_roles.add((c["person_id"], role, scope))


def _agencies(r: _Reader) -> None:
    types = {t.value for t in DisputeType}
    for number, c in r.rows_of("agencies"):
        kind, dispute_type = c["kind"], c["dispute_type"] or None
        if kind not in AGENCY_KINDS:
            r.problem("agencies", number, "kind", f"unknown kind {kind!r}: one of {', '.join(AGENCY_KINDS)}")
            continue
        if c["place"] not in r.registry.places:
            r.problem("agencies", number, "place", f"{c['place']} is not a place in this file")
            continue
        if kind == "responsible_department" and dispute_type not in types:
            r.problem(
                "agencies", number, "dispute_type", f"{dispute_type!r}: one of {', '.join(sorted(types))}"
            )
            continue
        if kind != "responsible_department" and dispute_type:
            r.problem("agencies", number, "dispute_type", f"only a responsible department has one ({kind})")
            continue
        if c["phone"] and not PHONE.fullmatch(c["phone"]):
            r.problem("agencies", number, "phone", f"{c['phone']!r} is not a mobile or landline number")
        language = c["language"] or "zh"
        if r.first("agency", c["id"], "agencies", number, "id"):
            r.registry.agencies[c["id"]] = Agency(
                c["id"],
                kind,
                c["place"],
                dispute_type,
                c["name"],
                c["phone"] or None,
                c["email"] or None,
                language,
            )


def _coverage(r: _Reader) -> None:
    """What every place needs: one general committee of its own to route its cases (a grid's with
    a grid worker); what the county needs: police for each township, a department for every
    dispute type, a court."""
    reg = r.registry
    general: dict[str, Committee] = {}
    for c in reg.committees.values():
        if c.specialty is None and general.setdefault(c.jurisdiction, c) is not c:
            _, number = r.where("committee", c.id)
            first = general[c.jurisdiction].id
            r.problem(
                "committees",
                number,
                "place",
                f"{c.jurisdiction} already has a committee ({first}): one a place",
            )
    workers = {cid for (cid, _), m in reg.members.items() if m.role == "grid_worker"}
    for code, place in reg.places.items():
        sheet, number = r.where("place", code)
        committee = general.get(code)
        if committee is None:
            r.problem(sheet, number, "code", f"{place.kind.value} {code} {place.name} has no committee")
        elif place.kind is Level.GRID and committee.id not in workers:
            r.problem(sheet, number, "code", f"grid {code} {place.name} has no grid worker ({committee.id})")
    if not reg.county.code:
        return
    police = {a.jurisdiction for a in reg.agencies.values() if a.kind == "police"}
    for code, place in reg.places.items():
        if place.kind is Level.TOWNSHIP and code not in police:
            r.problem("agencies", None, "place", f"no police for township {code} {place.name}")
    departments = {a.dispute_type for a in reg.agencies.values() if a.kind == "responsible_department"}
    for dispute_type in DisputeType:
        if dispute_type.value not in departments:
            r.problem("agencies", None, "dispute_type", f"no responsible department for {dispute_type.value}")
    if not any(a.kind == "court" for a in reg.agencies.values()):
        r.problem("agencies", None, "kind", "no court")
