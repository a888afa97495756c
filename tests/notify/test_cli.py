"""`mediation outbox`: an operator sees the failed deliveries and why, retries and cancels them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.notify.helpers import dispatcher, drain, put, rows
from tests.notify.test_delivery import Recording

MEDIATION = [sys.executable, str(Path(__file__).parents[2] / "starter.py")]


def mediation(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "250"}
    return subprocess.run([*MEDIATION, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_failed_deliveries_are_listed_with_their_error_then_retried_or_cancelled(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    url, engine = notify_db
    await put(engine, "case-cli/1", "handoff", "committee:C-NOWHERE", case_no="K1")
    await put(engine, "case-cli/2", "case_closed", "party:P7", case_no="K2", reason="agreement")
    await drain(dispatcher(engine, {"*": ["log"]}, {"log": Recording()}))
    ids = [r["id"] for r in await rows(engine, "SELECT id FROM deliveries ORDER BY id")]

    listed = mediation(url, "outbox", "--failed")
    assert listed.returncode == 0, listed.stderr
    assert "no one in the directory for committee:C-NOWHERE" in listed.stdout
    assert "no one in the directory for party:P7" in listed.stdout
    summary = mediation(url, "outbox")
    assert summary.returncode == 0 and "failed" in summary.stdout

    refused = mediation(url, "outbox", "cancel", "424242", "--as", "O-0001")
    assert (refused.returncode, refused.stderr.strip()) == (1, "error: no delivery 424242")
    cancelled = mediation(url, "outbox", "cancel", str(ids[1]), "--as", "O-0001")
    assert cancelled.returncode == 0 and "1 deliveries cancelled" in cancelled.stdout
    retried = mediation(url, "outbox", "retry", "--all-failed", "--as", "O-0001")
    assert retried.returncode == 0 and "1 deliveries will be sent again" in retried.stdout
    assert await rows(engine, "SELECT status FROM deliveries ORDER BY id") == [{"status": "cancelled"}]
    [message] = await rows(engine, "SELECT expanded_at FROM outbox WHERE key = 'case-cli/1'")
    assert message["expanded_at"] is None  # resolved again on the next round
