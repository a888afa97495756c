"""The floor of a recorded action: a local activity that commits one row to PostgreSQL.

Written the way the engine's record is (`activities/records.py`: asyncpg under the
single-statement pool, `db.engine.single_statements`, one prepared statement that commits on its
own, one round trip with no ping before it), so the floor differs from a
mediator's action only in what the engine adds: the rule, the case view, the stage and event rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from db.engine import single_statements

TABLE = "bench_floor"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (workflow_id text NOT NULL, n integer NOT NULL,"
    " note text NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (workflow_id, n))"
)
INSERT = f"INSERT INTO {TABLE} (workflow_id, n, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"


class FloorRow(BaseModel):
    workflow_id: str
    n: int
    note: str


class FloorActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = single_statements(engine)

    @activity.defn(name="bench_floor_write")
    async def write(self, row: FloorRow) -> None:
        async with self._engine.connect() as conn:
            pg = (await conn.get_raw_connection()).driver_connection
            assert pg is not None
            await pg.execute(INSERT, row.workflow_id, row.n, row.note)


def floor_activities(engine: AsyncEngine) -> Sequence[Callable[..., object]]:
    return [FloorActivities(engine).write]
