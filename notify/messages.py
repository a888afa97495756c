"""Reading a message of the outbox: the one place its text is read, and opened (sealed at rest)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from crypto.fields import open_facts, open_notice
from db.schema import outbox


class Message(BaseModel):
    id: int
    key: str
    case_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    facts: dict[str, str]
    created_at: datetime


COLUMNS = (
    outbox.c.id,
    outbox.c.key,
    outbox.c.case_id,
    outbox.c.kind,
    outbox.c.recipient,
    outbox.c.created_at,
)


async def read_messages(conn: AsyncConnection, outbox_ids: Collection[int]) -> dict[int, Message]:
    """The messages of `outbox_ids` that are there, by id, in one statement (a dispatcher's batch)."""
    if not outbox_ids:
        return {}
    rows = await conn.execute(
        select(*COLUMNS, outbox.c.subject, outbox.c.body, outbox.c.facts).where(
            outbox.c.id.in_(list(outbox_ids))
        )
    )
    return {row.id: _opened(row) for row in rows}


def _opened(row: Any) -> Message:
    opened = open_notice({"subject": row.subject, "body": row.body})
    return Message(
        id=row.id,
        key=row.key,
        case_id=row.case_id,
        kind=row.kind,
        recipient=row.recipient,
        subject=opened["subject"],
        body=opened["body"],
        facts=open_facts(row.facts or {}),
        created_at=row.created_at,
    )
