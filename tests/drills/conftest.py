"""A drill's stack: its own dev server, a fresh database, the real worker process and its sender file."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from clients import connect
from settings import Settings
from tests.databases import fresh_database
from tests.drills.processes import DevServer, Postgres, WorkerProcess
from tests.drills.sender import FILE_VARIABLE
from tests.factories import SUITE_KEYS, keyed


@dataclass
class Drill:
    server: DevServer
    client: Client
    engine: AsyncEngine
    worker: WorkerProcess
    sent: Path
    task_queue: str


async def _drill(
    folder: Path, database_url: str, engine: AsyncEngine, *, persistent: bool = False
) -> AsyncIterator[Drill]:
    server = DevServer(folder, persistent=persistent)
    await server.start()
    task_queue = f"drill-{uuid.uuid4().hex[:6]}"
    sent = folder / "sent.txt"
    env = keyed(
        {
            **os.environ,
            "TEMPORAL_ADDRESS": server.address,
            "TEMPORAL_NAMESPACE": "default",
            "DATABASE_URL": database_url,
            "TASK_QUEUE": task_queue,
            "METRICS_PORT": "0",
            "OUTBOX_POLL_SECONDS": "0.2",
            "NOTIFY_SENDER": "tests.drills.sender:FileSender",
            "NOTIFY_CLAIM_SECONDS": "5",  # a delivery in doubt at a kill is taken up again soon after
            "NOTIFY_RATE_LIMIT": "100000",  # hundreds of cases of one grid in minutes: no person's limit
            FILE_VARIABLE: str(sent),
            "LOG_LEVEL": "INFO",
        }
    )
    worker = WorkerProcess(env, folder / "worker.log")
    # The same settings path as the worker, so both agree on encryption.
    client = await connect(
        Settings(
            temporal_address=server.address,
            temporal_namespace="default",
            encryption_keys=SecretStr(SUITE_KEYS),
            encryption_key_file=None,
        )
    )
    try:
        yield Drill(server, client, engine, worker, sent, task_queue)
    finally:
        worker.stop()
        server.stop()
        await engine.dispose()


@pytest_asyncio.fixture
async def drill(pg_url: str, tmp_path: Path) -> AsyncIterator[Drill]:
    """On a fresh database of the shared test PostgreSQL; the worker is not started yet."""
    url, engine = await fresh_database(pg_url, "drill")
    async for stack in _drill(tmp_path, url, engine):
        yield stack


@pytest_asyncio.fixture
async def persistent_drill(pg_url: str, tmp_path: Path) -> AsyncIterator[Drill]:
    """The same, with a dev server that keeps its state in a file, so it can be restarted."""
    url, engine = await fresh_database(pg_url, "restart")
    async for stack in _drill(tmp_path, url, engine, persistent=True):
        yield stack


@pytest_asyncio.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[Postgres]:
    """A PostgreSQL of the drill's own, which it may stop: never the shared test server."""
    folder = tmp_path / "pg"
    folder.mkdir()
    server = Postgres(folder)
    try:
        yield server
    finally:
        if server.running():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest_asyncio.fixture
async def outage_drill(postgres: Postgres, tmp_path: Path) -> AsyncIterator[Drill]:
    url, engine = await fresh_database(postgres.url, "outage")
    async for stack in _drill(tmp_path, url, engine):
        yield stack
