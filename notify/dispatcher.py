"""Delivers the outbox: each message is claimed under a row lock, sent, and marked sent."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from crypto.fields import open_notice
from db.schema import outbox
from notify.senders import OutboxMessage, Sender

log = structlog.get_logger("notify")


async def dispatch_once(engine: AsyncEngine, sender: Sender, batch: int = 100) -> int:
    """Send up to `batch` unsent messages; returns how many were sent.

    Each message is claimed, sent and marked sent in a transaction of its own, so a worker
    killed mid-batch leaves at most the one message it was sending unmarked (sent again, with
    the same key, by the next worker). Rows are locked with SKIP LOCKED, so several workers can
    dispatch side by side without sending a message twice.
    """
    sent = 0
    after = 0  # a message that failed is left for the next round
    async with engine.connect() as conn:
        for _ in range(batch):
            async with conn.begin():
                row = (
                    (
                        await conn.execute(
                            select(outbox)
                            .where(outbox.c.sent_at.is_(None), outbox.c.id > after)
                            .order_by(outbox.c.id)
                            .limit(1)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .mappings()
                    .first()
                )
                if row is None:
                    break
                after = row["id"]
                message = OutboxMessage.model_validate(open_notice(row))
                try:
                    await sender.send(message)
                except Exception as err:
                    await conn.execute(
                        update(outbox)
                        .where(outbox.c.id == row["id"])
                        .values(attempts=outbox.c.attempts + 1, last_error=str(err)[:500])
                    )
                    log.warning(
                        "notification failed", case_id=message.case_id, key=message.key, error=str(err)
                    )
                    continue
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row["id"])
                    .values(sent_at=func.now(), attempts=outbox.c.attempts + 1)
                )
                sent += 1
    return sent


async def run_dispatcher(
    engine: AsyncEngine, sender: Sender, poll_seconds: float, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            while await dispatch_once(engine, sender):
                pass
        except Exception as err:  # the database may be away for a while; keep polling
            log.warning("outbox dispatch failed", error=str(err).splitlines()[0] if str(err) else repr(err))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
