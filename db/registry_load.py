"""A county's registry in PostgreSQL: read what is there, diff a file against it, load it.

The rules (what a file must hold, what a change is, which removals strand a case) are in
models.registry_import and models.registry_diff; this module only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.schema import (
    agencies,
    cases,
    committee_members,
    committees,
    counties,
    people,
    places,
    registry_loads,
    staff_roles,
    stages,
)
from models.enums import CaseStatus, Level
from models.registry_data import Agency, Committee, County, Membership, Person, Place, Registry
from models.registry_diff import Change, OpenCase, RegistryDiff, diff_registry

CHUNK = 1000  # rows a statement (asyncpg takes at most 32767 parameters)


class RegistryRefused(ValueError):
    """A load that would strand open cases: nothing was written."""

    def __init__(self, blockers: list[str]) -> None:
        super().__init__("refused, nothing written: " + "; ".join(blockers))
        self.blockers = blockers


async def current_registry(conn: AsyncConnection, county: str, new: Registry) -> Registry:
    """What the database holds for `county`, shaped like `new` (its people: those `new` names and
    those the county's committees and staff hold; its operators: those `new` names and those
    the county's last load named)."""
    under = county + "%"
    row = (await conn.execute(select(counties).where(counties.c.code == county))).mappings().first()
    reg = Registry(
        county=County(row["code"], row["name"], row["name_en"], row["default_policy"])
        if row
        else County("", "", "", "")
    )
    for p in (await conn.execute(select(places).where(places.c.code.like(under)))).mappings():
        reg.places[p["code"]] = Place(p["code"], Level(p["kind"]), p["name"], p["name_en"], p["parent"])
    for c in (await conn.execute(select(committees).where(committees.c.jurisdiction.like(under)))).mappings():
        reg.committees[c["id"]] = Committee(
            c["id"], c["name"], c["name_en"], Level(c["level"]), c["jurisdiction"], c["specialty"]
        )
    query = select(committee_members).where(committee_members.c.committee_id.in_(list(reg.committees)))
    for m in (await conn.execute(query)).mappings():
        key = (m["committee_id"], m["member_id"])
        reg.members[key] = Membership(m["committee_id"], m["member_id"], m["name"], m["role"])
    for a in (await conn.execute(select(agencies).where(agencies.c.jurisdiction.like(under)))).mappings():
        reg.agencies[a["id"]] = Agency(
            a["id"],
            a["kind"],
            a["jurisdiction"],
            a["dispute_type"],
            a["name"],
            a["phone"],
            a["email"],
            a["language"],
        )
    courts = {a.name for a in [*reg.agencies.values(), *new.agencies.values()] if a.kind == "court"}
    last = select(registry_loads.c.operators).where(registry_loads.c.county == county)
    loaded = (await conn.execute(last.order_by(registry_loads.c.id.desc()).limit(1))).scalar_one_or_none()
    operators = {pid for pid, role, _ in new.staff_roles if role == "operator"} | set(loaded or [])
    query = select(staff_roles).where(
        or_(
            and_(staff_roles.c.role == "supervisor", staff_roles.c.scope.like(under)),
            and_(staff_roles.c.role == "court_liaison", staff_roles.c.scope.in_(courts)),
            and_(staff_roles.c.role == "operator", staff_roles.c.person_id.in_(operators)),
        )
    )
    reg.staff_roles = {
        (r["person_id"], r["role"], r["scope"]) for r in (await conn.execute(query)).mappings()
    }
    ids = {pid for _, pid in reg.members} | {pid for pid, _, _ in reg.staff_roles} | set(new.people)
    for p in (await conn.execute(select(people).where(people.c.person_id.in_(ids)))).mappings():
        reg.people[p["person_id"]] = Person(p["person_id"], p["name"], p["phone"], p["email"], p["language"])
    return reg


async def open_cases(conn: AsyncConnection, county: str) -> list[OpenCase]:
    """The county's open cases, with the mediators of each one's current stage."""
    query = (
        select(cases, stages.c.mediators)
        .outerjoin(stages, and_(stages.c.case_id == cases.c.case_id, stages.c.stage_no == cases.c.stage_no))
        .where(cases.c.county == county, cases.c.status != CaseStatus.CLOSED.value)
        .order_by(cases.c.case_id)
    )
    return [
        OpenCase(
            case_id=r["case_id"],
            committee_id=r["committee_id"],
            places=(r["county"], r["township"], r["village"], r["grid"]),
            mediators=tuple(r["mediators"] or ()),
        )
        for r in (await conn.execute(query)).mappings()
    ]


async def plan(engine: AsyncEngine, new: Registry) -> RegistryDiff:
    """What loading `new` would change now (nothing is written)."""
    async with engine.connect() as conn:
        return await _plan(conn, new)


async def _plan(conn: AsyncConnection, new: Registry) -> RegistryDiff:
    current = await current_registry(conn, new.county.code, new)
    elsewhere: dict[str, str] = {}  # ids the file adds that another county's rows hold
    for table, ids in ((committees, list(new.committees)), (agencies, list(new.agencies))):
        query = select(table.c.id, table.c.jurisdiction).where(
            table.c.id.in_(ids), table.c.jurisdiction.not_like(new.county.code + "%")
        )
        elsewhere |= {r.id: r.jurisdiction for r in await conn.execute(query)}
    return diff_registry(current, new, await open_cases(conn, new.county.code), elsewhere)


async def load(
    engine: AsyncEngine, new: Registry, *, loaded_by: str, source: str, digest: str
) -> RegistryDiff:
    """Apply `new` in one transaction and record the load; RegistryRefused (nothing written) if a
    removal would strand an open case. Loads of one county run one at a time; loading the same
    file again changes nothing and records nothing."""
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"registry:{new.county.code}"}
        )
        diff = await _plan(conn, new)
        if diff.blockers:
            raise RegistryRefused(diff.blockers)
        last = await conn.execute(
            select(registry_loads.c.digest)
            .where(registry_loads.c.county == new.county.code)
            .order_by(registry_loads.c.id.desc())
            .limit(1)
        )
        if diff.empty and last.scalar_one_or_none() == digest:
            return diff
        await _apply(conn, diff)
        await conn.execute(
            insert(registry_loads).values(
                county=new.county.code,
                loaded_by=loaded_by,
                source=source,
                digest=digest,
                changes=diff.counts(),
                operators=sorted(pid for pid, role, _ in new.staff_roles if role == "operator"),
            )
        )
    return diff


def _keys(diff: RegistryDiff, kind: str, verbs: Iterable[str]) -> list[str]:
    return [c.key for c in diff.of(kind) if c.verb in verbs]


def _rows(changes: Sequence[Change], rename: dict[str, str] | None = None) -> list[dict[str, Any]]:
    rename = rename or {}
    return [{rename.get(k, k): v for k, v in (c.after or {}).items()} for c in changes if c.after is not None]


async def _apply(conn: AsyncConnection, diff: RegistryDiff) -> None:
    upserts = ("add", "change")
    await _upsert(conn, counties, _rows([c for c in diff.of("county") if c.verb in upserts]), ["code"])
    place_rows = sorted(
        _rows([c for c in diff.of("places") if c.verb in upserts]), key=lambda r: len(r["code"])
    )
    await _upsert(conn, places, place_rows, ["code"])
    committee_rows = _rows([c for c in diff.of("committees") if c.verb in upserts])
    await _upsert(conn, committees, committee_rows, ["id"])
    await _upsert(conn, people, _rows([c for c in diff.of("people") if c.verb in upserts]), ["person_id"])
    gone = [tuple(k.split("/", 1)) for k in _keys(diff, "members", ["remove"])]
    for chunk in _chunks(gone):
        pair = tuple_(committee_members.c.committee_id, committee_members.c.member_id)
        await conn.execute(delete(committee_members).where(pair.in_(chunk)))
    members = _rows([c for c in diff.of("members") if c.verb in upserts], {"person_id": "member_id"})
    await _upsert(conn, committee_members, members, ["committee_id", "member_id"])
    for chunk in _chunks([tuple(k.split("/", 2)) for k in _keys(diff, "staff_roles", ["remove"])]):
        triple = tuple_(staff_roles.c.person_id, staff_roles.c.role, staff_roles.c.scope)
        await conn.execute(delete(staff_roles).where(triple.in_(chunk)))
    await _upsert(conn, staff_roles, _rows(diff.of("staff_roles", "add")), ["person_id", "role", "scope"])
    await _upsert(conn, agencies, _rows([c for c in diff.of("agencies") if c.verb in upserts]), ["id"])
    await conn.execute(delete(agencies).where(agencies.c.id.in_(_keys(diff, "agencies", ["remove"]))))
    await conn.execute(delete(committees).where(committees.c.id.in_(_keys(diff, "committees", ["remove"]))))
    for code in sorted(_keys(diff, "places", ["remove"]), key=len, reverse=True):  # children first
        await conn.execute(delete(places).where(places.c.code == code))


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


async def _upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: list[str]) -> None:
    for chunk in _chunks(rows):
        stmt = insert(table).values(list(chunk))
        update = {c: stmt.excluded[c] for c in chunk[0] if c not in key}
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=key, set_=update)
            if update
            else stmt.on_conflict_do_nothing()
        )


async def county_default_policy(conn: AsyncConnection, county: str) -> str | None:
    query = select(counties.c.default_policy).where(counties.c.code == county)
    return (await conn.execute(query)).scalar_one_or_none()


async def load_history(conn: AsyncConnection, county: str) -> list[dict[str, Any]]:
    query = select(registry_loads).where(registry_loads.c.county == county).order_by(registry_loads.c.id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]
