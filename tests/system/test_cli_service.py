"""The CLI through the service: `mediation login`, then actions as the logged-in person only.

The real processes: the service (`python -m api` on uvicorn), the worker, a dev server, PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from service.identity import set_password
from tests.databases import fresh_database
from tests.factories import keyed
from tests.system.conftest import ROOT, Stack, free_port, run_cli

EXAMPLE = str(ROOT / "examples" / "neighbour-dispute.json")
PASSWORD = "grid-worker-password"


@pytest_asyncio.fixture(scope="module")
async def service(
    dev_server: WorkflowEnvironment, pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """A worker and the service on a database of their own (the other system tests count rows)."""
    url, engine = await fresh_database(pg_url, "cli_service")
    async with engine.begin() as conn:
        await set_password(conn, "M-0028", PASSWORD)
    await engine.dispose()
    port = free_port()
    env = keyed(
        {
            **os.environ,
            "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "DATABASE_URL": url,
            "TASK_QUEUE": f"cli-service-{uuid.uuid4().hex[:6]}",
            "METRICS_PORT": "0",
            "API_PORT": str(port),
            "SESSION_SECRET": "a secret for the system test only, long enough",
            "COLUMNS": "200",
        }
    )
    worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, stdout=subprocess.DEVNULL)
    door = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env)
    api = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{api}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if door.poll() is not None:
            pytest.fail(f"the service exited with {door.returncode}")
        await asyncio.sleep(0.1)
    config = tmp_path_factory.mktemp("cli-config")
    yield Stack(env={**env, "API_URL": api, "MEDIATION_CONFIG_DIR": str(config)}, worker=worker)  # type: ignore[arg-type]
    for process in (door, worker):
        process.terminate()
        process.wait(30)


def intake_file(folder: Path) -> str:
    """The example dated 2024: its case id stays clear of the other system tests' on the shared
    server (the operator view's case is numbered in 2025, the others in the current year)."""
    raw = json.loads(Path(EXAMPLE).read_text(encoding="utf-8")) | {"reported_at": "2024-12-02T09:00:00+08:00"}
    path = folder / "intake.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_the_cli_logs_in_and_acts_as_the_logged_in_person(service: Stack, tmp_path: Path) -> None:
    before = run_cli(service, "accept", "case-431199-2026-000001", "--mediators", "M-0028", check=False)
    assert before.returncode == 1 and "mediation login" in before.stderr
    logged = run_cli(service, "login", "--login", "M-0028", "--password", PASSWORD)
    assert "logged in as M-0028" in logged.stdout
    saved = Path(service.env["MEDIATION_CONFIG_DIR"]) / "session.json"
    assert saved.stat().st_mode & 0o077 == 0
    assert "grid_worker of C-431199001001-G01" in run_cli(service, "whoami").stdout
    opened = run_cli(service, "open", "--file", intake_file(tmp_path), "--policy", "gaotai-4x7")
    case = re.search(r"case-431199-\d{4}-\d{6}", opened.stdout)
    assert case, opened.stdout
    pretend = run_cli(
        service, "accept", case.group(0), "--as", "M-0001", "--mediators", "M-0028", check=False
    )
    assert pretend.returncode == 1 and "logged in as M-0028" in pretend.stderr
    accepted = run_cli(service, "accept", case.group(0), "--mediators", "M-0028")
    assert "调解中 mediating" in accepted.stdout
    shown = run_cli(service, "show", case.group(0))
    assert "13812345678" not in shown.stdout  # the view: parties masked
    filed = run_cli(service, "file", case.group(0))  # the holding committee's file: in clear
    assert "王秀英" in filed.stdout and "13812345678" in filed.stdout and "宅基地围墙" in filed.stdout
    again = run_cli(service, "accept", case.group(0), "--mediators", "M-0028", check=False)
    assert again.returncode == 1 and "`accept` is not allowed now" in again.stderr
    listed = run_cli(service, "list", "--committee", "C-431199001001-G01")
    assert case.group(0) in listed.stdout
    outside = run_cli(service, "list", "--committee", "C-431199002", check=False)
    assert outside.returncode == 1 and "may not read" in outside.stderr
    claimed = run_cli(
        service, "erasure", "request", "--id-number", "11010519491231002X", "--as", "O-0001", check=False
    )
    assert claimed.returncode != 0 and "logged in as M-0028; --as O-0001" in claimed.stderr
    own = run_cli(service, "erasure", "request", "--id-number", "11010519491231002X", check=False)
    assert own.returncode != 0 and "M-0028 is not an operator or supervisor" in own.stderr
    sent = run_cli(service, "calendar", "send", "--as", "O-0001", check=False)
    assert sent.returncode != 0 and "logged in as M-0028; --as O-0001" in sent.stderr
    sent = run_cli(service, "calendar", "send", check=False)
    assert sent.returncode != 0 and "M-0028" in sent.stderr and "is not an operator" in sent.stderr
    run_cli(service, "logout")
    after = run_cli(service, "show", case.group(0), check=False)
    assert after.returncode == 1 and "mediation login" in after.stderr
