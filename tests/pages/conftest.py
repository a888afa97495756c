"""The pages on the real stack in a real browser: a Temporal dev server with a worker, a database
of their own, the app on uvicorn, and Debian's Chromium driven by Playwright in a phone viewport."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from api.app import create_app
from front.services import Services
from service.identity import set_password
from tests.api.conftest import make_services
from tests.conftest import BIN
from tests.databases import fresh_database
from tests.factories import FIELDS
from workflows import WORKFLOWS
from workflows.search_attributes import ALL

HERE = Path(__file__).parent
POLICY = HERE / "pages-fast.json"
AXE = HERE / "vendor" / "axe-4.14.1.min.js"
SHOTS = Path(__file__).parents[2] / "docs" / "app"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"
# people of the demo county who log in with a password in these tests
WITH_PASSWORD = ("M-0025", "M-0026", "M-0021", "S-0002", "S-0001", "L-0001")


# Package scope: torn down once tests/pages is done, so later tests do not share the CPU with an
# idle browser, app and dev server.
@pytest_asyncio.fixture(scope="package")
async def pages_temporal() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow to start it
        search_attributes=ALL,
    )
    yield environment
    await environment.shutdown()


@pytest_asyncio.fixture(scope="package")
async def pages_db(pg_url: str) -> AsyncIterator[AsyncEngine]:
    _, engine = await fresh_database(pg_url, "pages")
    async with engine.begin() as conn:
        for person_id in WITH_PASSWORD:
            await set_password(conn, person_id, PASSWORD)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="package")
async def pages_services(
    pages_temporal: WorkflowEnvironment, pages_db: AsyncEngine
) -> AsyncIterator[Services]:
    queue = f"pages-{uuid.uuid4()}"
    services = make_services(pages_temporal.client, pages_db, queue, rate_per_minute=1000)
    services.door.policy = str(POLICY)
    async with Worker(
        pages_temporal.client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=all_activities(pages_db, FIELDS),
    ):
        yield services


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest_asyncio.fixture(scope="package")
async def site(pages_services: Services) -> AsyncIterator[str]:
    """The app on uvicorn in the tests' event loop (it shares the services' engine and client)."""
    port = _free_port()
    config = uvicorn.Config(create_app(pages_services), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest_asyncio.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def new_phone(browser: Browser, site: str) -> BrowserContext:
    """A fresh phone: its own cookies, a 390 × 844 touch screen."""
    context = await browser.new_context(
        base_url=site, viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", accept_downloads=True
    )
    context.on("console", lambda message: CONSOLE.append(message.text) if message.type == "error" else None)
    return context


@pytest_asyncio.fixture
async def phone(browser: Browser, site: str) -> AsyncIterator[BrowserContext]:
    context = await new_phone(browser, site)
    yield context
    await context.close()


CONSOLE: list[str] = []  # errors the pages logged in the browser
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
}"""


async def check_page(page: Page, name: str | None = None) -> None:
    """axe-core on the page as it stands: no serious or critical violation, and the
    Content-Security-Policy blocked nothing the page tried. With PAGES_SCREENSHOTS
    set, the page is also photographed into docs/app/<name>.png."""
    await page.evaluate(AXE.read_text("utf-8"))
    violations = await page.evaluate(AXE_RUN)
    assert violations == [], f"{page.url}: {violations}"
    blocked = [m for m in CONSOLE if "Content Security Policy" in m]
    CONSOLE.clear()
    assert blocked == [], f"{page.url}: {blocked}"
    if name and os.environ.get("PAGES_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def login_password(page: Page, person_id: str) -> None:
    await page.goto("/app/login")
    await page.fill("#login", person_id)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/app/login'] button")
    await page.wait_for_url(re.compile(r"/app/(inbox|supervise|court)"))


async def last_code(engine: AsyncEngine, person_id: str) -> str:
    """The one-time code as the person's phone receives it (the outbox's message)."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT body FROM outbox WHERE recipient = :r AND kind = 'login_code'"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"r": f"person:{person_id}"},
        )
        body = FIELDS.open(found.scalar_one(), "outbox.body")  # sealed at rest
    match = re.search(r"[0-9]{6}", body)
    assert match, body
    return match.group(0)


async def reload_until(page: Page, url: str, selector: str) -> None:
    """Reload `url` until `selector` shows (lists come from Temporal visibility, which catches up)."""
    for _ in range(240):
        await page.goto(url)
        if await page.locator(selector).count():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{selector} never showed on {url}")
