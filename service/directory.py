"""Managing the registry's people, staff roles and committee membership through the service.

Operators only; every change is written to the audit trail with who made it. The registry file
loader (db/seed.py) stays for bulk import."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.schema import committee_members, committees, people, staff_roles
from models.authority import Principal, StaffRole, must_operate
from models.enums import ActorRole
from service import audit
from service.identity import set_password, unlock

PERSON_ID = r"^[A-Za-z0-9_.:-]{1,40}$"
MEMBER_ROLES = (ActorRole.GRID_WORKER, ActorRole.MEDIATOR, ActorRole.CHAIR)


class NotFound(LookupError):
    pass


class PersonIn(BaseModel):
    person_id: str = Field(pattern=PERSON_ID)
    name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^1[3-9][0-9]{9}$")
    email: str | None = Field(default=None, max_length=120)
    language: str = Field(default="zh", pattern=r"^[a-z]{2}$")


class MemberIn(BaseModel):
    member_id: str = Field(pattern=PERSON_ID)
    role: ActorRole


class StaffIn(BaseModel):
    role: StaffRole
    scope: str = Field(default="", max_length=80)


class PasswordIn(BaseModel):
    password: str = Field(min_length=10, max_length=200)


class Directory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _change(self, p: Principal, action: str, client: str | None, details: dict[str, Any]) -> None:
        await audit.record(
            self.engine,
            person_id=p.person_id,
            role=StaffRole.OPERATOR.value,
            action=action,
            result=audit.ACCEPTED,
            client=client,
            details=details,
        )

    async def _refused(self, p: Principal, action: str, client: str | None, reason: str) -> None:
        await audit.record(
            self.engine,
            person_id=p.person_id,
            role=None,
            action=action,
            result=audit.REFUSED,
            client=client,
            reason=reason,
        )

    async def guard(self, p: Principal, action: str, client: str | None) -> None:
        try:
            must_operate(p)
        except PermissionError as err:
            await self._refused(p, action, client, str(err))
            raise

    async def put_person(self, p: Principal, person: PersonIn, client: str | None) -> None:
        await self.guard(p, "put_person", client)
        values = person.model_dump()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(people)
                .values(values)
                .on_conflict_do_update(index_elements=[people.c.person_id], set_=values)
            )
        await self._change(p, "put_person", client, {"person_id": person.person_id})

    async def add_member(self, p: Principal, committee_id: str, member: MemberIn, client: str | None) -> None:
        await self.guard(p, "add_member", client)
        if member.role not in MEMBER_ROLES:
            raise ValueError(f"a committee member is a {', '.join(MEMBER_ROLES)}; not {member.role.value}")
        async with self.engine.begin() as conn:
            await _exists(conn, committees.c.id, committee_id, "committee")
            name = await _exists(conn, people.c.person_id, member.member_id, "person", people.c.name)
            row = {
                "committee_id": committee_id,
                "member_id": member.member_id,
                "name": name,
                "role": member.role.value,
            }
            await conn.execute(
                insert(committee_members)
                .values(row)
                .on_conflict_do_update(
                    index_elements=[committee_members.c.committee_id, committee_members.c.member_id],
                    set_={"role": member.role.value},
                )
            )
        await self._change(p, "add_member", client, row)

    async def remove_member(
        self, p: Principal, committee_id: str, member_id: str, client: str | None
    ) -> None:
        await self.guard(p, "remove_member", client)
        async with self.engine.begin() as conn:
            gone = await conn.execute(
                delete(committee_members).where(
                    committee_members.c.committee_id == committee_id,
                    committee_members.c.member_id == member_id,
                )
            )
        if gone.rowcount == 0:
            raise NotFound(f"{member_id} is not a member of {committee_id}")
        await self._change(p, "remove_member", client, {"committee_id": committee_id, "member_id": member_id})

    async def add_staff(self, p: Principal, person_id: str, staff: StaffIn, client: str | None) -> None:
        await self.guard(p, "add_staff_role", client)
        row = {"person_id": person_id, "role": staff.role.value, "scope": staff.scope}
        async with self.engine.begin() as conn:
            await _exists(conn, people.c.person_id, person_id, "person")
            await conn.execute(insert(staff_roles).values(row).on_conflict_do_nothing())
        await self._change(p, "add_staff_role", client, row)

    async def remove_staff(self, p: Principal, person_id: str, staff: StaffIn, client: str | None) -> None:
        await self.guard(p, "remove_staff_role", client)
        row = {"person_id": person_id, "role": staff.role.value, "scope": staff.scope}
        async with self.engine.begin() as conn:
            gone = await conn.execute(
                delete(staff_roles).where(
                    staff_roles.c.person_id == person_id,
                    staff_roles.c.role == staff.role.value,
                    staff_roles.c.scope == staff.scope,
                )
            )
        if gone.rowcount == 0:
            raise NotFound(f"{person_id} has no role {staff.role.value} {staff.scope}".strip())
        await self._change(p, "remove_staff_role", client, row)

    async def set_password(self, p: Principal, person_id: str, body: PasswordIn, client: str | None) -> None:
        await self.guard(p, "set_password", client)
        async with self.engine.begin() as conn:
            await _exists(conn, people.c.person_id, person_id, "person")
            await set_password(conn, person_id, body.password)
        await self._change(p, "set_password", client, {"person_id": person_id})

    async def unlock(self, p: Principal, person_id: str, client: str | None) -> None:
        await self.guard(p, "unlock", client)
        async with self.engine.begin() as conn:
            await unlock(conn, person_id)
        await self._change(p, "unlock", client, {"person_id": person_id})


async def _exists(conn: AsyncConnection, key: Any, value: str, what: str, column: Any = None) -> Any:
    found = (await conn.execute(select(column if column is not None else key).where(key == value))).first()
    if found is None:
        raise NotFound(f"unknown {what} {value}")
    return found[0]
