"""The service on the real stack: the FastAPI app over ASGI, a Temporal dev server with a worker,
and a PostgreSQL database of its own (these tests change the registry)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from api.app import create_app
from front.services import Services
from service.directory import Directory
from service.door import Door
from service.identity import Identity, LoginPolicy
from service.oidc import OidcVerifier
from tests.conftest import BIN
from tests.databases import fresh_database
from tests.factories import FIELDS
from workflows import WORKFLOWS
from workflows.search_attributes import ALL


@pytest_asyncio.fixture(scope="session")
async def door_temporal() -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server: it keeps update ids (idempotency) and records nothing for a refusal."""
    environment = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
        search_attributes=ALL,
    )
    yield environment
    await environment.shutdown()


@pytest_asyncio.fixture(scope="session")
async def door_db(pg_url: str) -> AsyncIterator[AsyncEngine]:
    _, engine = await fresh_database(pg_url, "door")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def door_queue(door_temporal: WorkflowEnvironment, door_db: AsyncEngine) -> AsyncIterator[str]:
    queue = f"door-{uuid.uuid4()}"
    async with Worker(
        door_temporal.client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=all_activities(door_db, FIELDS),
    ):
        yield queue


def make_services(
    client: Client, engine: AsyncEngine, queue: str, *, oidc: OidcVerifier | None = None, **policy: object
) -> Services:
    login = LoginPolicy(secret=secrets.token_urlsafe(32), **policy)  # type: ignore[arg-type]
    return Services(
        door=Door(client, engine, FIELDS, task_queue=queue, policy="gaotai-4x7"),
        directory=Directory(engine),
        identity=Identity(engine, login, FIELDS),
        oidc=oidc,
        engine=engine,
    )


@pytest_asyncio.fixture(scope="session")
async def services(door_temporal: WorkflowEnvironment, door_db: AsyncEngine, door_queue: str) -> Services:
    return make_services(door_temporal.client, door_db, door_queue, max_failures=3, rate_per_minute=1000)


@pytest_asyncio.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh client per test: httpx keeps the cookies a login sets."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(services)), base_url="http://door"
    ) as client:
        yield client


async def token_for(services: Services, person_id: str) -> str:
    """A session of `person_id`, as a login would open it."""
    async with services.engine.begin() as conn:
        session = await services.identity.open_session(conn, person_id, datetime.now(UTC))
    return session.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
