"""The product as a county runs it: the worker process, the starter CLI, a dev server, PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys

import httpx
import psutil
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import count
from tests.system.conftest import ROOT, Stack, run_cli

EXAMPLE = str(ROOT / "examples" / "neighbour-dispute.json")


async def wait_for_rows(engine: AsyncEngine, sql: str, at_least: int, **params: object) -> int:
    for _ in range(100):
        n = await count(engine, sql, **params)
        if n >= at_least:
            return n
        await asyncio.sleep(0.1)
    return await count(engine, sql, **params)


async def test_open_act_show_through_the_cli(stack: Stack, system_db: tuple[str, AsyncEngine]) -> None:
    engine = system_db[1]
    opened = run_cli(stack, "open", "--file", EXAMPLE, "--policy", "gaotai-4x7")
    case_id = re.search(r"case-431199-\d{4}-\d{6}", opened.stdout)
    assert case_id and "opened" in opened.stdout
    case = case_id.group(0)

    again = run_cli(stack, "open", "--file", EXAMPLE, "--policy", "gaotai-4x7")
    assert "already open" in again.stdout and case in again.stdout
    assert await count(engine, "select count(*) from case_numbers") == 1

    accepted = run_cli(stack, "accept", case, "--as", "M-0028", "--mediators", "M-0028")
    assert "调解中 mediating" in accepted.stdout

    refused = run_cli(stack, "accept", case, "--as", "M-0028", "--mediators", "M-0028", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "`accept` is not allowed now" in refused.stderr
    assert "Traceback" not in refused.stderr

    agreed = run_cli(stack, "agree", case, "--as", "M-0028", "--terms", "围墙按原址重建，费用各半")
    assert "协议履行回访中 agreement under follow-up" in agreed.stdout
    for notes in ("围墙已重建", "双方无异议"):
        visited = run_cli(stack, "visit", case, "--as", "M-0028", "--performing", "--notes", notes)
    assert "已结案 closed" in visited.stdout

    shown = json.loads(run_cli(stack, "show", case, "--json").stdout)
    assert shown["status"] == "closed" and shown["closure_reason"] == "performed"
    assert [s["outcome"] for s in shown["stages"]] == ["agreement"]
    assert (
        await count(
            engine, "select count(*) from stages where case_id = :c and outcome = 'agreement'", c=case
        )
        == 1
    )
    sent = await wait_for_rows(
        engine, "select count(*) from outbox where case_id = :c and sent_at is not null", 3, c=case
    )
    assert sent == await count(engine, "select count(*) from outbox where case_id = :c", c=case)

    listed = run_cli(stack, "list", "--status", "closed")
    assert case in listed.stdout


def test_the_worker_serves_delivery_metrics(stack: Stack) -> None:
    """After the case above, its notices were delivered (log channel) and counted."""
    page = httpx.get(f"http://127.0.0.1:{stack.env['NOTIFY_METRICS_PORT']}/metrics", timeout=10).text
    sent = re.search(r'mediation_notifications_sent_total\{channel="log",kind="handoff"\} (\S+)', page)
    assert sent and float(sent.group(1)) >= 1
    assert "mediation_notification_latency_seconds_bucket" in page
    assert 'mediation_gc_pause_seconds_total{generation="0"}' in page  # service/collector.py, configured
    port = int(stack.env["NOTIFY_METRICS_PORT"])
    listening = [
        c.laddr.ip
        for c in psutil.Process(stack.worker.pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert listening == ["127.0.0.1"]  # loopback unless METRICS_HOST says otherwise, as the SDK's


def test_worker_stops_cleanly_on_sigterm(stack: Stack) -> None:
    stack.worker.send_signal(signal.SIGTERM)
    assert stack.worker.wait(40) == 0
    assert stack.worker.stdout is not None
    assert "worker stopped" in stack.worker.stdout.read()


def _fails_fast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_unreachable_temporal_is_one_clear_line(stack: Stack) -> None:
    result = _fails_fast({**stack.env, "TEMPORAL_ADDRESS": "127.0.0.1:1"}, "worker.py")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot reach Temporal at 127.0.0.1:1")
    assert result.stderr.count("\n") == 1


def test_wrong_database_url_is_one_clear_line(stack: Stack) -> None:
    bad = "postgresql://nobody:secret@127.0.0.1:1/none"
    result = _fails_fast({**stack.env, "DATABASE_URL": bad}, "worker.py")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot use the database at postgresql://nobody:***@127.0.0.1:1")
    assert "secret" not in result.stderr


def test_unknown_policy_is_one_clear_line(stack: Stack) -> None:
    result = run_cli(stack, "open", "--file", EXAMPLE, "--policy", "nowhere-9x9", check=False)
    assert result.returncode == 2
    assert "unknown policy 'nowhere-9x9'; available:" in result.stderr
    assert "gaotai-4x7" in result.stderr
