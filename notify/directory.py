"""Who a symbolic recipient is, and how to reach them.

The outbox names recipients by role (`committee:<id>`, `supervisor:<scope>`,
`agency:<kind>:<county>`, `court:<name>`, `party:<P1>`, or one `person:<id>`); `resolve`
turns one into the people and agencies behind it, as references (`person:<id>`,
`agency:<id>`, `party:<case>:<P1>`) that carry no contact details. `contact` reads a
reference's phone, email and language when a delivery is about to go out, so a directory
edit reaches the next attempt, and a party's phone is read only then (through
`party_phone`, the one place it is read).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from crypto.fields import installed
from db.schema import agencies, case_parties, cases, committee_members, people, staff_roles


class Unresolved(ValueError):
    """No one in the directory stands behind a recipient: the message cannot go out as it is."""


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None
    language: str


def kind_of(recipient: str) -> str:
    """`committee`, `supervisor`, `agency`, `court`, `party` (of a symbol or a reference)."""
    return recipient.partition(":")[0]


async def resolve(conn: AsyncConnection, recipient: str, case_id: str) -> list[str]:
    """The references behind a symbolic recipient; Unresolved if there are none."""
    kind, _, rest = recipient.partition(":")
    if kind == "committee":
        found = await _column(
            conn,
            select(committee_members.c.member_id)
            .where(committee_members.c.committee_id == rest)
            .order_by(committee_members.c.member_id),
        )
        refs = [f"person:{m}" for m in found]
    elif kind == "supervisor":
        found = await _column(
            conn,
            select(staff_roles.c.person_id)
            .where(staff_roles.c.role == "supervisor", staff_roles.c.scope == rest)
            .order_by(staff_roles.c.person_id),
        )
        refs = [f"person:{p}" for p in found]
    elif kind == "agency":
        refs = [f"agency:{a}" for a in await _agencies(conn, rest, case_id)]
    elif kind == "court":
        found = await _column(
            conn, select(agencies.c.id).where(agencies.c.kind == "court", agencies.c.name == rest)
        )
        refs = [f"agency:{a}" for a in found]
    elif kind == "person":  # one named person (a login code, a note to a member)
        found = await _column(conn, select(people.c.person_id).where(people.c.person_id == rest))
        refs = [f"person:{p}" for p in found]
    elif kind == "party":
        found = await _column(
            conn,
            select(case_parties.c.party_id).where(
                case_parties.c.case_id == case_id, case_parties.c.party_id == rest
            ),
        )
        refs = [f"party:{case_id}:{p}" for p in found]
    else:
        raise Unresolved(f"unknown kind of recipient {recipient!r}")
    if not refs:
        raise Unresolved(f"no one in the directory for {recipient} (case {case_id})")
    return refs


async def _agencies(conn: AsyncConnection, kind_county: str, case_id: str) -> list[str]:
    """The police station of the case's township (else the county's), or the county department
    responsible for the case's dispute type."""
    kind, _, county = kind_county.partition(":")
    case = (
        await conn.execute(select(cases.c.township, cases.c.dispute_type).where(cases.c.case_id == case_id))
    ).first()
    query = select(agencies.c.id, agencies.c.jurisdiction).where(agencies.c.kind == kind)
    if kind == "responsible_department":
        if case is None:
            return []
        query = query.where(agencies.c.jurisdiction == county, agencies.c.dispute_type == case.dispute_type)
    else:
        places = [county] + ([case.township] if case is not None else [])
        query = query.where(agencies.c.jurisdiction.in_(places))
    rows = (await conn.execute(query.order_by(agencies.c.id))).all()
    township = [r.id for r in rows if case is not None and r.jurisdiction == case.township]
    return township or [r.id for r in rows]


async def contact(conn: AsyncConnection, ref: str) -> Contact | None:
    """How to reach a reference now; None if it has left the directory (or the case)."""
    return (await contacts(conn, [ref]))[ref]


async def contacts(conn: AsyncConnection, refs: Collection[str]) -> dict[str, Contact | None]:
    """`contact` of each reference: the people's in one statement and the agencies' in another
    (a dispatcher's batch); a party's phone one by one, through `party_phone`; unknown kinds None."""
    ids: dict[str, dict[str, str]] = {"person": {}, "agency": {}}
    found: dict[str, Contact | None] = {}
    for ref in refs:
        kind, _, rest = ref.partition(":")
        if kind in ids:
            ids[kind][rest] = ref
        elif kind == "party":
            case_id, _, party_id = rest.rpartition(":")
            phone = await party_phone(conn, case_id, party_id)
            found[ref] = None if phone is None else Contact(phone=phone, email=None, language="zh")
        else:
            found[ref] = None
    for kind, table, key in (("person", people, people.c.person_id), ("agency", agencies, agencies.c.id)):
        if not ids[kind]:
            continue
        rows = await conn.execute(
            select(key.label("id"), table.c.phone, table.c.email, table.c.language).where(
                key.in_(list(ids[kind]))
            )
        )
        reached = {row.id: Contact(phone=row.phone, email=row.email, language=row.language) for row in rows}
        found |= {ref: reached.get(rest) for rest, ref in ids[kind].items()}
    return found


async def party_phone(conn: AsyncConnection, case_id: str, party_id: str) -> str | None:
    """A party's phone from the case's data: the one read of it, at the moment of sending."""
    found = await conn.execute(
        select(case_parties.c.phone).where(
            case_parties.c.case_id == case_id, case_parties.c.party_id == party_id
        )
    )
    phone = found.scalar_one_or_none()
    return None if phone is None else installed().open(phone, "case_parties.phone")


async def _column(conn: AsyncConnection, query: object) -> list[str]:
    return [str(v) for v in (await conn.execute(query)).scalars()]  # type: ignore[call-overload]
