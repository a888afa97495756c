"""Recording a transition: stage rows, the case projection, the outbox and (for an action through
the service) its audit line, in one transaction.

The rows and their statements are db/records.py's (the intake writes a case's opening with the
same code), all of a transition's rows in one statement, as atomic as a transaction; after a
handoff this activity reads the new committee's members back for the workflow (on SQLAlchemy).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.inputs import TransitionInput
from crypto.fields import FieldSealer
from db.records import RecordWriter
from db.registry_queries import load_committees
from models.case import Committee


class RecordActivities:
    """Writes a transition; party data and free text are sealed by `fields` before they leave."""

    def __init__(self, engine: AsyncEngine, fields: FieldSealer) -> None:
        self._engine = engine
        self._writer = RecordWriter(fields)

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        effects = change.effects
        async with self._engine.connect() as conn:
            pg = (await conn.get_raw_connection()).driver_connection
            assert pg is not None
            # one statement
            await self._writer.write(pg, change.case_id, effects, change.parties, change.audit)
            if effects.refresh_committee is None:
                return None
            found = await load_committees(conn, ids=[effects.refresh_committee])
        activity.logger.info(
            "transition recorded",
            extra={"stages": len(effects.stages), "notifications": len(effects.notifications)},
        )
        return found[0] if found else None
