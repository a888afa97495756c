"""The audit trail: every request that changes something, accepted or refused, with who and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import audit_log
from models.audit import ACCEPTED, REFUSED, UNANSWERED

__all__ = ["ACCEPTED", "REFUSED", "UNANSWERED", "AuditEntry", "record", "trail"]


class AuditEntry(BaseModel):
    at: datetime
    person_id: str | None
    role: str | None
    case_id: str | None
    action: str
    idempotency_key: str | None
    result: str
    reason: str | None
    client: str | None
    details: dict[str, Any] | None = None


async def record(
    engine: AsyncEngine,
    *,
    person_id: str | None,
    role: str | None,
    action: str,
    result: str,
    client: str | None,
    case_id: str | None = None,
    key: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    row = {
        "person_id": person_id,
        "role": role,
        "case_id": case_id,
        "action": action,
        "idempotency_key": key,
        "result": result,
        "reason": reason[:2000] if reason else None,
        "client": client,
        "details": details,
    }
    async with engine.connect() as conn:  # one statement: its own transaction (door.py's engine autocommits)
        await conn.execute(INSERT, row)
        await conn.commit()


INSERT = audit_log.insert()  # the values come as parameters: one compiled statement for every row


async def trail(engine: AsyncEngine, case_id: str, limit: int = 500) -> list[AuditEntry]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(audit_log).where(audit_log.c.case_id == case_id).order_by(audit_log.c.id).limit(limit)
        )
        return [AuditEntry.model_validate(dict(r)) for r in rows.mappings()]
