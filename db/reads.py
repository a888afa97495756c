"""One-statement reads on asyncpg's own pool, beside an engine: the read every authenticated
request makes (its session, its person and, for an action, the case), and nothing that writes.

Through SQLAlchemy's pool the session read cost the reading process 0.29 ms of CPU (a greenlet,
the pool's check-out and return, the result's rows); here 0.11 (3,000 reads each way, twice, in
turns, against the embedded PostgreSQL: the read finds no session). The statements stay
SQLAlchemy Core, compiled once for asyncpg (positional parameters); their JSON columns are
decoded as SQLAlchemy would. A read sets no session state, so a connection goes back to the
pool without asyncpg's reset query (one round trip less). A connection the server dropped is
found by the read itself, which is then read again once on a new connection (as
`db.engine.first_row` does on `db.engine.single_statements`, the same kind of pool beside an
engine, on SQLAlchemy, for the service's one-statement writes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import JSON, Engine, Select, event
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import pool_size_of

APPLICATION = "mediation reads"  # its connections, as pg_stat_activity names them
# what a connection the server dropped raises from a read (the read is then made again once on a
# new connection); an error of the read itself (a bad argument, an SQL error) is not retried
DROPPED = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError,
    asyncpg.InternalClientError,  # a connection the server ended as the read began
    OSError,
)
# SQLAlchemy's own options in a database URL, and asyncpg's names for those it passes on
SQLALCHEMY_ONLY = ("prepared_statement_name_func", "async_fallback")
RENAMED = {"prepared_statement_cache_size": "statement_cache_size"}


def dropped(err: BaseException) -> bool:
    """Whether `err` says the server dropped the connection (a restart, a failover), not that
    the statement failed: a connection found closed as it began (SQLAlchemy's asyncpg dialect
    reads it so too)."""
    closed = isinstance(err, asyncpg.InterfaceError) and "connection is closed" in str(err)
    return closed or isinstance(err, DROPPED)


class Row(dict[str, Any]):
    """A row by column name, as `row["name"]` or `row.name` (as SQLAlchemy's rows are read)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _Compiled:
    """A statement as asyncpg runs it: its SQL, its parameters' order and its JSON columns."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
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
        self._dialect = engine.dialect  # not the engine: `reads` keeps one per engine, weakly
        _, options = engine.dialect.create_connect_args(engine.url)  # as SQLAlchemy connects
        for name in SQLALCHEMY_ONLY:
            options.pop(name, None)
        for name, renamed in RENAMED.items():
            if name in options:
                options[renamed] = options.pop(name)
        self._options: dict[str, Any] = dict(options)
        self._size = pool_size_of(engine)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._compiled: dict[int, tuple[Select[Any], _Compiled]] = {}

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    settings = {"application_name": APPLICATION, **self._options.get("server_settings", {})}
                    options = {**self._options, "server_settings": settings}
                    self._pool = await asyncpg.create_pool(
                        min_size=0, max_size=self._size, reset=_nothing_to_reset, **options
                    )
        return self._pool

    def _statement(self, statement: Select[Any]) -> _Compiled:
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            found = (statement, _Compiled(statement, self._dialect))
            self._compiled[id(statement)] = found
        return found[1]

    async def first(self, statement: Select[Any], params: Mapping[str, Any]) -> Row | None:
        compiled = self._statement(statement)
        args = [params[name] for name in compiled.order]
        pool = await self._ready()
        try:
            return compiled.row(await _fetchrow(pool, compiled.sql, args))
        except Exception as err:
            if not dropped(err):
                raise
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
        except Exception as err:
            if dropped(err):  # not back into the pool, if asyncpg has not already let it go
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.terminate()
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
    """Kept beside the engine: a disposed engine can be used again, and so can its reads (a new
    pool, closed at the next dispose)."""
    found = _reads.get(engine)
    if found is not None:
        found.terminate()
