"""`python -m bench.simulate --cases 10000`: a Lingling-sized county's year through the real engine.

Generates the county (16 townships, 334 villages, 926 grids) into a database of its own, starts
the time-skipping test server (its clock moved to the day before `--start`, so the year and its
tail lie in the years the policy's calendar covers: bench/simulate/clock.py) and worker
process(es) like worker.py, lets disputes arrive over a year and simulated people act on them
(bench/simulate/params.py has every rate, documented), then writes that year's performance
report (tables, CSV, JSON) and funnel chart with the reports code, and a summary of the run
(bench/out/simulate-<cases>/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.county import County, build_registry, write_registry
from bench.profile import spy
from bench.results import machine, source_commit
from bench.simulate.clock import (
    CalendarGap,
    check_covered,
    check_server_clock,
    default_start,
    moved_test_server,
    server_start,
)
from bench.simulate.driver import Shard, Simulation, Tally
from bench.simulate.params import Params
from bench.simulate.report import case_counts, histories, transitions, write_report
from bench.stack import BIN, WorkerProcess, fresh_database, postgres, production_codec, worker_process
from models.calendar import local_day
from models.performance import days_period
from policies import load_policy
from service.search_attributes import register

OUT = Path(__file__).resolve().parents[1] / "out"
HISTORY_SAMPLE = 50  # closed cases whose whole history is counted
console = Console(stderr=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=10_000, help="disputes arriving over the year")
    p.add_argument("--seed", type=int, default=None, help="overrides the parameters' seed")
    p.add_argument(
        "--params", type=Path, default=None, help="JSON with any of bench/simulate/params.py's fields"
    )
    p.add_argument("--days", type=int, default=None, help="overrides the parameters' days")
    p.add_argument("--concurrency", type=int, default=100, help="actions in flight at one moment")
    p.add_argument("--workers", type=int, default=1, help="worker processes per server")
    p.add_argument("--servers", type=int, default=1, help="time-skipping servers, a group of townships each")
    p.add_argument("--max-cached", type=int, default=None, help="each worker's sticky cache (SDK: 1000)")
    p.add_argument("--policy", default="gaotai-4x7")
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="the first simulated day (default: 2 January of the first year the policy's calendar covers);"
        " the year and its tail must lie in the calendar's years",
    )
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="a PostgreSQL server")
    p.add_argument("--out", type=Path, default=None, help="default: bench/out/simulate-<cases>")
    p.add_argument("--time-limit", type=float, default=None, help="stop after this many wall seconds")
    p.add_argument(
        "--sandboxed", action="store_true", help="workflows in the SDK sandbox (WORKFLOW_SANDBOX=true)"
    )
    p.add_argument(
        "--profile", action="store_true", help="record each worker with py-spy (out/worker-<i>.folded)"
    )
    return p.parse_args(argv)


def load_params(args: argparse.Namespace) -> Params:
    raw: dict[str, Any] = json.loads(args.params.read_text("utf-8")) if args.params else {}
    if args.seed is not None:
        raw["seed"] = args.seed
    if args.days is not None:
        raw["days"] = args.days
    return Params.model_validate(raw)


COLUMNS = (TextColumn("{task.description:>16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
LOG_EVERY = timedelta(days=30)


def progress_bar(progress: Progress, sim: Simulation, cases: int) -> Callable[[datetime, Tally], None]:
    """Simulated days and cases closed on the bar; a line a simulated month when not on a terminal."""
    start = datetime.now(UTC)
    days = progress.add_task("simulated days", total=None)
    closed = progress.add_task("cases closed", total=cases)
    logged = [sim.first_day]

    def on_tick(at: datetime, tally: Tally) -> None:
        total = (sim.end - sim.first_day).days
        progress.update(
            days, completed=(at - sim.first_day).days, total=total, description=f"{local_day(at)}"
        )
        progress.update(closed, completed=tally.closed)
        if not console.is_terminal and at - logged[0] >= LOG_EVERY:
            logged[0] = at
            wall = (datetime.now(UTC) - start).total_seconds()
            console.print(
                f"{local_day(at)}: {tally.opened} opened, {tally.closed} closed,"
                f" {sum(tally.actions.values())} actions, {wall:.0f} s"
            )

    return on_tick


def server_of(sim: Simulation) -> dict[str, Client]:
    """The client of the server that ran each township's cases, by the township's place code."""
    return {site.place.township: sim.shard_of[site.township].env.client for site in sim.county.sites}


def process_stats(workers: list[WorkerProcess]) -> dict[str, Any]:
    server = [c for c in psutil.Process().children(recursive=True) if "temporal-test-server" in c.name()]
    return {
        "worker_cpu_s": [round(w.cpu_s(), 1) for w in workers],
        "worker_rss_mb": [round(w.rss_mb(), 1) for w in workers],
        "test_server_cpu_s": [round(sum(c.cpu_times()[:2]), 1) for c in server],
        "driver_cpu_s": round(sum(psutil.Process().cpu_times()[:2]), 1),
    }


async def simulate(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    params = load_params(args)
    registry = build_registry()
    county = County(registry)
    path = write_registry(out / "county", registry)
    policy = load_policy(args.policy)
    start = args.start or default_start(policy.calendar)
    check_covered(policy.calendar, start, params.days, params.drain_days)
    summary: dict[str, Any] = {
        "cases": args.cases,
        "start": start.isoformat(),
        "calendar": {"name": policy.calendar.name, "years": policy.calendar.years},
        "params": params.model_dump(mode="json"),
        "machine": machine(),
        "commit": source_commit(),
        "settings": {"servers": args.servers, "workers": args.workers, "concurrency": args.concurrency},
        "profiled": bool(args.profile),  # py-spy attached to each worker (its own CPU not counted)
    }
    keys, converter = production_codec(out)
    moment = server_start(start)
    test_server = moved_test_server(BIN / "temporal-test-server", moment, out)
    with postgres(args.database_url, OUT) as server:
        db_url, engine = await fresh_database(server, path, prefix="sim")
        envs: list[WorkflowEnvironment] = []
        try:
            for _ in range(args.servers):
                envs.append(
                    await WorkflowEnvironment.start_time_skipping(
                        data_converter=converter,
                        test_server_existing_path=str(test_server),
                        test_server_startup_timeout=timedelta(
                            seconds=60
                        ),  # a loaded machine is slow to start it
                    )
                )
                check_server_clock(await envs[-1].get_current_time(), moment)
                await register(envs[-1].client)
            extra = {"LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
            extra["WORKFLOW_SANDBOX"] = str(args.sandboxed).lower()
            if args.max_cached:
                extra["BENCH_MAX_CACHED_WORKFLOWS"] = str(args.max_cached)
            async with AsyncExitStack() as stack:
                shards: list[Shard] = []
                workers: list[WorkerProcess] = []
                for env in envs:
                    address = env.client.service_client.config.target_host
                    shard = Shard(env, f"sim-{uuid.uuid4().hex[:6]}")
                    shards.append(shard)
                    for _ in range(args.workers):
                        log = out / f"worker-{len(workers)}.log"
                        workers.append(
                            await stack.enter_async_context(
                                worker_process(address, db_url, shard.task_queue, log, keys, **extra)
                            )
                        )
                for i, w in enumerate(workers):
                    stack.enter_context(spy(w.pid, out / f"worker-{i}.folded", args.profile))
                sim = Simulation(shards, engine, county, policy, params, args.concurrency)
                clock = time.perf_counter()
                with Progress(*COLUMNS, console=console) as progress:
                    tally = await sim.run(
                        args.cases, progress_bar(progress, sim, args.cases), args.time_limit
                    )
                wall = time.perf_counter() - clock
                summary["processes"] = process_stats(workers)
                summary["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            ended = max([await env.get_current_time() for env in envs])
            period = days_period(local_day(sim.first_day), local_day(ended))
            report = await write_report(engine, county.code, period, out, Console())
            summary |= {
                "wall_seconds": round(wall, 1),
                "simulated": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                "opened": tally.opened,
                "closed": tally.closed,
                "stuck": tally.stuck,
                "provisional_cases": len(tally.provisional),
                "stopped_early": tally.stopped_early,
                "reached": tally.reached.isoformat() if tally.reached else None,
                "actions": dict(tally.actions),
                "actions_total": sum(tally.actions.values()),
                "rejected": dict(tally.rejected),
                "errors": dict(tally.errors),
                "ticks": tally.ticks,
                "seconds_skipping_time": round(tally.sleep_s, 1),
                "seconds_acting": round(tally.act_s, 1),
                "cases_per_second": round(tally.closed / wall, 2),
                "worker_cpu_ms_per_action": round(
                    sum(summary["processes"]["worker_cpu_s"]) * 1000 / max(sum(tally.actions.values()), 1), 1
                ),
                "database": await case_counts(engine),
                "transitions": await transitions(engine),
                "history_per_case": await histories(engine, server_of(sim), HISTORY_SAMPLE),
                "settling": report.settling.model_dump(mode="json"),
            }
        finally:
            for env in envs:
                await env.shutdown()
            await engine.dispose()
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = args.out or OUT / f"simulate-{args.cases}"
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    try:
        summary = asyncio.run(simulate(args, out))
    except CalendarGap as err:
        console.print(f"error: {err}")
        return 2
    summary["started_at"] = started.isoformat(timespec="seconds")
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    s = summary
    console.print(
        f"{s['cases']} cases in {s['wall_seconds']:.0f} s ({s['cases_per_second']} cases/s):"
        f" {s['actions_total']} actions, {s['closed']} closed, {s['stuck']} stuck,"
        f" {s['provisional_cases']} shown a provisional deadline ({s['start']} on, calendar"
        f" {s['calendar']['name']} {'/'.join(map(str, s['calendar']['years']))}); wrote {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
