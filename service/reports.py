"""How the levels perform, from the PostgreSQL records: the SQL fetches rows, `models.performance` counts.

The query only narrows the rows down (place, channel, cases alive during the period);
every definition of what counts is applied by `models.performance.count`. The rows are read through the
driver straight into plain rows (a county's year is some 350,000 of them, with a million
timestamps), each timestamp as the Instant the rows carry (`instant_of`): PostgreSQL turns it
into an integer as cheaply as it sends the timestamp, where the driver would build a datetime of
each. The cases and the stages are read on two connections at once, so that PostgreSQL reads
the stages while the cases are turned into rows. The service counts a report in shards of its
cases, each in a process of its own (`ReportWorkers`), and merges the shards' sums.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, NamedTuple

import structlog
from sqlalchemy import BigInteger, ColumnElement, DateTime, Select, cast, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.bulk import bulk, fetch_records
from db.engine import make_engine
from db.schema import cases, committees, stages
from models.performance import (
    CaseRow,
    PerformanceReport,
    ReportQuery,
    StageRow,
    count,
    place_field,
    report_of,
)
from models.performance_partial import Partial, merge

log = structlog.get_logger("reports")
CASE_COLUMNS = CaseRow._fields
STAGE_COLUMNS = StageRow._fields


def instant_of(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The Instant of a timestamp column (`models.performance_rows.instant`: microseconds since
    1970 UTC), computed by PostgreSQL: date_part's float8 seconds (the integer of microseconds
    divided by 10**6, correctly rounded) times 10**6, rounded to bigint. Exact until 2112: both
    roundings together stay under half a microsecond there (tests/reports/test_year.py checks it
    against Python on sampled instants)."""
    seconds = func.date_part(literal_column("'epoch'"), column)
    return cast(seconds * literal_column("1000000"), BigInteger).label(column.key)


def _columns(table: Any, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    return [instant_of(table.c[n]) if isinstance(table.c[n].type, DateTime) else table.c[n] for n in names]


class Shard(NamedTuple):
    """Shard `number` of `of`: the cases whose number hashes to it (PostgreSQL's hashtext)."""

    number: int
    of: int


def _case_filter(query: ReportQuery, shard: Shard | None = None) -> list[Any]:
    """Cases of the place (and channel) that were open at some time during the period (and of
    the shard)."""
    where = [
        cases.c[place_field(query.place)] == query.place,
        cases.c.opened_at < query.period.end,
        or_(cases.c.closed_at.is_(None), cases.c.closed_at >= query.period.start),
    ]
    if query.channel is not None:
        where.append(cases.c.channel == query.channel)
    if shard is not None and shard.of > 1:
        hashed = func.hashtext(cases.c.case_id).op("&")(literal_column("2147483647"))  # 0 and up
        where.append(func.mod(hashed, shard.of) == shard.number)
    return where


async def _names(conn: AsyncConnection, ids: set[str]) -> dict[str, tuple[str, str]]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(committees.c.id, committees.c.name, committees.c.name_en).where(committees.c.id.in_(ids))
    )
    return {r.id: (r.name, r.name_en or r.id) for r in rows}


def case_query(query: ReportQuery, shard: Shard | None = None) -> Select[Any]:
    return select(*_columns(cases, CASE_COLUMNS)).where(*_case_filter(query, shard))


def stage_query(query: ReportQuery, shard: Shard | None = None) -> Select[Any]:
    return (
        select(*_columns(stages, STAGE_COLUMNS))
        .join(cases, cases.c.case_id == stages.c.case_id)
        .where(*_case_filter(query, shard))
    )  # in no order: the counting takes the stages in any order


async def _rows(engine: AsyncEngine, statement: Select[Any], row: type[tuple[Any, ...]]) -> list[Any]:
    """The statement's rows as `row`s (a NamedTuple of its columns, in their order)."""
    async with engine.connect() as conn:
        found = await fetch_records(conn, statement)
    return list(map(partial(tuple.__new__, row), found))


async def fetch_rows(
    engine: AsyncEngine, query: ReportQuery, shard: Shard | None = None
) -> tuple[list[CaseRow], list[StageRow]]:
    """The cases and stages of `query` (and of the shard), each read on a connection of its own."""
    case_rows, stage_rows = await asyncio.gather(
        _rows(engine, case_query(query, shard), CaseRow), _rows(engine, stage_query(query, shard), StageRow)
    )
    return case_rows, stage_rows


async def count_shard(engine: AsyncEngine, query: ReportQuery, shard: Shard | None = None) -> Partial:
    """What the stages of the shard's cases add up to."""
    with bulk():
        return count(query, *await fetch_rows(engine, query, shard))


_process: dict[str, Any] = {}  # in a worker process: its event loop, and an engine per database


def _start_worker() -> None:
    _process["loop"] = asyncio.new_event_loop()


def _count_in_worker(url: str, query: ReportQuery, shard: Shard) -> Partial:
    """A worker process's task: count one shard, on the process's own connections to `url`."""
    engine = _process.get(url)
    if engine is None:
        engine = _process[url] = make_engine(url, pool_size=2)
    result: Partial = _process["loop"].run_until_complete(count_shard(engine, query, shard))
    return result


class ReportWorkers:
    """Processes that count a report's shards side by side: a county's year is a few seconds of
    Python to read and count, which one process does on one core. Each process counts one shard of
    the cases (with their stages) from its own connections; the shards' sums are merged here.
    Created once by the service (spawned processes: nothing of the service is forked into them),
    `processes` of them (default: one per core, at most 4), ended by `close`."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or min(os.cpu_count() or 1, 4)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
        )

    async def count(self, engine: AsyncEngine, query: ReportQuery) -> Partial:
        """The shards' merged sums. A process that died (killed, out of memory) breaks its pool:
        the report is counted again on a fresh one, once, so one death costs one report its
        processes' start rather than failing every report until the service restarts."""
        pool = self._pool
        try:
            return await self._count(pool, engine, query)
        except BrokenProcessPool:
            if self._pool is pool:  # the first report to find it broken replaces it
                log.warning("a report process died: starting new ones", processes=self.processes)
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            return await self._count(self._pool, engine, query)

    async def _count(self, pool: ProcessPoolExecutor, engine: AsyncEngine, query: ReportQuery) -> Partial:
        url = engine.url.render_as_string(hide_password=False)
        loop = asyncio.get_running_loop()
        shards = [Shard(n, self.processes) for n in range(self.processes)]
        parts = await asyncio.gather(
            *(loop.run_in_executor(pool, _count_in_worker, url, query, shard) for shard in shards)
        )
        return merge(parts)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


async def performance_report(
    engine: AsyncEngine, query: ReportQuery, workers: ReportWorkers | None = None
) -> PerformanceReport:
    """The report for `query`: counted by the `workers`' processes, or here without them."""
    if workers is not None:
        part = await workers.count(engine, query)
    else:
        part = await count_shard(engine, query)
    async with engine.connect() as conn:
        names = await _names(conn, set(part.first))
    return report_of(query, part, names)
