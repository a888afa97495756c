"""Recording a transition: stage rows, the case projection and the outbox, in one transaction.

Every write is idempotent: rows are keyed (case and stage number; notification
key) and a write never replaces a newer version, so a retried activity leaves
exactly the rows one successful attempt would.
"""

from __future__ import annotations

from sqlalchemy import func, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.inputs import TransitionInput
from activities.registry import load_committees
from db.schema import case_events, case_parties, cases, outbox, stages
from models.case import Committee


class RecordActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        effects = change.effects
        async with self._engine.begin() as conn:
            if change.parties:
                await conn.execute(
                    insert(case_parties)
                    .values(
                        [{"case_id": change.case_id, **p.model_dump(mode="json")} for p in change.parties]
                    )
                    .on_conflict_do_nothing()
                )
            if effects.projection is not None:
                row = effects.projection.model_dump(mode="python")
                upsert = insert(cases).values(**row, updated_at=func.now())
                await conn.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[cases.c.case_id],
                        set_={k: upsert.excluded[k] for k in (*row, "updated_at") if k != "case_id"},
                        where=cases.c.version < upsert.excluded.version,
                    )
                )
            version = effects.projection.version if effects.projection else 0
            for record in effects.stages:
                row = {**record.model_dump(mode="python"), "version": version}
                upsert = insert(stages).values(**row)
                await conn.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[stages.c.case_id, stages.c.stage_no],
                        set_={k: upsert.excluded[k] for k in row if k not in ("case_id", "stage_no")},
                        where=stages.c.version < upsert.excluded.version,
                    )
                )
            if effects.events:
                await conn.execute(
                    insert(case_events)
                    .values([e.model_dump(mode="json") | {"at": e.at} for e in effects.events])
                    .on_conflict_do_nothing(index_elements=[case_events.c.key])
                )
            if effects.notifications:
                await conn.execute(
                    insert(outbox)
                    .values(
                        [
                            {"case_id": change.case_id, **n.model_dump(mode="json")}
                            for n in effects.notifications
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=[literal_column("key")])
                )
            if effects.refresh_committee is None:
                return None
            found = await load_committees(conn, ids=[effects.refresh_committee])
        activity.logger.info(
            "transition recorded",
            extra={"stages": len(effects.stages), "notifications": len(effects.notifications)},
        )
        return found[0] if found else None
