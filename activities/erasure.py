"""Erasing party data from PostgreSQL: past retention (the daily sweep) or at a person's request.

One case is erased in one transaction (`erase_case`): its parties are deleted, the free text that
can name them is removed (stage reasons, agreement terms, event notes and reasons, notification
texts; notifications not yet sent are dropped), its intake fingerprint replaced, and the case is
marked erased. What the statistics need stays: the case row, its stages and outcomes, levels,
committees and dates. Erasing twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from db.schema import cases, erasure_requests
from models.retention import EVENT_TEXT_KEYS, ErasureJob, ErasureResult, closed_before

DROP_TEXT = " ".join(f"- '{k}'" for k in EVENT_TEXT_KEYS)
ERASE_CASE = [
    "DELETE FROM case_parties WHERE case_id = :c",
    "UPDATE stages SET reason = NULL, agreement = CASE WHEN jsonb_typeof(agreement) = 'object'"
    " THEN agreement - 'terms' ELSE agreement END WHERE case_id = :c",
    f"UPDATE case_events SET data = data {DROP_TEXT} WHERE case_id = :c",
    "DELETE FROM outbox WHERE case_id = :c AND sent_at IS NULL",
    "UPDATE outbox SET subject = '', body = '' WHERE case_id = :c",
    "UPDATE case_numbers SET intake_key = 'erased:' || case_id WHERE case_id = :c",
    "UPDATE cases SET erased_at = :now, erasure = :why WHERE case_id = :c AND erased_at IS NULL",
]


async def erase_case(conn: AsyncConnection, case_id: str, why: str, now: datetime) -> None:
    """Erase one case's party data (in the caller's transaction)."""
    for sql in ERASE_CASE:
        await conn.execute(text(sql), {"c": case_id, "why": why, "now": now})


async def closed_cases(conn: AsyncConnection, case_ids: list[str]) -> list[str]:
    """Those of `case_ids` that are closed (an open case's data is still needed to mediate it)."""
    if not case_ids:
        return []
    found = await conn.execute(
        select(cases.c.case_id).where(cases.c.case_id.in_(case_ids), cases.c.closed_at.is_not(None))
    )
    return sorted(found.scalars())


class ErasureActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="erase_party_data")
    async def erase_party_data(self, job: ErasureJob) -> ErasureResult:
        """Erase every case closed longer ago than the retention term, and finish requests whose
        cases have closed since."""
        due = select(cases.c.case_id).where(
            cases.c.closed_at < closed_before(job), cases.c.erased_at.is_(None)
        )
        async with self._engine.connect() as conn:
            case_ids = sorted((await conn.execute(due.order_by(cases.c.case_id))).scalars())
        for case_id in case_ids:  # a transaction a case: a retried activity redoes only what is left
            async with self._engine.begin() as conn:
                await erase_case(conn, case_id, "retention", job.now)
        done = await self._finish_requests(job.now)
        activity.logger.info("party data erased", extra={"cases": len(case_ids), "requests": len(done)})
        return ErasureResult(erased=case_ids, requests_done=done)

    async def _finish_requests(self, now: datetime) -> list[int]:
        done: list[int] = []
        async with self._engine.connect() as conn:
            waiting = (
                await conn.execute(
                    select(
                        erasure_requests.c.id, erasure_requests.c.erased, erasure_requests.c.pending
                    ).where(erasure_requests.c.done_at.is_(None))
                )
            ).all()
        for request_id, erased, pending in waiting:
            async with self._engine.begin() as conn:
                closed = await closed_cases(conn, list(pending))
                for case_id in closed:
                    await erase_case(conn, case_id, f"request:{request_id}", now)
                still = sorted(set(pending) - set(closed))
                await conn.execute(
                    erasure_requests.update()
                    .where(erasure_requests.c.id == request_id)
                    .values(
                        pending=still,
                        erased=sorted({*erased, *closed}),
                        done_at=None if still else now,
                    )
                )
            if not still:
                done.append(request_id)
        return done
