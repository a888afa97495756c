"""Fixtures of the court and after-agreement scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.court.helpers import STARTED, is_closed


@pytest_asyncio.fixture(autouse=True)
async def stop_open_cases() -> AsyncIterator[None]:
    """Terminate the cases a test leaves open.

    An open case keeps a timer; once its worker is gone, the time-skipping server will not
    skip past the workflow task no one polls, and every later `env.sleep` would hang.
    """
    STARTED.clear()
    yield
    for handle in STARTED:
        if not await is_closed(handle):
            await handle.terminate(reason="test finished")
    STARTED.clear()
