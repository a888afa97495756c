"""The CLI's client of the service: one idempotency key per action, the same on every retry."""

from __future__ import annotations

import httpx
import pytest

from cli.remote import Remote
from service.cases import CaseError


async def test_a_retry_after_a_timeout_carries_the_same_key() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Idempotency-Key"])
        if len(seen) == 1:
            raise httpx.ReadTimeout("the service took too long", request=request)
        if len(seen) == 2:
            return httpx.Response(503)
        return httpx.Response(200, json={"case_id": "case-431199-2026-000001"})

    async with Remote("http://door", "token", httpx.MockTransport(answer)) as service:
        found = await service.act("case-431199-2026-000001", "accept", {"mediator_ids": ["M-0028"]})
        await service.act("case-431199-2026-000001", "accept", {"mediator_ids": ["M-0028"]})
    assert found["case_id"] == "case-431199-2026-000001"
    assert len(seen) == 4 and len(set(seen[:3])) == 1  # one command: one key, kept across retries
    assert seen[3] != seen[0]  # the next command: a key of its own


async def test_the_services_refusal_is_the_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": "M-0029 is not a member of C-431199001001-G01"})

    async with Remote("http://door", "token", httpx.MockTransport(refuse)) as service:
        with pytest.raises(CaseError, match="not a member"):
            await service.act("case-431199-2026-000001", "accept", {"mediator_ids": ["M-0029"]})
