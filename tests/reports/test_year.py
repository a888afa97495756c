"""The fast report gives, to the byte, what the straightforward computation gives: over a generated
year of a small county (bench/year.py), through the product's SQL path (instants computed by
PostgreSQL, rows straight from the driver) and from validated facts, against tests/reports/
reference.py, which counts stage by stage over datetimes as the report did before it was made fast.
"""

from __future__ import annotations

import gc
import os
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import DateTime, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.county import County, build_registry, write_registry
from bench.stack import drop_database, fresh_database
from bench.year import generate, year_period
from db.bulk import bulk
from db.schema import cases, committees, stages
from models.performance import CaseFact, ReportQuery, StageFact, build_report, days_period, report_of
from models.performance_partial import merge
from models.performance_rows import instant
from service.report_output import to_json
from service.reports import (
    CASE_COLUMNS,
    STAGE_COLUMNS,
    ReportWorkers,
    Shard,
    count_shard,
    instant_of,
    performance_report,
)
from tests.factories import FIELDS
from tests.reports import reference

LAST_DAY = date(2026, 6, 30)
COUNTY = County(build_registry(townships=2, villages=6, grids=18))


@pytest_asyncio.fixture(scope="module")
async def year(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path = write_registry(tmp_path_factory.mktemp("year") / "county", COUNTY.registry)
    url, engine = await fresh_database(pg_url, path, "year")
    try:
        await generate(engine, COUNTY, FIELDS, last_day=LAST_DAY, cases=1_500, seed=7)
        yield engine
    finally:
        await engine.dispose()
        await drop_database(pg_url, url)


async def facts(engine: AsyncEngine) -> tuple[list[CaseFact], list[StageFact], dict[str, tuple[str, str]]]:
    """Every case, stage and committee name of the database, read the ordinary way (datetimes,
    validated)."""
    async with engine.connect() as conn:
        found_cases = (await conn.execute(select(*(cases.c[c] for c in CASE_COLUMNS)))).mappings().all()
        found_stages = (await conn.execute(select(*(stages.c[c] for c in STAGE_COLUMNS)))).mappings().all()
        names = (await conn.execute(select(committees.c.id, committees.c.name, committees.c.name_en))).all()
    return (
        [CaseFact.model_validate(dict(c)) for c in found_cases],
        [StageFact.model_validate(dict(s)) for s in found_stages],
        {id_: (name, name_en or id_) for id_, name, name_en in names},
    )


def queries() -> list[ReportQuery]:
    code = COUNTY.code
    year_, spring = year_period(LAST_DAY), days_period(date(2026, 3, 1), date(2026, 5, 31))
    places = [code, f"{code}001", f"{code}002", f"{code}001001", f"{code}002003"]
    found = [ReportQuery(place=p, period=period) for p in places for period in (year_, spring)]
    found += [ReportQuery(place=code, period=p, channel="court_referral") for p in (year_, spring)]
    return found


async def test_the_fast_report_is_the_straightforward_one_to_the_byte(year: AsyncEngine) -> None:
    case_facts, stage_facts, names = await facts(year)
    assert len(case_facts) == 1_500 and len(stage_facts) > 3_000
    # the stages in an order of their own, as facts may come: the report does not depend on it
    shuffled = random.Random(3).sample(stage_facts, len(stage_facts))
    for query in queries():
        expected = to_json(reference.build_report(query, case_facts, stage_facts, names))
        assert to_json(await performance_report(year, query)) == expected, query
        assert to_json(build_report(query, case_facts, stage_facts, names)) == expected, query
        assert to_json(build_report(query, case_facts, shuffled, names)) == to_json(
            reference.build_report(query, case_facts, shuffled, names)
        )
    report = await performance_report(year, queries()[0])
    assert report.settling.closed > 1_000 and report.past_deadline > 0  # a year's worth of figures


async def test_the_report_counted_in_shards_by_the_report_processes_is_the_same(year: AsyncEngine) -> None:
    """Through PostgreSQL's shards of the cases (each case in one, with its stages), merged; and as
    the service counts it, in its report processes."""
    whole = {query: await performance_report(year, query) for query in queries()}
    names = {c.committee_id: (c.name, c.name_en) for r in whole.values() for c in r.committees}
    for query in queries():
        for of in (2, 3):
            parts = [await count_shard(year, query, Shard(n, of)) for n in range(of)]
            if query == queries()[0]:  # the county's year: every shard holds a share of it
                assert all(200 < p.closed < 1_000 for p in parts)
            assert to_json(report_of(query, merge(parts), names)) == to_json(whole[query]), (query, of)
    workers = ReportWorkers(processes=2)
    try:
        for query in queries():
            assert to_json(await performance_report(year, query, workers)) == to_json(whole[query]), query
        # a report process killed (out of memory, an operator): the next report is still counted
        processes = list(workers._pool._processes.values())  # type: ignore[union-attr]
        assert processes
        for process in processes:
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
            process.join(10)
        county_year = queries()[0]
        assert to_json(await performance_report(year, county_year, workers)) == to_json(whole[county_year])
    finally:
        workers.close()


async def test_postgresql_computes_the_instants_python_does(year: AsyncEngine) -> None:
    """To the microsecond, from 1970 to 2100, where date_part's float seconds round."""
    rng = random.Random(11)
    span = int((datetime(2100, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    moments = [
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(span)) for _ in range(20_000)
    ]
    moments = [m.replace(microsecond=rng.randrange(1_000_000)) for m in moments]
    moments += [
        datetime(2026, 6, 30, 15, 59, 59, 999_999, tzinfo=UTC),
        datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    at = table("moments", column("at", DateTime(timezone=True)))
    async with year.connect() as conn:
        await conn.execute(text("CREATE TEMPORARY TABLE moments (at timestamptz)"))
        await conn.execute(
            text("INSERT INTO moments SELECT unnest(CAST(:moments AS timestamptz[]))"), {"moments": moments}
        )
        found = (await conn.execute(select(at.c.at, instant_of(at.c.at)))).all()
    assert len(found) == len(moments)
    assert all(got == instant(moment) for moment, got in found)


def test_days_are_the_datetime_days() -> None:
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        a = start + timedelta(microseconds=rng.randrange(10**13))
        b = a + timedelta(microseconds=rng.randrange(10**12))
        assert (b - a).total_seconds() / 86400 == (instant(b) - instant(a)) / 1_000_000 / 86400


def test_overlapping_reports_pause_the_collector_until_the_last_ends() -> None:
    assert gc.isenabled()
    first, second = bulk(), bulk()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second report still reads
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
