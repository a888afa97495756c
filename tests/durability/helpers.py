"""Small helpers for the durability tests."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowHandle

from models.view import CaseView


async def opened(handle: WorkflowHandle[Any, Any]) -> CaseView:
    """The case view once the workflow has opened the case."""
    for _ in range(200):
        try:
            view: CaseView = await handle.query("state", result_type=CaseView)
            if view.waiting_for is None:
                return view
        except Exception:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not open")
