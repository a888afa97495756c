"""Recording a transition: stage rows, the case projection and the outbox, in one transaction.

Every write is idempotent: rows are keyed (case and stage number; notification
key) and a write never replaces a newer version, so a retried activity leaves
exactly the rows one successful attempt would.

The statements are built once: each call only binds its rows (building them per call was a
sixth of the worker's CPU).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, literal_column
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.inputs import TransitionInput
from activities.registry import load_committees
from db.schema import case_events, case_parties, cases, outbox, stages
from models.case import Committee


def _newer_wins(table: Table, keys: tuple[str, ...]) -> Insert:
    """Insert, or update every other column when the row's version is older than this one."""
    upsert = insert(table)
    return upsert.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c.name: upsert.excluded[c.name] for c in table.c if c.name not in keys},
        where=table.c.version < upsert.excluded.version,
    )


UPSERT_CASE = _newer_wins(cases, ("case_id",)).values(updated_at=func.now())
UPSERT_STAGE = _newer_wins(stages, ("case_id", "stage_no"))
INSERT_PARTIES = insert(case_parties).on_conflict_do_nothing()
INSERT_EVENTS = insert(case_events).on_conflict_do_nothing(index_elements=[case_events.c.key])
INSERT_NOTICES = insert(outbox).on_conflict_do_nothing(index_elements=[literal_column("key")])


class RecordActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        effects, case_id = change.effects, change.case_id
        version = effects.projection.version if effects.projection else 0
        async with self._engine.begin() as conn:
            if change.parties:
                parties = [{"case_id": case_id, **p.model_dump(mode="json")} for p in change.parties]
                await conn.execute(INSERT_PARTIES, parties)
            if effects.projection is not None:
                await conn.execute(UPSERT_CASE, effects.projection.model_dump(mode="python"))
            if effects.stages:
                rows: list[dict[str, Any]] = [
                    {**r.model_dump(mode="python"), "version": version} for r in effects.stages
                ]
                await conn.execute(UPSERT_STAGE, rows)
            if effects.events:
                events = [e.model_dump(mode="json") | {"at": e.at} for e in effects.events]
                await conn.execute(INSERT_EVENTS, events)
            if effects.notifications:
                notices = [{"case_id": case_id, **n.model_dump(mode="json")} for n in effects.notifications]
                await conn.execute(INSERT_NOTICES, notices)
            if effects.refresh_committee is None:
                return None
            found = await load_committees(conn, ids=[effects.refresh_committee])
        activity.logger.info(
            "transition recorded",
            extra={"stages": len(effects.stages), "notifications": len(effects.notifications)},
        )
        return found[0] if found else None
