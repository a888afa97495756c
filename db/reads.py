"""One-statement reads on asyncpg's own pool, beside an engine: the read every authenticated
request makes (its session, its person and, for an action, the case), and nothing that writes.

Through SQLAlchemy's pool such a read cost ~0.3 ms of CPU besides the statement (a greenlet, the
pool's check-out and return, the result's rows); on asyncpg's pool ~0.05 (bench: 3,000 reads of
the session statement each way, CPU of the reading process). The statements stay SQLAlchemy Core,
compiled once for asyncpg (positional parameters); their JSON columns are decoded as SQLAlchemy
would. A read sets no session state, so a connection goes back to the pool without asyncpg's
reset query (one round trip less). A connection the server dropped is found by the read itself,
which is then read again once on a new connection (as `db.engine.first_row` does).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import JSON, Engine, Select, event
from sqlalchemy.ext.asyncio import AsyncEngine

APPLICATION = "mediation reads"  # its connections, as pg_stat_activity names them
# what a dropped connection raises from a read: the read is then made again on a new connection
DROPPED = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection the server ended while it sat in the pool
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError,
    ConnectionError,
)


class Row(dict[str, Any]):
    """A row by column name, as `row["name"]` or `row.name` (as SQLAlchemy's rows are read)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _Compiled:
    """A statement as asyncpg runs it: its SQL, its parameters' order and its JSON columns."""

    def __init__(self, statement: Select[Any], engine: AsyncEngine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ())
        self.json = [str(c.key) for c in statement.selected_columns if isinstance(c.type, JSON)]

    def row(self, record: asyncpg.Record | None) -> Row | None:
        if record is None:
            return None
        row = Row(record.items())
        for key in self.json:
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
        return row


class Reads:
    """`first(statement, params)`: the first row of one read, or None."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        url = engine.url.set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._size = getattr(engine.pool, "size", lambda: 5)()
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._compiled: dict[int, tuple[Select[Any], _Compiled]] = {}

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=0,
                        max_size=self._size,
                        reset=_nothing_to_reset,
                        server_settings={"application_name": APPLICATION},
                    )
        return self._pool

    def _statement(self, statement: Select[Any]) -> _Compiled:
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            found = (statement, _Compiled(statement, self._engine))
            self._compiled[id(statement)] = found
        return found[1]

    async def first(self, statement: Select[Any], params: Mapping[str, Any]) -> Row | None:
        compiled = self._statement(statement)
        args = [params[name] for name in compiled.order]
        pool = await self._ready()
        try:
            return compiled.row(await _fetchrow(pool, compiled.sql, args))
        except DROPPED:
            return compiled.row(await _fetchrow(pool, compiled.sql, args))

    def terminate(self) -> None:
        """Close every connection now (the engine beside it is disposed)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


async def _fetchrow(pool: asyncpg.Pool, sql: str, args: list[Any]) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        try:
            return await conn.fetchrow(sql, *args)
        except DROPPED:
            conn.terminate()  # not back into the pool: the next acquire opens a new connection
            raise


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """A read leaves no session state: no reset query when a connection goes back."""


def reads(engine: AsyncEngine) -> Reads:
    """The one `Reads` beside `engine`, its connections closed when the engine is disposed."""
    found = _reads.get(engine.sync_engine)
    if found is None:
        found = Reads(engine)
        _reads[engine.sync_engine] = found
        event.listen(engine.sync_engine, "engine_disposed", _terminate)
    return found


_reads: weakref.WeakKeyDictionary[Engine, Reads] = weakref.WeakKeyDictionary()


def _terminate(engine: Engine) -> None:
    found = _reads.pop(engine, None)
    if found is not None:
        found.terminate()
