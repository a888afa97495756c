"""Scale out: the same load on one worker and one service, then on two of each sharing one task queue.

The load is what the service carries in a deployment: cases opened through `POST /cases` and the
mediators' actions through the HTTP API (`accept`, then `record_session`), each person logged in,
every action with an `Idempotency-Key`; `concurrency` cases in flight, each case's requests one
after the other, the requests spread round robin over the services (a load balancer's part).
For each set-up: requests per second, p50/p99 of an opening and of an action, the CPU each
process spent per case, and how the load split: each worker's workflow tasks and local
activities (its Prometheus metrics), each service's requests and CPU. Then nothing may have been
done twice: every opening and every tenth action is sent again (the same intake, the same key) to
the other service, and the database must hold each case once with exactly its sessions.

Two workers on 2 cores cannot raise the rate much: every process of the stack shares the same
two cores. What this measures is that two of each share the load and nothing breaks.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.table import Table
from sqlalchemy import text

from bench.county import make_intake
from bench.measure import bounded, percentile, task_counts
from bench.scenarios import Bench, count_history
from bench.service import ServiceProcess, new_secret, open_sessions, service_process
from bench.stack import CpuMeter, WorkerProcess, postmaster_pid, worker_process
from workflows import MediationCase

RESEND_EVERY = 10  # every tenth case's last action is sent again
HISTORY_SAMPLE = 5  # cases whose history is fetched for its size
WARM_CASES = 5  # cases per service before the first set-up
CASE_TABLES = ("cases", "stages", "case_parties", "case_events", "outbox", "audit_log")
TABLE_BYTES_SQL = text(
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
)
SESSIONS_SQL = text(
    "SELECT c.case_id, c.version, (SELECT count(*) FROM case_events e WHERE e.case_id = c.case_id"
    " AND e.kind = 'session') FROM cases c WHERE c.case_id = ANY(:ids)"
)


@dataclass
class CaseRun:
    """One case as the load drove it: what was sent last, and the answers' version."""

    opening: dict[str, Any]
    person: str
    token: str
    case_id: str = ""
    last_path: str = ""
    last_body: dict[str, Any] = field(default_factory=dict)
    last_key: str = ""
    version: int = 0
    opened_by: int = 0  # the services that took the opening and the last action
    last_by: int = 0


@dataclass
class Driver:
    """Requests over HTTP, round robin over `services`, each one timed."""

    http: httpx.AsyncClient
    services: Sequence[ServiceProcess]
    served: list[int]
    open_ms: list[float] = field(default_factory=list)
    action_ms: list[float] = field(default_factory=list)
    turn: itertools.count[int] = field(default_factory=itertools.count)

    async def post(
        self, path: str, body: dict[str, Any], token: str, key: str | None = None, *, to: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """The service that answered (the next in turn, or `to`, untimed) and its answer."""
        i = next(self.turn) % len(self.services) if to is None else to % len(self.services)
        headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
        start = time.perf_counter()
        answer = await self.http.post(self.services[i].url + path, json=body, headers=headers)
        ms = (time.perf_counter() - start) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"POST {path} through service {i}: {answer.status_code} {answer.text[:300]}")
        if to is None:
            self.served[i] += 1
            (self.action_ms if key else self.open_ms).append(ms)
        result: dict[str, Any] = answer.json()
        return i, result


def _seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class Meter:
    """CPU seconds of every process of a set-up: each worker, each service, the dev server,
    PostgreSQL and this process (the driver)."""

    def __init__(self, meter: CpuMeter, workers: Sequence[WorkerProcess], services: Sequence[ServiceProcess]):
        self.meter, self.workers, self.services = meter, workers, services

    def read(self) -> dict[str, float]:
        common = self.meter.read()
        return {
            **{f"worker_{i + 1}": _seconds(w.pid) for i, w in enumerate(self.workers)},
            **{f"service_{i + 1}": _seconds(s.pid) for i, s in enumerate(self.services)},
            "server": common["server"],
            "postgres": common["postgres"],
            "driver": common["client"],
        }


async def drive(b: Bench, driver: Driver, runs: list[CaseRun], actions: int) -> None:
    """Each case: opened, accepted by its reporter (a member of the grid's committee), then
    `actions - 1` sessions; `b.concurrency` cases in flight."""

    async def act(run: CaseRun, n: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        run.last_path, run.last_body = f"/cases/{run.case_id}/{action}", body
        run.last_key = f"scale-{b.run}-{run.case_id}-{n}"
        run.last_by, view = await driver.post(run.last_path, body, run.token, run.last_key)
        run.version = view["version"]
        return view

    async def one(run: CaseRun) -> None:
        run.opened_by, opened = await driver.post(f"/cases?policy={b.policy.name}", run.opening, run.token)
        run.case_id = opened["case_id"]
        view = await act(run, 0, "accept", {"mediator_ids": [run.person]})
        for n in range(1, actions):
            session = {
                "held_at": datetime.now(UTC).isoformat(),
                "attendees": [p["party_id"] for p in view["parties"]],
                "notes": f"第{n}次调解，双方到场",
            }
            view = await act(run, n, "record_session", session)

    await bounded(runs, b.concurrency, one)


async def resend_and_check(b: Bench, driver: Driver, runs: list[CaseRun], actions: int) -> dict[str, Any]:
    """Every opening and every `RESEND_EVERY`th last action again, to the other service than
    the one that answered first (the same when there is one); then the database: each case
    once, with exactly `actions - 1` sessions and the version its last answer gave."""
    reopened = same_answer = 0
    for i, run in enumerate(runs):
        path = f"/cases?policy={b.policy.name}"
        _, again = await driver.post(path, run.opening, run.token, to=run.opened_by + 1)
        reopened += again["case_id"] == run.case_id and not again["created"]
        if i % RESEND_EVERY == 0:
            _, view = await driver.post(
                run.last_path, run.last_body, run.token, run.last_key, to=run.last_by + 1
            )
            same_answer += view["version"] == run.version
    async with b.engine.connect() as conn:
        rows = (await conn.execute(SESSIONS_SQL, {"ids": [r.case_id for r in runs]})).all()
    found = {case_id: (version, sessions) for case_id, version, sessions in rows}
    distinct = len({r.case_id for r in runs}) == len(runs)  # no two openings made one case
    once = sum(found.get(r.case_id) == (r.version, actions - 1) for r in runs) if distinct else 0
    resent_actions = len(range(0, len(runs), RESEND_EVERY))
    return {
        "cases": len(runs),
        "case_rows": len(found),
        "recorded_once": once,
        "openings_resent": len(runs),
        "openings_answered_with_the_first_case": reopened,
        "actions_resent": resent_actions,
        "actions_answered_with_the_first_answer": same_answer,
        "handled_once": round((once + reopened + same_answer) / (2 * len(runs) + resent_actions), 4),
    }


async def rows_per_case(b: Bench, ids: list[str]) -> dict[str, Any]:
    """Rows and bytes (pg_column_size of the rows) each case holds in each table."""
    per: dict[str, Any] = {}
    async with b.engine.connect() as conn:
        for table in CASE_TABLES:
            sql = text(
                f"SELECT count(*), coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t"
                " WHERE t.case_id = ANY(:ids)"
            )
            count, size = (await conn.execute(sql, {"ids": ids})).one()
            per[table] = {"rows": round(count / len(ids), 2), "bytes": round(size / len(ids))}
    return per


async def table_bytes(b: Bench) -> int:
    async with b.engine.connect() as conn:
        return int((await conn.execute(TABLE_BYTES_SQL)).scalar_one())


async def history_size(b: Bench, ids: list[str]) -> dict[str, float]:
    """Events and bytes (serialised protobuf, payloads sealed) of a few of the cases' histories."""
    events = size = 0
    sample = ids[:HISTORY_SAMPLE]
    for case_id in sample:
        async for event in b.handle(case_id).fetch_history_events():
            events += 1
            size += event.ByteSize()
    tasks = sum([(await count_history(b.handle(c))).workflow_tasks for c in sample])
    return {
        "events": round(events / len(sample), 1),
        "bytes": round(size / len(sample)),
        "workflow_tasks": round(tasks / len(sample), 1),
    }


async def new_runs(b: Bench, secret: str, cases: int) -> list[CaseRun]:
    """`cases` new intakes, each with its reporter logged in."""
    now = datetime.now(UTC)
    intakes = [make_intake(b.county, b.rng, ref=b.ref(), at=now) for _ in range(cases)]
    tokens = await open_sessions(b, secret, [i.reporter.id for i in intakes])
    return [
        CaseRun(i.model_dump(mode="json", exclude={"reporter"}), i.reporter.id, tokens[i.reporter.id])
        for i in intakes
    ]


async def warm_up(b: Bench, services: Sequence[ServiceProcess], secret: str, actions: int) -> None:
    """A few cases through every service, untimed: the first requests of a process pay for what
    it loads once."""
    async with httpx.AsyncClient(timeout=60) as http:
        driver = Driver(http, services, [0] * len(services))
        await drive(b, driver, await new_runs(b, secret, WARM_CASES * len(services)), actions)


async def one_setup(
    b: Bench,
    workers: Sequence[WorkerProcess],
    services: Sequence[ServiceProcess],
    meter: CpuMeter,
    secret: str,
    cases: int,
    actions: int,
) -> dict[str, Any]:
    """The load on `workers` and `services`: its figures, the split, the check."""
    runs = await new_runs(b, secret, cases)
    processes = Meter(meter, workers, services)
    tasks_before = [await task_counts(w.metrics_url, MediationCase.__name__) for w in workers]
    cpu_before, bytes_before = processes.read(), await table_bytes(b)
    async with httpx.AsyncClient(timeout=60) as http:
        driver = Driver(http, services, [0] * len(services))
        start = time.perf_counter()
        await drive(b, driver, runs, actions)
        seconds = time.perf_counter() - start
        cpu_after = processes.read()
        tasks_after = [await task_counts(w.metrics_url, MediationCase.__name__) for w in workers]
        ids = [r.case_id for r in runs]
        stored = {
            "rows_per_case": await rows_per_case(b, ids),
            "table_bytes_per_case": round((await table_bytes(b) - bytes_before) / cases),
        }
        check = await resend_and_check(b, driver, runs, actions)
    tasks = [
        {k: after[k] - before[k] for k in after}
        for before, after in zip(tasks_before, tasks_after, strict=True)
    ]
    total_tasks = sum(t["workflow_tasks"] for t in tasks) or 1.0
    cpu_ms = {k: round((cpu_after[k] - cpu_before[k]) * 1000 / cases, 2) for k in cpu_after}
    service_cpu = [cpu_ms[f"service_{i + 1}"] for i in range(len(services))]
    requests = len(driver.open_ms) + len(driver.action_ms)
    return {
        "workers": len(workers),
        "services": len(services),
        "cases": cases,
        "requests": requests,
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 2),
        "open_ms": _ms(driver.open_ms),
        "action_ms": _ms(driver.action_ms),
        "worker_tasks": [{k: int(v) for k, v in t.items()} for t in tasks],
        "worker_task_shares": [round(t["workflow_tasks"] / total_tasks, 3) for t in tasks],
        "service_requests": driver.served,
        "service_cpu_shares": [round(c / (sum(service_cpu) or 1.0), 3) for c in service_cpu],
        "cpu_ms_per_case": cpu_ms,
        "cpu_ms_per_case_all": round(sum(cpu_ms.values()), 2),
        **stored,
        "history_per_case": await history_size(b, ids),
        "check": check,
    }


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 3), "p99": round(percentile(values, 0.99), 3)}


@dataclass(frozen=True)
class ScaleOut:
    values: dict[str, tuple[float | None, float]]
    notes: dict[str, str]
    details: dict[str, Any]


async def scale_out(
    b: Bench,
    first: WorkerProcess,
    stack: tuple[str, str, str, Path],
    out: Path,
    cases: int,
    actions: int,
    worker_env: dict[str, str],
) -> ScaleOut:
    """(a) `first` and one service, (b) `first`, a second worker on the same task queue and two
    services; `cases` cases of `actions` actions each on each."""
    address, database, task_queue, keys = stack
    secret = new_secret()
    meter = CpuMeter(first, await postmaster_pid(b.engine))
    async with AsyncExitStack() as running:
        services = [
            await running.enter_async_context(
                service_process(address, database, task_queue, keys, out / f"api-scale-{i + 1}.log", secret)
            )
            for i in range(2)
        ]
        await warm_up(b, services, secret, actions)
        one = await one_setup(b, [first], services[:1], meter, secret, cases, actions)
        second = await running.enter_async_context(
            worker_process(address, database, task_queue, out / "worker-2.log", keys, **worker_env)
        )
        two = await one_setup(b, [first, second], services, meter, secret, cases, actions)
    return ScaleOut(values(one, two), notes(one, two), {"one_and_one": one, "two_and_two": two})


def values(one: dict[str, Any], two: dict[str, Any]) -> dict[str, tuple[float | None, float]]:
    return {
        "scale_rate": (one["requests_per_s"], two["requests_per_s"]),
        "scale_open_p50": (one["open_ms"]["p50"], two["open_ms"]["p50"]),
        "scale_open_p99": (one["open_ms"]["p99"], two["open_ms"]["p99"]),
        "scale_action_p50": (one["action_ms"]["p50"], two["action_ms"]["p50"]),
        "scale_action_p99": (one["action_ms"]["p99"], two["action_ms"]["p99"]),
        "scale_cpu_per_case": (one["cpu_ms_per_case_all"], two["cpu_ms_per_case_all"]),
        "scale_worker_share": (None, min(two["worker_task_shares"])),
        "scale_service_share": (None, min(two["service_cpu_shares"])),
        "scale_handled_once": (one["check"]["handled_once"], two["check"]["handled_once"]),
    }


def notes(one: dict[str, Any], two: dict[str, Any]) -> dict[str, str]:
    tasks = " / ".join(str(t["workflow_tasks"]) for t in two["worker_tasks"])  # the queries' too
    local = " / ".join(str(t["local_activities"]) for t in two["worker_tasks"])
    cpu = " / ".join(f"{two['cpu_ms_per_case'][f'service_{i + 1}']:.1f}" for i in range(two["services"]))
    return {
        "scale_rate": f"{two['cases']} cases of {two['requests'] // two['cases']} requests on each set-up;"
        " 2 cores: a second worker shares the same cores",
        "scale_worker_share": f"workflow tasks (queries included) {tasks}, local activities {local}",
        "scale_service_share": f"requests {' / '.join(map(str, two['service_requests']))},"
        f" CPU ms per case {cpu}",
        "scale_handled_once": f"{two['check']['recorded_once']} of {two['cases']} cases recorded once;"
        f" {two['check']['openings_resent']} openings and {two['check']['actions_resent']} actions resent",
    }


def table(details: dict[str, Any]) -> Table:
    """The two set-ups side by side: rate, latency, and how the load split."""
    t = Table(title="scale out: one worker + one service against two + two, one task queue (2 cores)")
    for column in (
        "set-up",
        "req/s",
        "open p50/p99 ms",
        "action p50/p99 ms",
        "workflow tasks",
        "CPU ms/case",
        "once",
    ):
        t.add_column(column, justify="left" if column == "set-up" else "right")
    for name, d in details.items():
        shares = " / ".join(f"{s:.0%}" for s in d["worker_task_shares"])
        t.add_row(
            f"{d['workers']} + {d['services']} ({name.replace('_', ' ')})",
            f"{d['requests_per_s']:.1f}",
            f"{d['open_ms']['p50']:.0f} / {d['open_ms']['p99']:.0f}",
            f"{d['action_ms']['p50']:.0f} / {d['action_ms']['p99']:.0f}",
            shares,
            f"{d['cpu_ms_per_case_all']:.0f}",
            f"{d['check']['handled_once']:.0%}",
        )
    return t
