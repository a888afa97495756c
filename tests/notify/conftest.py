"""A database of its own per test (the deliveries are counted), the channels' servers, a dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from models.labels import NOTICES
from tests.databases import fresh_database
from tests.notify.servers import AliyunSmsServer, SmtpServer

# What a county registers with the provider: one template per notice and language, its code here.
TEMPLATE_CODES = {
    f"{notice}:{lang}": f"SMS_{100001 + i}"
    for i, (notice, lang) in enumerate((n, lang) for n in NOTICES for lang in ("zh", "en"))
}
REGISTERED = {
    TEMPLATE_CODES[f"{n}:{lang}"]: texts[lang][1] for n, texts in NOTICES.items() for lang in ("zh", "en")
}


@pytest_asyncio.fixture
async def notify_db(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url, engine = await fresh_database(pg_url, "notify")
    yield url, engine
    await engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def aliyun() -> AsyncIterator[AliyunSmsServer]:
    server = AliyunSmsServer(templates=REGISTERED)
    await server.start()
    yield server
    await server.stop()
