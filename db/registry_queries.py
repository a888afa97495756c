"""Registry queries: the committees (with their members) by id or jurisdiction, and the route of a
place through them. The intake and the activities both ask here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.schema import committee_members, committees
from models.case import Committee, Member, Place, Route
from models.registry import build_route, place_codes


async def load_committees(
    conn: AsyncConnection, *, ids: list[str] | None = None, jurisdictions: list[str] | None = None
) -> list[Committee]:
    query = select(committees)
    if ids is not None:
        query = query.where(committees.c.id.in_(ids))
    if jurisdictions is not None:
        query = query.where(committees.c.jurisdiction.in_(jurisdictions))
    rows = (await conn.execute(query)).mappings().all()
    if not rows:
        return []
    member_rows = (
        (
            await conn.execute(
                select(committee_members)
                .where(committee_members.c.committee_id.in_([r["id"] for r in rows]))
                .order_by(committee_members.c.committee_id, committee_members.c.member_id)
            )
        )
        .mappings()
        .all()
    )
    members: dict[str, list[Member]] = {}
    for m in member_rows:
        members.setdefault(m["committee_id"], []).append(
            Member(id=m["member_id"], name=m["name"], role=m["role"])
        )
    return [
        Committee(
            id=r["id"],
            name=r["name"],
            name_en=r["name_en"],
            level=r["level"],
            jurisdiction=r["jurisdiction"],
            specialty=r["specialty"],
            members=members.get(r["id"], []),
        )
        for r in rows
    ]


async def route_for(conn: AsyncConnection, place: Place) -> Route:
    return build_route(place, await load_committees(conn, jurisdictions=list(place_codes(place).values())))
