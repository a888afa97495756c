"""Reports at a county's scale: the supervisors' reads over a year of a Lingling-sized county.

Generates a year of the synthetic county (bench/year.py: 100,000 cases, about 250,000 stage rows)
into a database of its own, then times each read as the service serves it, for the county and
for one township, a warm-up run first and then `runs` runs (p50 and max):

- the performance report for the year: `GET /reports/performance` (service.reports.
  performance_report, counted by the service's report processes, then the JSON the route returns);
- the supervisor's overdue list and counts: `GET /digest` (activities.digest.read_digest, the
  PostgreSQL read behind the digest page: the overdue list, due soon, stalled, may intensify, and
  their counts; then its JSON) at the end of the year. The dashboard's counts and lists
  (`GET /cases`, `/cases/count`) come from Temporal visibility, not from these tables, and are
  not timed here.

`python -m bench` runs it after the engine's figures (`--only reports`: this part alone);
`python -m bench.reports` alone also prints the plans of the reads' queries (`--explain`) and,
with `--before REV`, measures first on the schema at revision REV, then migrates to head and
measures again on the same rows (and checks the reads answer the same).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.digest import open_cases_query, read_digest, timed_out_query
from bench.county import County, build_registry, write_registry
from bench.measure import percentile
from bench.results import figures
from bench.stack import (
    bench_fields,
    cpu_seconds,
    drop_database,
    fresh_database,
    machine_seconds,
    postgres,
    postgres_seconds,
    postmaster_pid,
)
from bench.year import POLICY, generate, year_period
from crypto.fields import FieldSealer
from db.migrate import upgrade_async
from models.calendar import local_day
from models.digest import STALLED_LOOKBACK, DigestScope
from models.performance import ReportQuery
from service.report_output import to_json
from service.reports import ReportWorkers, case_query, performance_report, stage_query

OUT = Path(__file__).resolve().parent / "out"
CASES, QUICK_CASES = 100_000, 2_000
# the year's last day: the installed calendar (policies/calendars/cn.json) covers every deadline
LAST_DAY, SEED = date(2026, 6, 30), 16
RUNS = {"report": 5, "digest": 20}
QUICK_RUNS = {"report": 2, "digest": 3}
console = Console(stderr=True)


@dataclass
class Measured:
    """Figures (`values[key] = (None, engine)`, as bench.results.figures takes them) and details."""

    values: dict[str, tuple[float | None, float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


Read = Callable[[], Awaitable[str]]


def reads(
    engine: AsyncEngine, county: str, township: str, last_day: date, workers: ReportWorkers | None = None
) -> dict[str, Read]:
    """Each timed read, by name, as its route serves it (the JSON it returns; the reports counted
    by the service's report processes, `workers`)."""
    period = year_period(last_day)

    def report(place: str) -> Read:
        async def run() -> str:
            query = ReportQuery(place=place, period=period)
            return to_json(await performance_report(engine, query, workers))

        return run

    def digest(place: str) -> Read:
        scope = DigestScope(county=place[:6], township=place if len(place) == 9 else None)

        async def run() -> str:
            return (await read_digest(engine, scope, period.end, POLICY)).model_dump_json()

        return run

    return {
        "report_county": report(county),
        "report_township": report(township),
        "digest_county": digest(county),
        "digest_township": digest(township),
    }


class ReadCpu:
    """CPU seconds of the reads: this benchmark's processes (this one, the report processes it
    started, its PostgreSQL server) and the whole machine, busy and stolen (`machine_seconds`): the
    machine's busy CPU less the benchmark's is what else ran on its cores meanwhile."""

    def __init__(self, postmaster: int | None) -> None:
        self._me = psutil.Process()
        self._postmaster = psutil.Process(postmaster) if postmaster else None

    def read(self) -> dict[str, float]:
        me, postmaster = self._me, self._postmaster
        server = set()  # an embedded server's processes, counted as PostgreSQL's, not as children
        if postmaster is not None:
            server = {postmaster.pid, *(p.pid for p in postmaster.children(recursive=True))}
        times = me.cpu_times()
        children = [p for p in me.children(recursive=True) if p.pid not in server]
        own = times.user + times.system + times.children_user + times.children_system
        own += cpu_seconds(children) + postgres_seconds(postmaster)
        busy, steal = machine_seconds()
        return {"own": own, "busy": busy, "steal": steal}

    def per_run(self, before: dict[str, float], runs: int) -> dict[str, float]:
        """Seconds per run since `before`: the benchmark's processes, the rest of the machine, steal."""
        now = self.read()
        own, busy = now["own"] - before["own"], now["busy"] - before["busy"]
        return {
            "own_s": round(own / runs, 3),
            "other_s": round(max(busy - own, 0.0) / runs, 3),
            "steal_s": round((now["steal"] - before["steal"]) / runs, 3),
        }


async def timed(read: Read, runs: int, cpu: ReadCpu) -> tuple[list[float], str, dict[str, float]]:
    """Seconds of each of `runs` runs after a warm-up, what the read answered, and the CPU per run."""
    answer = await read()
    seconds = []
    before = cpu.read()
    for _ in range(runs):
        started = time.perf_counter()
        await read()
        seconds.append(time.perf_counter() - started)
    return seconds, answer, cpu.per_run(before, runs)


def queries(county: str, township: str, last_day: date) -> dict[str, Select[Any]]:
    """The SQL of the timed reads, for EXPLAIN."""
    period = year_period(last_day)
    statements: dict[str, Select[Any]] = {}
    for scope, place in (("county", county), ("township", township)):
        query = ReportQuery(place=place, period=period)
        digest = DigestScope(county=place[:6], township=place if len(place) == 9 else None)
        statements |= {
            f"report_{scope}/cases": case_query(query),
            f"report_{scope}/stages": stage_query(query),
            f"digest_{scope}/open_cases": open_cases_query(digest),
            f"digest_{scope}/timed_out": timed_out_query(digest, period.end - STALLED_LOOKBACK),
        }
    return statements


async def explain(engine: AsyncEngine, statements: dict[str, Select[Any]]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement, with its parameters bound as the driver binds them."""
    plans = {}
    async with engine.connect() as conn:
        for name, statement in statements.items():
            compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            params = tuple(compiled.params[p] for p in compiled.positiontup or ())
            found = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params)
            plans[name] = "\n".join(row[0] for row in found)
    return plans


async def sizes(engine: AsyncEngine, county: str, township: str, last_day: date) -> dict[str, Any]:
    """What the reads go through: open and overdue cases of each scope at the year's end."""
    end = year_period(last_day).end
    sql = text(
        "SELECT count(*) FILTER (WHERE status <> 'closed'),"
        " count(*) FILTER (WHERE status <> 'closed' AND (overdue OR next_deadline < :end))"
        " FROM cases WHERE county = :county AND (CAST(:township AS text) IS NULL OR township = :township)"
    )
    found = {}
    async with engine.connect() as conn:
        for scope, place in (("county", county), ("township", township)):
            params = {"end": end, "county": county, "township": place if scope == "township" else None}
            open_, overdue = (await conn.execute(sql, params)).one()
            found[scope] = {"place": place, "open_cases": open_, "overdue": overdue}
    return found


async def measure_reads(
    engine: AsyncEngine, county: str, township: str, last_day: date, runs: dict[str, int]
) -> tuple[dict[str, list[float]], dict[str, str], dict[str, dict[str, float]]]:
    """Each read's seconds, answer and CPU per run."""
    seconds, answers, cpu = {}, {}, {}
    meter = ReadCpu(await postmaster_pid(engine))
    workers = ReportWorkers()  # as the service has them
    try:
        for name, read in reads(engine, county, township, last_day, workers).items():
            console.log(f"reports: timing {name}")
            seconds[name], answers[name], cpu[name] = await timed(read, runs[name.split("_")[0]], meter)
    finally:
        workers.close()
    return seconds, answers, cpu


def summary(seconds: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50 and max of each read: seconds for the reports, milliseconds for the digest."""
    scale = {"report": 1.0, "digest": 1000.0}
    return {
        name: {
            "p50": round(percentile(values, 0.5) * scale[name.split("_")[0]], 3),
            "max": round(max(values) * scale[name.split("_")[0]], 3),
        }
        for name, values in seconds.items()
    }


async def measure(
    server: str,
    registry: Path,
    county: County,
    *,
    cases: int = CASES,
    runs: dict[str, int] | None = None,
    seed: int = SEED,
    last_day: date = LAST_DAY,
    before: str | None = None,
    plans: bool = False,
    fields: FieldSealer | None = None,
) -> Measured:
    """Generate a year of `county` into a new database on `server` (its `registry` files loaded)
    and time the reads; `before`: first on the schema at that revision, then again at head. The
    rows are sealed by `fields` (default: under the run's key, as bench_fields has it)."""
    runs = runs or RUNS
    township = f"{county.code}001"
    url, engine = await fresh_database(server, registry, "reports", before or "head")
    period = year_period(last_day).model_dump(mode="json")
    days = [local_day(year_period(last_day).start).isoformat(), last_day.isoformat()]
    details: dict[str, Any] = {"cases": cases, "seed": seed, "days": days, "period": period, "runs": runs}
    try:
        console.log(f"reports: generating a year of {cases:,} cases")
        started = time.perf_counter()
        details["rows"] = await generate(
            engine, county, fields or bench_fields(), last_day=last_day, cases=cases, seed=seed
        )
        details["generate_s"] = round(time.perf_counter() - started, 1)
        details["sizes"] = await sizes(engine, county.code, township, last_day)
        statements = queries(county.code, township, last_day)
        if before is not None:
            seconds, answers, _ = await measure_reads(engine, county.code, township, last_day, runs)
            details["before"] = {"revision": before, **summary(seconds)}
            if plans:
                details["plans_before"] = await explain(engine, statements)
            await engine.dispose()
            await upgrade_async(url)
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                for table in ("cases", "stages"):
                    await conn.execute(text(f"VACUUM ANALYZE {table}"))
        seconds, after, cpu = await measure_reads(engine, county.code, township, last_day, runs)
        if before is not None:
            details["same_answers_before_and_after"] = after == answers
        details["read_ms"] = {name: [round(s * 1000, 1) for s in values] for name, values in seconds.items()}
        details["cpu_per_run"] = cpu
        if plans:
            details["plans"] = await explain(engine, statements)
    finally:
        await engine.dispose()
        await drop_database(server, url)
    return figures_of(summary(seconds), details)


def figures_of(found: dict[str, dict[str, float]], details: dict[str, Any]) -> Measured:
    values: dict[str, tuple[float | None, float]] = {}
    for name, stats in found.items():
        for stat, value in stats.items():
            values[f"{name}_{stat}"] = (None, value)
    runs, cases, sizes_ = details["runs"], details["cases"], details["sizes"]
    span = " – ".join(details["days"])
    notes = {}
    for scope in ("county", "township"):
        size = sizes_[scope]
        notes[f"report_{scope}_p50"] = f"{size['place']}, {span}: {cases:,} cases in the county"
        notes[f"digest_{scope}_p50"] = (
            f"{size['place']} at the year's end: {size['open_cases']:,} open, {size['overdue']:,} overdue"
        )
        notes[f"report_{scope}_max"] = f"{runs['report']} runs after a warm-up"
        notes[f"digest_{scope}_max"] = f"{runs['digest']} runs after a warm-up"
    county = details.get("cpu_per_run", {}).get("report_county")
    if county is not None:  # what the county's report ran beside: its own CPU and the machine's other
        values["report_county_cpu"] = (None, county["own_s"])
        values["report_county_cpu_other"] = (None, county["other_s"])
        notes["report_county_cpu"] = f"per run, {runs['report']} runs"
        notes["report_county_cpu_other"] = f"per run; the hypervisor took {county['steal_s']} s"
    return Measured(values, notes, details | {"figures": found})


# ---------------------------------------------------------------- `python -m bench.reports`


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=CASES, help="cases opened over the year")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument(
        "--last-day", type=date.fromisoformat, default=LAST_DAY, help="the last day of the year measured"
    )
    p.add_argument("--quick", action="store_true", help=f"{QUICK_CASES:,} cases, fewer runs")
    p.add_argument("--before", default=None, help="measure first at this alembic revision (e.g. 0009a)")
    p.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of each query")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="a PostgreSQL server")
    p.add_argument("--out", type=Path, default=OUT, help="scratch: the registry files, reports.json")
    args = p.parse_args(argv)
    if args.quick:
        args.cases = min(args.cases, QUICK_CASES)
    return args


async def run(args: argparse.Namespace) -> Measured:
    registry = build_registry()
    path = write_registry(args.out / "county", registry)
    with postgres(args.database_url, args.out) as server:
        return await measure(
            server,
            path,
            County(registry),
            cases=args.cases,
            runs=QUICK_RUNS if args.quick else RUNS,
            seed=args.seed,
            last_day=args.last_day,
            before=args.before,
            plans=args.explain,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    measured = asyncio.run(run(args))
    out = console if sys.stdout.isatty() else Console()
    for kind in ("plans_before", "plans"):
        for name, plan in measured.details.get(kind, {}).items():
            out.print(f"[bold]{kind} · {name}[/]\n{plan}\n", highlight=False)
    for f in figures(measured.values, measured.notes):
        met = {True: "met", False: "missed", None: ""}[f.met]
        out.print(f"{f.label}: {f.engine:,.3f} {f.unit} (target {f.target}) {met}  {f.note}", highlight=False)
    if "before" in measured.details:
        out.print(f"before (at {args.before}): {measured.details['before']}", highlight=False)
        out.print(f"same answers before and after: {measured.details['same_answers_before_and_after']}")
    path = args.out / "reports.json"
    path.write_text(json.dumps(measured.details, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
