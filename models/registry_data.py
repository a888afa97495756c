"""A county's registry as data: the sheets of its file, the rows they hold, the problems found.

The format (sheets and columns) is documented in the README; models.registry_import reads and
checks a file into a `Registry`, models.registry_diff compares two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from models.enums import Level
from models.labels import REGISTRY_COLUMNS_ZH, REGISTRY_SHEETS_ZH

# The sheets in load order and their columns; a column in REQUIRED must be filled on every row.
COLUMNS: dict[str, tuple[str, ...]] = {
    "county": ("code", "name", "name_en", "default_policy"),
    "places": ("code", "kind", "name", "name_en", "parent"),
    "grids": ("code", "village", "name", "name_en"),
    "committees": ("id", "name", "name_en", "level", "place", "specialty"),
    "members": ("person_id", "name", "committee", "role", "phone", "email", "language"),
    "staff": ("person_id", "name", "role", "scope", "phone", "email", "language"),
    "agencies": ("id", "kind", "place", "dispute_type", "name", "phone", "email", "language"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "county": ("code", "name", "default_policy"),
    "places": ("code", "kind", "name", "parent"),
    "grids": ("code", "village", "name"),
    "committees": ("id", "name", "level", "place"),
    "members": ("person_id", "name", "committee", "role", "phone"),
    "staff": ("person_id", "name", "role", "phone"),
    "agencies": ("id", "kind", "place", "name"),
}

_WORDS = re.compile(r"[\s()（）/]+")


def heading(column: str) -> str:
    """How a template heads a column: `code 代码`."""
    return f"{column} {REGISTRY_COLUMNS_ZH[column]}"


def column_of(sheet: str, text: str) -> str | None:
    """The column a heading names (`code`, `代码`, `code 代码`, `代码(code)`), or None."""
    for word in _WORDS.split(text.strip()):
        for column in COLUMNS[sheet]:
            if word in (column, REGISTRY_COLUMNS_ZH[column]):
                return column
    return None


def sheet_of(title: str) -> str | None:
    """The sheet a workbook's sheet title names (`places`, `乡镇村`, `places 乡镇村`), or None."""
    for word in _WORDS.split(title.strip()):
        for sheet, zh in REGISTRY_SHEETS_ZH.items():
            if word in (sheet, zh):
                return sheet
    return None


Row = dict[str, str]
Sheets = dict[str, list[tuple[int, Row]]]  # sheet → (row number in the file, cells by column)


@dataclass(frozen=True, order=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = (
            self.sheet + (f" row {self.row}" if self.row else "") + (f" {self.column}" if self.column else "")
        )
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Place:
    code: str
    kind: Level
    name: str
    name_en: str
    parent: str | None


@dataclass(frozen=True)
class Committee:
    id: str
    name: str
    name_en: str
    level: Level
    jurisdiction: str
    specialty: str | None


@dataclass(frozen=True)
class Membership:
    committee_id: str
    person_id: str
    name: str
    role: str


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    phone: str | None
    email: str | None
    language: str


@dataclass(frozen=True)
class Agency:
    id: str
    kind: str
    jurisdiction: str
    dispute_type: str | None
    name: str
    phone: str | None
    email: str | None
    language: str


@dataclass(frozen=True)
class County:
    code: str
    name: str
    name_en: str
    default_policy: str


@dataclass
class Registry:
    """One county's registry: what the file says, or what the database holds for that county."""

    county: County
    places: dict[str, Place] = field(default_factory=dict)
    committees: dict[str, Committee] = field(default_factory=dict)
    members: dict[tuple[str, str], Membership] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    staff_roles: set[tuple[str, str, str]] = field(default_factory=set)  # (person, role, scope)
    agencies: dict[str, Agency] = field(default_factory=dict)
