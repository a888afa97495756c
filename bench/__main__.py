"""`python -m bench`: the engine beside Temporal's own ceiling, on one dev server and one worker.

Starts a dev server (`WorkflowEnvironment.start_local`), PostgreSQL with a database of its own,
and one worker process (`bench.worker`: worker.py's worker, on the production path: the AES-GCM
payload codec, the outbox dispatcher, metrics on; the baseline workflows beside it, under the
same codec), then measures each baseline and engine figure in turn and the scale-out part
(bench/scale.py: a second worker and two services on the same task queue), prints the table with
every target met or missed, and writes bench/out/results.json and (a full run)
bench/results/<date>.json, the file BENCHMARKS.md quotes (`python -m bench.render FILE`).
`--quick` is the small run the test suite uses; `--only scale` runs the scale-out part alone. Last,
a year of a Lingling-sized county's records in a database of its own and the supervisors' reads
over it (bench/reports.py; `--only reports`: that part alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from temporalio.testing import WorkflowEnvironment

from bench import reports, scale, scenarios, service
from bench.county import County, build_registry, write_registry
from bench.measure import gc_seconds, percentile
from bench.profile import spy
from bench.results import Results, figures, machine, source_commit, table
from bench.stack import (
    BIN,
    CpuMeter,
    fresh_database,
    postgres,
    postmaster_pid,
    production_codec,
    worker_process,
)
from policies import load_policy
from settings import Settings
from workflows.search_attributes import ALL

OUT = Path(__file__).resolve().parent / "out"
RESULTS = Path(__file__).resolve().parent / "results"
SETTLE_S = 3.0
console = Console(stderr=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--cases", type=int, default=10_000, help="cases opened (and left open, for the memory figure)"
    )
    p.add_argument("--empty", type=int, default=2_000, help="empty workflows run for the baseline rate")
    p.add_argument("--concurrency", type=int, default=20, help="intake calls / workflow starts in flight")
    p.add_argument("--samples", type=int, default=300, help="round trips timed for each latency figure")
    p.add_argument("--latency-cases", type=int, default=20, help="cases (and trivial workflows) they go to")
    p.add_argument("--replays", type=int, default=50, help="replays timed")
    p.add_argument("--scale-cases", type=int, default=400, help="cases driven on each scale-out set-up")
    p.add_argument("--scale-actions", type=int, default=3, help="actions per case there (accept, sessions)")
    p.add_argument("--policy", default="gaotai-4x7")
    p.add_argument("--max-cached", type=int, default=None, help="the worker's sticky cache (SDK: 1000)")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="a PostgreSQL server")
    p.add_argument("--out", type=Path, default=OUT, help="scratch: logs, histories, results.json")
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        help="the results file to commit (default: bench/results/<date>.json; none for --quick)",
    )
    p.add_argument("--quick", action="store_true", help="small sizes: the smoke run of the test suite")
    p.add_argument(
        "--only",
        choices=["scale", "reports", "service"],
        default=None,
        help="run only this part (results: <date>-<part>.json)",
    )
    p.add_argument(
        "--report-cases", type=int, default=reports.CASES, help="the county's cases of the year reported on"
    )
    p.add_argument("--profile", action="store_true", help="record the worker with py-spy (out/worker.folded)")
    p.add_argument(
        "--sandboxed", action="store_true", help="workflows in the SDK sandbox (WORKFLOW_SANDBOX=true)"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.cases, args.empty, args.samples, args.latency_cases, args.replays = 60, 60, 20, 4, 5
        args.concurrency, args.scale_cases = min(args.concurrency, 20), 20
        args.report_cases = min(args.report_cases, reports.QUICK_CASES)
    return args


def ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 3), "p99": round(percentile(values, 0.99), 3)}


async def measure(args: argparse.Namespace) -> Results:
    if args.only == "reports":
        return await measure_reports(args)
    started, clock, host = datetime.now(UTC), time.perf_counter(), machine()
    registry = build_registry()
    path = write_registry(args.out / "county", registry)
    county = County(registry)
    settings = Settings()
    keys, converter = production_codec(args.out)
    details: dict[str, Any] = {}
    with postgres(args.database_url, OUT) as server:
        db_url, engine = await fresh_database(server, path)
        env = await WorkflowEnvironment.start_local(
            data_converter=converter,
            dev_server_existing_path=str(BIN / "temporal"),
            dev_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
            search_attributes=ALL,
        )
        try:
            address = env.client.service_client.config.target_host
            task_queue = f"bench-{uuid.uuid4().hex[:6]}"
            extra = {"BENCH_MAX_CACHED_WORKFLOWS": str(args.max_cached)} if args.max_cached else {}
            extra["WORKFLOW_SANDBOX"] = str(args.sandboxed).lower()
            async with worker_process(
                address, db_url, task_queue, args.out / "worker.log", keys, **extra
            ) as worker:
                b = scenarios.Bench(
                    env.client, engine, county, load_policy(args.policy), task_queue, args.concurrency
                )
                b.worker_metrics = worker.metrics_url
                stack = (address, db_url, task_queue, keys)
                with spy(worker.pid, args.out / "worker.folded", args.profile):
                    if args.only == "scale":
                        details = await run_scale(args, b, worker, stack, extra)
                    elif args.only == "service":
                        details = await run_service(args, b, stack)
                    else:
                        details = await run_phases(args, b, worker, stack, extra)
        finally:
            await env.shutdown()
            await engine.dispose()
        if args.only is None:
            reported = await reports.measure(server, path, county, **report_sizes(args))
            details["values"] |= reported.values
            details["notes"] |= reported.notes
            details["reports"] = reported.details
    values, notes = details.pop("values"), details.pop("notes")
    return Results(
        started_at=started,
        seconds=round(time.perf_counter() - clock, 1),
        machine={**host, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        settings={
            "cases": args.cases,
            "empty_workflows": args.empty,
            "concurrency": args.concurrency,
            "samples": args.samples,
            "latency_cases": args.latency_cases,
            "replays": args.replays,
            "scale_cases": args.scale_cases,
            "scale_actions": args.scale_actions,
            "only": args.only,
            "policy": args.policy,
            "max_cached_workflows": args.max_cached or 1000,
            "max_concurrent_workflow_tasks": settings.max_concurrent_workflow_tasks,
            "max_concurrent_activities": settings.max_concurrent_activities,
            "db_pool_size": settings.db_pool_size,
            "log_level": settings.log_level,
            "quick": args.quick,
            "commit": source_commit(),
            "workflow_sandbox": args.sandboxed,
            "payload_codec": "AES-256-GCM (crypto/codec.py), every client and worker of the run",
            "outbox_dispatcher": "on (log sender)",
            "metrics": "on (Prometheus)",
            "report_cases": args.report_cases,
        },
        figures=figures(values, notes),
        details=details,
    )


async def run_scale(
    args: argparse.Namespace,
    b: scenarios.Bench,
    worker: Any,
    stack: tuple[str, str, str, Path],
    env: dict[str, str],
) -> dict[str, Any]:
    """The scale-out part (bench/scale.py): one worker and one service, then two and two."""
    with console.status(f"scale out: {args.scale_cases} cases on 1 + 1, then on 2 + 2"):
        s = await scale.scale_out(b, worker, stack, args.out, args.scale_cases, args.scale_actions, env)
    return {"values": s.values, "notes": s.notes, "scale_out": s.details}


def report_sizes(args: argparse.Namespace) -> dict[str, Any]:
    return {"cases": args.report_cases, "runs": reports.QUICK_RUNS if args.quick else reports.RUNS}


async def measure_reports(args: argparse.Namespace) -> Results:
    """`--only reports`: the year of the county and the supervisors' reads, nothing else."""
    started, clock, host = datetime.now(UTC), time.perf_counter(), machine()
    registry = build_registry()
    path = write_registry(args.out / "county", registry)
    with postgres(args.database_url, OUT) as server:
        reported = await reports.measure(server, path, County(registry), **report_sizes(args))
    return Results(
        started_at=started,
        seconds=round(time.perf_counter() - clock, 1),
        machine={**host, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        settings={
            "cases": args.report_cases,
            "report_cases": args.report_cases,
            "only": "reports",
            "quick": args.quick,
            "commit": source_commit(),
        },
        figures=figures(reported.values, reported.notes),
        details={"reports": reported.details},
    )


def service_values(through: dict[str, list[float]]) -> dict[str, tuple[float | None, float]]:
    if not through:
        return {}
    client, http, page, inbox = (ms(through[k]) for k in ("client", "http", "case_page", "inbox"))
    overdue, counts = ms(through["overdue_list"]), ms(through["county_counts"])
    floor: dict[str, tuple[float | None, float]] = {}
    if "http_floor" in through:
        http_floor = ms(through["http_floor"])
        floor = {
            "service_floor_p50": (client["p50"], http_floor["p50"]),
            "service_action_p50_floor": (http_floor["p50"], http["p50"]),
            "service_floor_cpu": (through["floor_cpu_ms"][0], through["cpu_ms"][1]),
        }
    return floor | {
        "service_action_p50": (client["p50"], http["p50"]),
        "service_action_p99": (client["p99"], http["p99"]),
        "case_page_p50": (None, page["p50"]),
        "case_page_p99": (None, page["p99"]),
        "inbox_p50": (None, inbox["p50"]),
        "inbox_p99": (None, inbox["p99"]),
        "service_action_cpu": (through["cpu_ms"][0], through["cpu_ms"][1]),
        "overdue_list_p50": (None, overdue["p50"]),
        "overdue_list_p99": (None, overdue["p99"]),
        "county_counts_p50": (None, counts["p50"]),
        "county_counts_p99": (None, counts["p99"]),
    }


def service_notes(through: dict[str, list[float]]) -> dict[str, str]:
    if not through:
        return {}
    own = through["http_client_cpu_ms"][0]
    return {"service_action_cpu": f"the HTTP client's own CPU {own:.1f} ms per action (this process)"}


async def through_service(
    args: argparse.Namespace, b: scenarios.Bench, stack: tuple[str, str, str, Path]
) -> dict[str, list[float]]:
    """The service (`python -m api`) and the HTTP floor (`bench.floor_api`) as processes of their
    own, and the round trips timed through them and through the client."""
    secret = service.new_secret()
    async with (
        service.api_process(*stack, args.out / "api.log", secret) as api,
        service.service_process(*stack, args.out / "floor-api.log", secret, "bench.floor_api") as floor_api,
    ):
        profile = args.out / "api.folded" if args.profile else None
        return await service.service_round_trips(
            b, api, secret, args.samples, args.latency_cases, profile, floor_api
        )


async def run_service(
    args: argparse.Namespace, b: scenarios.Bench, stack: tuple[str, str, str, Path]
) -> dict[str, Any]:
    """`--only service`: the service's round trips on `--latency-cases` cases, nothing else (to
    work on the service; the full run takes them with the county's open cases)."""
    with console.status("the service: an action over HTTP and through the client, the case page, the inbox"):
        through = await through_service(args, b, stack)
    return {
        "values": service_values(through),
        "notes": service_notes(through),
        "latency_ms": {f"service_{k}": ms(v) for k, v in through.items()},
    }


async def run_phases(
    args: argparse.Namespace,
    b: scenarios.Bench,
    worker: Any,
    stack: tuple[str, str, str, Path],
    env: dict[str, str],
) -> dict[str, Any]:
    n = args.cases
    step = console.status("starting")
    with step:
        rss_idle = worker.rss_mb()
        step.update(f"baseline: {args.empty} empty workflows")
        meter = CpuMeter(worker, await postmaster_pid(b.engine))
        b.meter = meter
        cpu, gc_s = meter.read(), await gc_seconds(worker.own_metrics_url)
        empty_s = await scenarios.empty_workflows(b, args.empty)
        empty_cpu = meter.since(cpu, args.empty)
        empty_gc_ms = (await gc_seconds(worker.own_metrics_url) - gc_s) * 1000 / args.empty
        empty_cpu_ms = empty_cpu["worker"]
        await asyncio.sleep(SETTLE_S)
        rss_baseline = worker.rss_mb()

        step.update(f"engine: opening {n} cases")
        cpu, gc_s = meter.read(), await gc_seconds(worker.own_metrics_url)
        open_s, _ = await scenarios.open_cases(b, n)
        case_cpu = meter.since(cpu, n)
        case_gc_ms = (await gc_seconds(worker.own_metrics_url) - gc_s) * 1000 / n
        case_cpu_ms = case_cpu["worker"]
        await asyncio.sleep(SETTLE_S)
        rss_open = worker.rss_mb()
        step.update(f"the dispatcher sending the {n} cases' handoff notices")
        drained = await scenarios.until_outbox_drained(b, timeout=max(60.0, n / 50))
        # the same, until the notices are sent: what the dispatcher does after the openings counts
        sent_cpu = meter.since(cpu, n)

        step.update(
            "actions: the bare update, the floor, the floor with the action's payloads and record_session,"
            f" in {scenarios.turns(args.samples)} turns"
        )
        timed = await scenarios.action_round_trips(b, args.samples, args.latency_cases)
        updates = timed.updates
        bare_update, floor, floor_view = (
            updates[k] for k in ("bare_update", "floor_update", "floor_view_update")
        )
        action, bare_query, query = updates["record_session"], timed.bare_query, timed.state_query

        through: dict[str, list[float]] = {}
        if service.available():
            step.update("the service: an action over HTTP and through the client, the case page, the inbox")
            through = await through_service(args, b, stack)

        step.update("engine: a four-level escalation and a village agreement, to the end")
        full_case = b.handle(await scenarios.full_escalation(b))
        escalation = await scenarios.count_history(full_case)
        village = await scenarios.count_history(b.handle(await scenarios.village_agreement(b)))
        step.update("floor: a case of the same shape without the engine, to the end")
        floor_case = b.handle(await scenarios.floor_case(b, escalation.updates))
        floor_shape = await scenarios.count_history(floor_case)
        empty_case = b.client.get_workflow_handle(f"empty-{b.run}-0")
        empty = await scenarios.count_history(empty_case)

        step.update("replaying")
        full_history = await full_case.fetch_history()
        (args.out / "four_level_escalation.json").write_text(full_history.to_json(), encoding="utf-8")
        empty_history = await empty_case.fetch_history()
        floor_history = await floor_case.fetch_history()
        (args.out / "floor_case.json").write_text(floor_history.to_json(), encoding="utf-8")
        outbox = await scenarios.outbox_counts(b)
        replay = {"sandboxed": args.sandboxed, "converter": b.client.data_converter}
        if args.profile:  # this process replays the full case alone, for the profile
            with spy(os.getpid(), args.out / "replay.folded"):
                await scenarios.replay_ms(full_history, args.replays, **replay)
        replays = await scenarios.replay_side_by_side(
            {"case": full_history, "floor": floor_history, "empty": empty_history}, args.replays, **replay
        )
        replay_case, replay_case_cpu = replays["case"].ms, replays["case"].cpu_ms
        replay_floor, replay_floor_cpu = replays["floor"].ms, replays["floor"].cpu_ms
        replay_empty, replay_empty_cpu = replays["empty"].ms, replays["empty"].cpu_ms

    scaled = await run_scale(args, b, worker, stack, env) if service.available() else {}

    a, q, bu, bq, fl = ms(action), ms(query), ms(bare_update), ms(bare_query), ms(floor)
    fv = ms(floor_view)
    values = {
        "open_rate": (args.empty / empty_s, n / open_s),
        "action_p50_floor": (fl["p50"], a["p50"]),
        "action_p99_floor": (fl["p99"], a["p99"]),
        "action_p50_floor_view": (fv["p50"], a["p50"]),
        "action_p99_floor_view": (fv["p99"], a["p99"]),
        "action_p50": (bu["p50"], a["p50"]),
        "action_p99": (bu["p99"], a["p99"]),
        "query_p50": (bq["p50"], q["p50"]),
        "query_p99": (bq["p99"], q["p99"]),
        "events_escalation": (float(empty.events), float(escalation.events)),
        "activities_escalation": (None, escalation.activities_per_transition),
        "events_village": (float(empty.events), float(village.events)),
        "activities_village": (None, village.activities_per_transition),
        "replay_p50": (percentile(replay_empty, 0.5), percentile(replay_case, 0.5)),
        "replay_cpu": (replay_empty_cpu, replay_case_cpu),
        "replay_floor_p50": (percentile(replay_floor, 0.5), percentile(replay_case, 0.5)),
        "replay_floor_cpu": (replay_floor_cpu, replay_case_cpu),
        "rss_open_cases": (rss_idle, rss_open),
        "replay_per_task": (
            percentile(replay_empty, 0.5) / empty.workflow_tasks,
            percentile(replay_case, 0.5) / escalation.workflow_tasks,
        ),
        "cpu_per_case": (empty_cpu_ms, case_cpu_ms),
        "gc_per_case": (empty_gc_ms, case_gc_ms),
        "server_cpu_per_case": (empty_cpu["server"], case_cpu["server"]),
        "postgres_cpu_per_case": (empty_cpu["postgres"] or None, case_cpu["postgres"]),
    }
    per_update = b.update_cpu
    if {"floor_update", "record_session"} <= set(per_update):
        floor_cpu, action_cpu = per_update["floor_update"], per_update["record_session"]
        values |= {
            "action_worker_cpu_floor": (floor_cpu["worker"], action_cpu["worker"]),
            "action_cpu_floor": (sum(floor_cpu.values()), sum(action_cpu.values())),
        }
    if {"floor_view_update", "record_session"} <= set(per_update):
        view_cpu, action_cpu = per_update["floor_view_update"], per_update["record_session"]
        values |= {
            "action_worker_cpu_floor_view": (view_cpu["worker"], action_cpu["worker"]),
            "action_cpu_floor_view": (sum(view_cpu.values()), sum(action_cpu.values())),
        }
    values |= service_values(through)
    values |= scaled.get("values", {})
    notes = scaled.get("notes", {}) | {
        "activities_escalation": f"{escalation.activities} activities, {escalation.transitions} transitions",
        "activities_village": f"{village.activities} activities, {village.transitions} transitions",
        "rss_open_cases": f"{n} open cases waiting on timers; after the baseline: {rss_baseline:.0f} MB",
        "replay_per_task": f"{escalation.workflow_tasks} workflow tasks (empty: {empty.workflow_tasks})",
        "replay_floor_p50": (
            f"floor: {floor_shape.workflow_tasks} workflow tasks, {floor_shape.updates} updates,"
            f" {floor_shape.activities} local activities, {floor_shape.events} events; the case:"
            f" {escalation.workflow_tasks}, {escalation.updates}, {escalation.activities},"
            f" {escalation.events}"
        ),
    }
    notes |= service_notes(through)
    return {
        "values": values,
        "notes": notes,
        "seconds": {
            "empty_workflows": round(empty_s, 2),
            "open_cases": round(open_s, 2),
            "outbox_drained_after_opening": round(drained[0], 1),
        },
        "outbox_pending_before_latencies": drained[1],
        "action_turns": scenarios.turns(args.samples),
        "latency_ms": {
            "bare_update": bu,
            "floor_update": fl,
            "floor_view_update": fv,
            "bare_query": bq,
            "record_session": a,
            "state_query": q,
            **({f"service_{k}": ms(v) for k, v in through.items()} if through else {}),
        },
        "histories": {
            "four_level_escalation": vars(escalation),
            "village_agreement": vars(village),
            "empty_workflow": vars(empty),
            "floor_case": vars(floor_shape),
        },
        "replay_ms": {
            "full_case": ms(replay_case),
            "floor_case": ms(replay_floor),
            "empty_workflow": ms(replay_empty),
        },
        "replay_cpu_ms": {
            "full_case": round(replay_case_cpu, 2),
            "floor_case": round(replay_floor_cpu, 2),
            "empty_workflow": round(replay_empty_cpu, 2),
        },
        "rss_mb": {
            "idle": round(rss_idle, 1),
            "after_baseline": round(rss_baseline, 1),
            "open_cases": round(rss_open, 1),
        },
        "cpu_ms": {
            "per_empty_workflow": empty_cpu,
            "per_case_opened": case_cpu,
            "per_case_opened_and_notice_sent": sent_cpu,
        },
        "cpu_ms_per_update": per_update,
        "outbox": outbox,
        "worker_cpu_ms": {
            "per_empty_workflow": round(empty_cpu_ms, 2),
            "per_case_opened": round(case_cpu_ms, 2),
        },
        "worker_gc_ms": {
            "per_empty_workflow": round(empty_gc_ms, 3),
            "per_case_opened": round(case_gc_ms, 3),
        },
        **({"scale_out": scaled["scale_out"]} if scaled else {}),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(measure(args))
    out = args.out / "results.json"
    out.write_text(results.to_json() + "\n", encoding="utf-8")
    name = results.started_at.date().isoformat() + (f"-{args.only}" if args.only else "")
    kept = args.results or (None if args.quick else RESULTS / f"{name}.json")
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(results.to_json() + "\n", encoding="utf-8")
    Console(width=max(Console().width, 150)).print(table(results))
    cpu = results.details.get("cpu_ms", {})
    for what, key in (
        ("an empty workflow", "per_empty_workflow"),
        ("a case opened", "per_case_opened"),
        ("a case opened, its notice sent", "per_case_opened_and_notice_sent"),
    ):
        parts = " · ".join(f"{name} {ms:.1f}" for name, ms in cpu.get(key, {}).items())
        if parts:
            Console().print(f"CPU ms for {what}: {parts}")
    if "scale_out" in results.details:
        Console(width=max(Console().width, 150)).print(scale.table(results.details["scale_out"]))
    console.print(f"wrote {out} ({results.seconds:.0f} s)")
    if kept is not None and args.only:
        console.print(f"wrote {kept} (the {args.only} part alone: not for bench.render)")
    elif kept is not None:
        console.print(f"wrote {kept}: commit it, then `python -m bench.render {kept}` updates BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
