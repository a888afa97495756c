"""What an operator does with the outbox: see what failed and why, retry it, or cancel it.

The CLI (`mediation outbox`) and the service's operator pages call these; each takes the
authenticated operator's id (`by`), which is logged with what they did.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.dispatcher import LOCK_MESSAGE, SETTLE, UNRESOLVED_CHANNEL

log = structlog.get_logger("outbox")


class OutboxError(ValueError):
    """A refused operator action: says what was wrong."""


class DeliveryRow(BaseModel):
    id: int
    case_id: str
    key: str
    kind: str
    recipient: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime


class StatusCount(BaseModel):
    status: str
    channel: str
    count: int


SELECT_ROWS = """
    SELECT d.id, o.case_id, o.key, o.kind, d.recipient, d.channel, d.status, d.attempts, d.last_error,
           d.next_attempt_at, d.created_at
    FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
"""


async def failed(engine: AsyncEngine, limit: int = 200, case_id: str | None = None) -> list[DeliveryRow]:
    """Failed deliveries, oldest first, each with its last error."""
    where = "WHERE d.status = 'failed'" + (" AND o.case_id = :case_id" if case_id else "")
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(f"{SELECT_ROWS} {where} ORDER BY d.id LIMIT :limit"), {"limit": limit, "case_id": case_id}
        )
        return [DeliveryRow.model_validate(dict(r._mapping)) for r in rows]


async def status_counts(engine: AsyncEngine) -> list[StatusCount]:
    """Deliveries per status and channel, and the messages not yet expanded into deliveries."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT status, channel, count(*) AS count FROM deliveries GROUP BY 1, 2"
                    " UNION ALL SELECT 'new', '', count(*) FROM outbox WHERE expanded_at IS NULL"
                    " ORDER BY 1, 2"
                )
            )
        ).all()
    return [StatusCount.model_validate(dict(r._mapping)) for r in rows]


async def retry(engine: AsyncEngine, delivery_ids: list[int], by: str) -> list[DeliveryRow]:
    """Send failed deliveries again now, with a fresh count of attempts. A message that had no one
    in the directory is resolved again (after the directory was mended)."""
    async with engine.begin() as conn:
        rows = await _rows(conn, delivery_ids, allowed=("failed",), action="retried")
        unresolved = [r.id for r in rows if r.channel == UNRESOLVED_CHANNEL]
        if unresolved:
            await conn.execute(
                text(
                    "UPDATE outbox SET expanded_at = NULL WHERE id IN"
                    " (SELECT outbox_id FROM deliveries WHERE id = ANY(:ids))"
                ),
                {"ids": unresolved},
            )
            await conn.execute(text("DELETE FROM deliveries WHERE id = ANY(:ids)"), {"ids": unresolved})
        await conn.execute(
            text(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),"
                " claimed_until = NULL WHERE id = ANY(:ids)"
            ),
            {"ids": [r.id for r in rows if r.channel != UNRESOLVED_CHANNEL]},
        )
    log.info("deliveries retried", ids=delivery_ids, by=by)
    return rows


async def retry_all_failed(engine: AsyncEngine, by: str, channel: str | None = None) -> list[DeliveryRow]:
    """Retry every failed delivery (of one channel): after a provider's outage is over."""
    rows = [r for r in await failed(engine, limit=10_000) if channel is None or r.channel == channel]
    return await retry(engine, [r.id for r in rows], by) if rows else []


async def cancel(engine: AsyncEngine, delivery_ids: list[int], by: str) -> list[DeliveryRow]:
    """Give up failed or waiting deliveries for good; their message counts as settled."""
    async with engine.begin() as conn:
        rows = await _rows(conn, delivery_ids, allowed=("failed", "pending"), action="cancelled")
        outbox_ids = (
            await conn.execute(
                text(
                    "UPDATE deliveries SET status = 'cancelled', claimed_until = NULL WHERE id = ANY(:ids)"
                    " RETURNING outbox_id"
                ),
                {"ids": delivery_ids},
            )
        ).scalars()
        for outbox_id in sorted(set(outbox_ids)):
            await conn.execute(LOCK_MESSAGE, {"outbox_id": outbox_id})
            await conn.execute(SETTLE, {"outbox_id": outbox_id})
    log.info("deliveries cancelled", ids=delivery_ids, by=by)
    return rows


async def _rows(conn: object, ids: list[int], allowed: tuple[str, ...], action: str) -> list[DeliveryRow]:
    if not ids:
        raise OutboxError("name at least one delivery id")
    found = await conn.execute(  # type: ignore[attr-defined]
        text(f"{SELECT_ROWS} WHERE d.id = ANY(:ids) ORDER BY d.id FOR UPDATE OF d"), {"ids": ids}
    )
    rows = [DeliveryRow.model_validate(dict(r._mapping)) for r in found]
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise OutboxError(f"no delivery {', '.join(map(str, missing))}")
    wrong = [r for r in rows if r.status not in allowed]
    if wrong:
        listed = ", ".join(f"{r.id} is {r.status}" for r in wrong)
        raise OutboxError(f"cannot be {action}: {listed}; only {' or '.join(allowed)} deliveries can")
    return rows
