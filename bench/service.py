"""The service's figures: an action through the HTTP API against the same action through the
Temporal client, and the inbox and case pages, with the benchmark's open cases in the county.

Runs when the FastAPI service (`api/`) is there: `python -m api` as its own process, configured
like a deployment (the run's Temporal server, database, task queue and key file), on a port of
its own. Who acts is logged in: a session is opened for each mediator the way a login opens one
(`service.identity.Identity.open_session`, under the service's SESSION_SECRET), and every action
carries an `Idempotency-Key`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

from bench.profile import spy
from bench.scenarios import Bench, accept, act, open_cases, session
from bench.stack import ROOT, bench_fields, free_port, subprocess_env
from models.view import CaseView

API_START_S = 60.0


def available() -> bool:
    return importlib.util.find_spec("api") is not None


@dataclass(frozen=True)
class ServiceProcess:
    """A `python -m api` process and the base URL it answers on."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@asynccontextmanager
async def api_process(
    address: str, database: str, task_queue: str, keys: Path, log: Path, secret: str
) -> AsyncIterator[ServiceProcess]:
    """`python -m api` on a free port; yielded once it answers."""
    async with service_process(address, database, task_queue, keys, log, secret) as api:
        yield api


@asynccontextmanager
async def service_process(
    address: str, database: str, task_queue: str, keys: Path, log: Path, secret: str, module: str = "api"
) -> AsyncIterator[ServiceProcess]:
    """`python -m api` (or `module`) on a free port, configured like a deployment; yielded once it
    answers. Services started with the same `secret` accept each other's session tokens."""
    port = free_port()
    environment = subprocess_env(
        keys,
        TEMPORAL_ADDRESS=address,
        DATABASE_URL=database,
        TASK_QUEUE=task_queue,
        SESSION_SECRET=secret,
        API_PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, env=environment, stdout=out, stderr=out
        )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            deadline = time.monotonic() + API_START_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the service exited ({process.returncode}); see {log}")
                try:
                    if (await http.get("/openapi.json")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the service did not start in {API_START_S:.0f} s; see {log}")
                await asyncio.sleep(0.2)
        yield ServiceProcess(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()


async def open_sessions(b: Bench, secret: str, people: Iterable[str]) -> dict[str, str]:
    """A session token for each person, opened the way a login opens one (under `secret`)."""
    from service.identity import Identity, LoginPolicy  # the service's own code: only when it is there

    identity = Identity(b.engine, LoginPolicy(secret=secret), bench_fields())
    tokens: dict[str, str] = {}
    for person in dict.fromkeys(people):
        async with b.engine.begin() as conn:
            tokens[person] = (await identity.open_session(conn, person, datetime.now(UTC))).token
    return tokens


# the county's supervisor of the synthetic county (bench/county.py `directory`): scope the county
COUNTY_SUPERVISOR = "SV-0001"


async def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call
    return (time.perf_counter() - start) * 1000, result


async def service_round_trips(
    b: Bench,
    api: ServiceProcess,
    secret: str,
    samples: int,
    cases: int,
    profile: Path | None = None,
    floor: ServiceProcess | None = None,
) -> dict[str, list[float]]:
    """ms of: `record_session` through the Temporal client, through the service's HTTP API and
    through `floor`'s (bench/floor_api.py: the framework and the update alone), alternating on the
    same accepted cases; a case page (GET /cases/{id}) and the case's committee inbox. `profile`:
    then `samples` more actions over HTTP alone, the service process recorded by py-spy into that
    file."""
    url = api.url
    _, ids = await open_cases(b, cases)
    views: dict[str, CaseView] = {case_id: await accept(b, case_id) for case_id in ids}
    actors = [b.county.actor(view.committee_id, b.rng).id for view in views.values()]
    tokens = await open_sessions(b, secret, [*actors, COUNTY_SUPERVISOR])
    by_case = {case_id: _member_token(b, views[case_id], tokens) for case_id in ids}
    found: dict[str, list[float]] = {
        "client": [],
        "http": [],
        "http_floor": [],
        "case_page": [],
        "inbox": [],
        "overdue_list": [],
        "county_counts": [],
    }
    county = b.county.code
    # aiohttp, not httpx, times the service: the client's CPU shares this machine's two cores with
    # the service and the server (a phone's does not), and httpx spends ~3 ms of it per request
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(url, timeout=timeout) as http,
        aiohttp.ClientSession(floor.url if floor else url, timeout=timeout) as floor_http,
    ):

        async def over_http(case_id: str, note: str) -> None:
            s = session(views[case_id], b, note)
            body = s.model_dump(mode="json", exclude={"actor"})
            headers = {"Authorization": f"Bearer {by_case[case_id]}", "Idempotency-Key": uuid.uuid4().hex}
            async with http.post(f"/cases/{case_id}/record_session", json=body, headers=headers) as answer:
                text = await answer.text()
                if answer.status != 200:
                    raise RuntimeError(f"record_session through the service: {answer.status} {text[:300]}")

        async def over_floor(case_id: str, note: str) -> None:
            assert floor is not None
            body = session(views[case_id], b, note).model_dump(mode="json")  # the actor in the body
            path = f"/cases/{case_id}/record_session"
            async with floor_http.post(
                path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            ) as answer:
                text = await answer.text()
                if answer.status != 200:
                    raise RuntimeError(f"record_session through the floor: {answer.status} {text[:300]}")

        async def get(path: str, case_id: str, params: dict[str, Any] | None = None) -> None:
            token = tokens[COUNTY_SUPERVISOR] if params is not None else by_case[case_id]
            async with http.get(path, params=params, headers={"Authorization": f"Bearer {token}"}) as answer:
                text = await answer.text()
                if answer.status != 200:
                    raise RuntimeError(f"GET {path}: {answer.status} {text[:300]}")

        for case_id in ids:  # warm both paths
            await act(b, case_id, "record_session", session(views[case_id], b, "warm"))
            await over_http(case_id, "warm")
            if floor is not None:
                await over_floor(case_id, "warm")
        for i in range(samples):
            case_id = ids[i % cases]
            note = f"第{i}次调解，双方到场"
            found["client"].append(
                (await _timed(act(b, case_id, "record_session", session(views[case_id], b, note))))[0]
            )
            found["http"].append((await _timed(over_http(case_id, note)))[0])
            if floor is not None:
                found["http_floor"].append((await _timed(over_floor(case_id, f"{note}（floor）")))[0])
            found["case_page"].append((await _timed(get(f"/cases/{case_id}", case_id)))[0])
            found["inbox"].append(
                (await _timed(get(f"/committees/{views[case_id].committee_id}/inbox", case_id)))[0]
            )
            overdue = {"county": county, "overdue": "true", "page_size": 50}
            found["overdue_list"].append((await _timed(get("/cases", case_id, overdue)))[0])
            counted = _timed(get("/cases/count", case_id, {"county": county}))
            overdue_counted = _timed(get("/cases/count", case_id, {"county": county, "overdue": "true"}))
            found["county_counts"].append((await counted)[0] + (await overdue_counted)[0])
        # CPU per action, the steadier figure on a shared machine: the service process for one
        # over HTTP, this process (the Temporal client's) for one through the client
        service_cpu, client_cpu = _seconds(api.pid), time.process_time()
        with spy(api.pid, profile or Path(), profile is not None):
            for i in range(samples):
                await over_http(ids[i % cases], f"第{i}次调解（CPU）")
        service_cpu = _seconds(api.pid) - service_cpu
        client_cpu, before = time.process_time() - client_cpu, time.process_time()
        for i in range(samples):
            case_id = ids[i % cases]
            await act(b, case_id, "record_session", session(views[case_id], b, f"第{i}次调解（CPU）"))
        through_client = time.process_time() - before
        found["cpu_ms"] = [1000 * through_client / samples, 1000 * service_cpu / samples]
        found["http_client_cpu_ms"] = [1000 * client_cpu / samples]
        if floor is not None:
            floor_cpu = _seconds(floor.pid)
            for i in range(samples):
                await over_floor(ids[i % cases], f"第{i}次调解（CPU, floor）")
            found["floor_cpu_ms"] = [1000 * (_seconds(floor.pid) - floor_cpu) / samples]
    if not found["http_floor"]:
        del found["http_floor"]
    return found


def _seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _member_token(b: Bench, view: CaseView, tokens: dict[str, str]) -> str:
    members = {m.id for m in b.county.members[view.committee_id]}
    return next(token for person, token in tokens.items() if person in members)


def new_secret() -> str:
    return secrets.token_urlsafe(32)
