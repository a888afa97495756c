"""The demo county's directory: every person reachable, supervisors scoped, agencies per place."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import agencies, committee_members, people, places, staff_roles
from db.seed import load_registry


async def test_every_member_and_staff_member_has_contact_details(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        members = (
            await conn.execute(select(func.count(func.distinct(committee_members.c.member_id))))
        ).scalar()
        missing = (
            await conn.execute(
                select(func.count())
                .select_from(people)
                .where((people.c.phone.is_(None)) | (people.c.email.is_(None)))
            )
        ).scalar()
        unknown = (
            await conn.execute(
                select(func.count())
                .select_from(committee_members)
                .outerjoin(people, people.c.person_id == committee_members.c.member_id)
                .where(people.c.person_id.is_(None))
            )
        ).scalar()
        total = (await conn.execute(select(func.count()).select_from(people))).scalar()
    assert missing == 0 and unknown == 0
    assert total is not None and members is not None
    assert total == members + 9  # 324 members and 9 staff


async def test_a_supervisor_per_scope_a_police_station_per_township(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        townships = set(
            (await conn.execute(select(places.c.code).where(places.c.kind == "township"))).scalars()
        )
        scopes = set(
            (
                await conn.execute(select(staff_roles.c.scope).where(staff_roles.c.role == "supervisor"))
            ).scalars()
        )
        police = set(
            (await conn.execute(select(agencies.c.jurisdiction).where(agencies.c.kind == "police"))).scalars()
        )
        liaisons = (
            (await conn.execute(select(staff_roles.c.scope).where(staff_roles.c.role == "court_liaison")))
            .scalars()
            .all()
        )
    assert scopes == townships | {"431199"}
    assert police == townships | {"431199"}
    assert liaisons == ["零陵示范县人民法院"]


async def test_a_reload_changes_nothing(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        before = [
            (await conn.execute(select(func.count()).select_from(t))).scalar()
            for t in (people, staff_roles, agencies, committee_members)
        ]
    counts = await load_registry(engine)
    async with engine.connect() as conn:
        after = [
            (await conn.execute(select(func.count()).select_from(t))).scalar()
            for t in (people, staff_roles, agencies, committee_members)
        ]
    assert before == after == [counts["people"], counts["staff_roles"], counts["agencies"], counts["members"]]
