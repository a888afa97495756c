"""Registry files on disk: a folder of CSV files or an XLSX workbook, one sheet each.

Reads them into the sheets that models.registry_import checks, writes a registry back out in the
same format (the templates, an export of what a database holds), and turns the demo county's
JSON into sheets so it is checked by the same rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from models.registry_data import COLUMNS, Registry, Row, Sheets, column_of, heading, sheet_of
from policies import available, load_policy


class RegistryFileError(ValueError):
    """A file that cannot be read as a registry at all (not a folder of CSVs, not an .xlsx)."""


def routed_specialties() -> dict[str, set[str]]:
    """Each shipped policy's name and the specialties it routes dispute types to."""
    return {name: {rule.specialty for rule in load_policy(name).routing} for name in available()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code or phone typed as a number
    return str(value).strip()


def read_sheets(path: Path) -> Sheets:
    """The rows of each sheet, numbered as the clerk sees them (the header is row 1)."""
    if path.is_dir():
        sheets: Sheets = {}
        for name in COLUMNS:
            file = path / f"{name}.csv"
            if file.is_file():
                sheets[name] = _numbered(name, list(csv.reader(io.StringIO(_text(file), newline=""))))
        return sheets
    if path.suffix.lower() == ".xlsx" and path.is_file():
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as err:
            raise RegistryFileError(f"{path} is not a readable .xlsx workbook: {err}") from err
        try:
            titles = {sheet_of(title): title for title in reversed(book.sheetnames)}
            return {
                name: _numbered(
                    name, [[_cell(v) for v in row] for row in book[titles[name]].iter_rows(values_only=True)]
                )
                for name in COLUMNS
                if name in titles
            }
        finally:
            book.close()
    raise RegistryFileError(
        f"{path}: give a folder of CSV files (county.csv, places.csv, …) or an .xlsx file"
    )


def _text(file: Path) -> str:
    """A CSV file's text: UTF-8 (with or without the BOM Excel writes), or GB 18030 (GBK), which
    Excel on a Chinese Windows saves by default."""
    data = file.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as err:
            raise RegistryFileError(f"{file} is neither UTF-8 nor GBK text") from err


def _numbered(sheet: str, rows: list[list[str]]) -> list[tuple[int, Row]]:
    if not rows:
        return []
    header = [column_of(sheet, h) or h.strip() for h in rows[0]]
    return [
        (number, {h: cell for h, cell in zip(header, row, strict=False) if h})
        for number, row in enumerate(rows[1:], start=2)
    ]


def digest(path: Path) -> str:
    """A fingerprint of the file (or of every CSV in the folder), recorded with each load."""
    h = hashlib.sha256()
    files = [path / f"{n}.csv" for n in COLUMNS] if path.is_dir() else [path]
    for file in files:
        if file.is_file():
            h.update(file.name.encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def write_sheets(rows: dict[str, list[Row]], path: Path) -> Path:
    """Write the sheets as a folder of CSV files, or as a workbook when `path` ends in .xlsx."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for name, columns in COLUMNS.items():
            sheet = book.create_sheet(name)
            sheet.append([heading(c) for c in columns])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in rows.get(name, []):
                sheet.append([row.get(c, "") for c in columns])
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, columns in COLUMNS.items():
        with (path / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow([heading(c) for c in columns])
            writer.writerows([row.get(c, "") for c in columns] for row in rows.get(name, []))
    return path


def to_rows(registry: Registry) -> dict[str, list[Row]]:
    """A registry as the sheets a clerk would fill in."""

    def contact(pid: str) -> Row:
        p = registry.people[pid]
        return {"phone": p.phone or "", "email": p.email or "", "language": p.language}

    county = registry.county
    places = sorted(registry.places.values(), key=lambda p: p.code)
    return {
        "county": [
            {"code": county.code, "name": county.name, "name_en": county.name_en}
            | {"default_policy": county.default_policy}
        ],
        "places": [
            {
                "code": p.code,
                "kind": p.kind.value,
                "name": p.name,
                "name_en": p.name_en,
                "parent": p.parent or "",
            }
            for p in places
            if p.kind.value in ("township", "village")
        ],
        "grids": [
            {"code": p.code, "village": p.parent or "", "name": p.name, "name_en": p.name_en}
            for p in places
            if p.kind.value == "grid"
        ],
        "committees": [
            {"id": c.id, "name": c.name, "name_en": c.name_en, "level": c.level.value}
            | {"place": c.jurisdiction, "specialty": c.specialty or ""}
            for c in registry.committees.values()
        ],
        "members": [
            {"person_id": m.person_id, "name": m.name, "committee": m.committee_id, "role": m.role}
            | contact(m.person_id)
            for m in registry.members.values()
        ],
        "staff": [
            {"person_id": pid, "name": registry.people[pid].name, "role": role, "scope": scope} | contact(pid)
            for pid, role, scope in sorted(registry.staff_roles)
        ],
        "agencies": [
            {"id": a.id, "kind": a.kind, "place": a.jurisdiction, "dispute_type": a.dispute_type or ""}
            | {"name": a.name, "phone": a.phone or "", "email": a.email or "", "language": a.language}
            for a in registry.agencies.values()
        ],
    }


def json_sheets(path: Path) -> Sheets:
    """The demo county's JSON (registry/demo_county.json) as sheets, to be checked like any file."""
    rows = json_rows(json.loads(path.read_text(encoding="utf-8")))
    return {name: list(enumerate(sheet, start=2)) for name, sheet in rows.items()}


def json_rows(data: dict[str, Any], default_policy: str = "gaotai-4x7") -> dict[str, list[Row]]:
    """A registry in the JSON shape of registry/demo_county.json (committees holding their
    members, staff holding their roles) as the rows of the sheets."""
    county = data["county"]
    text = lambda v: "" if v is None else str(v)  # noqa: E731
    rows: dict[str, list[Row]] = {
        "county": [
            {"code": county["code"], "name": county["name"], "name_en": county.get("name_en", "")}
            | {"default_policy": county.get("default_policy", default_policy)}
        ],
        "places": [],
        "grids": [],
        "committees": [],
        "members": [],
        "staff": [],
        "agencies": [],
    }
    for p in data["places"]:
        if p["kind"] == "grid":
            rows["grids"].append({"code": p["code"], "village": p["parent"], "name": p["name"]})
            rows["grids"][-1]["name_en"] = p.get("name_en", "")
        elif p["kind"] != "county":
            rows["places"].append({k: text(p.get(k)) for k in ("code", "kind", "name", "name_en", "parent")})
    contact = ("phone", "email", "language")
    for c in data["committees"]:
        rows["committees"].append(
            {k: text(c.get(k)) for k in ("id", "name", "name_en", "level", "specialty")}
            | {"place": c["jurisdiction"]}
        )
        for m in c["members"]:
            rows["members"].append(
                {"person_id": m["id"], "name": m["name"], "committee": c["id"], "role": m["role"]}
                | {k: text(m.get(k)) for k in contact}
            )
    for s in data.get("staff", []):
        for r in s["roles"]:
            rows["staff"].append(
                {"person_id": s["id"], "name": s["name"], "role": r["role"], "scope": r["scope"]}
                | {k: text(s.get(k)) for k in contact}
            )
    for a in data.get("agencies", []):
        rows["agencies"].append(
            {k: text(a.get(k)) for k in ("id", "kind", "dispute_type", "name", *contact)}
            | {"place": a["jurisdiction"]}
        )
    return rows
