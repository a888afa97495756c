"""Load a registry file (jurisdiction tree, committees, directory) into PostgreSQL, idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.registry_files import digest, json_sheets, read_sheets, routed_specialties
from db.registry_load import load
from db.schema import agencies, committee_members, committees, people, places, staff_roles
from models import registry_import
from models.registry_data import Registry, Sheets

DEMO_COUNTY = Path(__file__).resolve().parents[1] / "registry" / "demo_county.json"
TEMPLATE_COUNTY = DEMO_COUNTY.with_name("template")  # the CSV template: a small second county
CONTACT = ("phone", "email", "language")


def read_registry(path: Path = DEMO_COUNTY) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def person_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per person: committee members and staff, with their contact details."""
    found: dict[str, dict[str, Any]] = {}
    members = [m for c in data["committees"] for m in c["members"]]
    for person in [*members, *data.get("staff", [])]:
        found.setdefault(
            person["id"],
            {"person_id": person["id"], "name": person["name"]}
            | {k: person.get(k) for k in CONTACT}
            | {"language": person.get("language") or "zh"},
        )
    return list(found.values())


async def upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: list[str]) -> None:
    if not rows:
        return
    stmt = insert(table).values(rows)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=key, set_={c: stmt.excluded[c] for c in rows[0] if c not in key}
        )
    )


async def load_registry(engine: AsyncEngine, path: Path = DEMO_COUNTY) -> dict[str, int]:
    """Upsert places, committees, people and agencies; members and staff roles no longer listed
    for the file's committees and people are removed."""
    data = read_registry(path)
    place_rows = [{k: p[k] for k in ("code", "kind", "name", "name_en", "parent")} for p in data["places"]]
    committee_rows = [
        {k: c[k] for k in ("id", "name", "name_en", "level", "jurisdiction", "specialty")}
        for c in data["committees"]
    ]
    member_rows = [
        {"committee_id": c["id"], "member_id": m["id"], "name": m["name"], "role": m["role"]}
        for c in data["committees"]
        for m in c["members"]
    ]
    staff = data.get("staff", [])
    role_rows = [
        {"person_id": s["id"], "role": r["role"], "scope": r["scope"]} for s in staff for r in s["roles"]
    ]
    agency_rows = [
        {k: a.get(k) for k in ("id", "kind", "jurisdiction", "dispute_type", "name", *CONTACT)}
        | {"language": a.get("language") or "zh"}
        for a in data.get("agencies", [])
    ]
    persons = person_rows(data)
    async with engine.begin() as conn:
        await upsert(conn, places, place_rows, ["code"])
        await upsert(conn, committees, committee_rows, ["id"])
        await upsert(conn, people, persons, ["person_id"])
        ids = [c["id"] for c in committee_rows]
        await conn.execute(committee_members.delete().where(committee_members.c.committee_id.in_(ids)))
        await conn.execute(insert(committee_members).values(member_rows))
        staff_ids = [s["id"] for s in staff]
        if staff_ids:
            await conn.execute(staff_roles.delete().where(staff_roles.c.person_id.in_(staff_ids)))
        if role_rows:
            await conn.execute(insert(staff_roles).values(role_rows))
        await upsert(conn, agencies, agency_rows, ["id"])
    return {
        "places": len(place_rows),
        "committees": len(committee_rows),
        "members": len(member_rows),
        "people": len(persons),
        "staff_roles": len(role_rows),
        "agencies": len(agency_rows),
    }


async def load_county(
    engine: AsyncEngine, path: Path, loaded_by: str, sheets: Sheets | None = None
) -> Registry:
    """Check a county's registry file (or `sheets` read from it) and load it; ValueError listing
    every problem if it has any (nothing written)."""
    registry, problems = registry_import.read_registry(
        read_sheets(path) if sheets is None else sheets, routed_specialties()
    )
    if problems:
        raise ValueError(f"{path}: " + "; ".join(map(str, problems)))
    await load(engine, registry, loaded_by=loaded_by, source=str(path), digest=digest(path))
    return registry


async def load_demo_counties(engine: AsyncEngine, loaded_by: str) -> list[str]:
    """The demo county and the template county (梅溪示范县), checked and loaded like any county's
    files; a problem in either is a bug in the shipped data."""
    loaded = []
    for path, sheets in ((DEMO_COUNTY, json_sheets(DEMO_COUNTY)), (TEMPLATE_COUNTY, None)):
        county = (await load_county(engine, path, loaded_by, sheets)).county
        loaded.append(f"{county.code} {county.name} ({county.default_policy})")
    return loaded
