"""Fixtures of the workflow scenarios: a real dev server beside the time-skipping one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from tests.cases import stop_open_cases
from tests.conftest import BIN
from tests.factories import FIELDS
from workflows import WORKFLOWS
from workflows.search_attributes import ALL

__all__ = ["stop_open_cases"]  # the autouse fixture, shared with tests/court


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal CLI's dev server: a real server, in memory, on the wall clock.

    Unlike the time-skipping server, it drops the workflow task of an update its validator
    rejects, so there a rejection must leave the history exactly as it was.
    """
    environment = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
        search_attributes=ALL,
    )
    yield environment
    await environment.shutdown()


@dataclass(frozen=True)
class Server:
    env: WorkflowEnvironment
    task_queue: str
    real: bool
    serial_offset: int


@pytest_asyncio.fixture(params=["time-skipping", "dev-server"])
async def server(
    request: pytest.FixtureRequest,
    env: WorkflowEnvironment,
    dev_env: WorkflowEnvironment,
    engine: AsyncEngine,
    task_queue: str,
) -> AsyncIterator[Server]:
    """Each server with a worker on a fresh task queue; both write to the one test database."""
    real = request.param == "dev-server"
    environment = dev_env if real else env
    async with Worker(
        environment.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=all_activities(engine, FIELDS),
    ):
        yield Server(environment, task_queue, real=real, serial_offset=500 if real else 0)
