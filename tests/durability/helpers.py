"""Small helpers for the durability tests."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle

from models.view import CaseView
from tests import cases


async def opened(handle: WorkflowHandle[Any, Any]) -> CaseView:
    """The case view once the workflow has opened the case and recorded it."""
    await cases.opened(handle)
    return await cases.settle(handle)
