"""Recording a transition: stage rows, the case projection, the outbox and (for an action through
the service) its audit line, in one transaction.

The rows and their statements are db/records.py's (the intake writes a case's opening with the
same code), all of a transition's rows in one statement, as atomic as a transaction; after a
handoff this activity reads the new committee's members back for the workflow (on SQLAlchemy).
The statement runs on the engine's single-statement pool (`db.engine.single_statements`), so
a record is that one round trip: no check-out ping (BEGIN, `;`, ROLLBACK) before it. A
connection the server dropped fails the attempt, the pool discards it and its elders, and the
local activity's retry writes the same rows on a new one.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from activities.inputs import TransitionInput
from crypto.fields import FieldSealer
from db.engine import single_statements
from db.reads import dropped
from db.records import RecordWriter
from db.registry_queries import load_committees
from models.case import Committee


class RecordActivities:
    """Writes a transition; party data and free text are sealed by `fields` before they leave."""

    def __init__(self, engine: AsyncEngine, fields: FieldSealer) -> None:
        self._engine = single_statements(engine)
        self._writer = RecordWriter(fields)

    @activity.defn(name="record_transition")
    async def record_transition(self, change: TransitionInput) -> Committee | None:
        effects = change.effects
        async with self._engine.connect() as conn:
            pg = (await conn.get_raw_connection()).driver_connection
            assert pg is not None
            try:  # one statement
                await self._writer.write(pg, change.case_id, effects, change.parties, change.audit)
            except Exception as err:
                if dropped(err) or isinstance(err, OSError):
                    await self._forget_connections(conn)
                raise
            if effects.refresh_committee is None:
                return None
            found = await load_committees(conn, ids=[effects.refresh_committee])
        activity.logger.info(
            "transition recorded",
            extra={"stages": len(effects.stages), "notifications": len(effects.notifications)},
        )
        return found[0] if found else None

    async def _forget_connections(self, conn: AsyncConnection) -> None:
        """The server dropped `conn` (the statement went to asyncpg itself, so SQLAlchemy did not
        see it fail): discard it and every connection pooled beside it, which the same restart
        dropped too, so the retry connects afresh (there is no ping to find them)."""
        await conn.invalidate()
        await self._engine.dispose()
