"""The CLI through the service: `mediation login`, then actions as the logged-in person only.

The real processes: the service (`python -m api` on uvicorn), the worker, a dev server, PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from service.identity import set_password
from tests.system.conftest import ROOT, Stack, free_port, run_cli

EXAMPLE = str(ROOT / "examples" / "neighbour-dispute.json")
PASSWORD = "grid-worker-password"


@pytest_asyncio.fixture(scope="module")
async def service(
    stack: Stack, system_db: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    port = free_port()
    env = {
        **stack.env,
        "API_PORT": str(port),
        "SESSION_SECRET": "a secret for the system test only, long enough",
    }
    process = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            pytest.fail(f"the service exited with {process.returncode}")
        await asyncio.sleep(0.1)
    async with system_db[1].begin() as conn:
        await set_password(conn, "M-0028", PASSWORD)
    config = tmp_path_factory.mktemp("cli-config")
    yield Stack(env={**env, "API_URL": url, "MEDIATION_CONFIG_DIR": str(config)}, worker=stack.worker)
    process.terminate()
    process.wait(30)


def test_the_cli_logs_in_and_acts_as_the_logged_in_person(service: Stack) -> None:
    before = run_cli(service, "accept", "case-431199-2026-000001", "--mediators", "M-0028", check=False)
    assert before.returncode == 1 and "mediation login" in before.stderr
    logged = run_cli(service, "login", "--login", "M-0028", "--password", PASSWORD)
    assert "logged in as M-0028" in logged.stdout
    saved = Path(service.env["MEDIATION_CONFIG_DIR"]) / "session.json"
    assert saved.stat().st_mode & 0o077 == 0
    assert "grid_worker of C-431199001001-G01" in run_cli(service, "whoami").stdout
    opened = run_cli(service, "open", "--file", EXAMPLE, "--policy", "gaotai-4x7", "--ref", "cli-service-1")
    case = re.search(r"case-431199-\d{4}-\d{6}", opened.stdout)
    assert case, opened.stdout
    pretend = run_cli(
        service, "accept", case.group(0), "--as", "M-0001", "--mediators", "M-0028", check=False
    )
    assert pretend.returncode == 1 and "logged in as M-0028" in pretend.stderr
    accepted = run_cli(service, "accept", case.group(0), "--mediators", "M-0028")
    assert "调解中 mediating" in accepted.stdout
    again = run_cli(service, "accept", case.group(0), "--mediators", "M-0028", check=False)
    assert again.returncode == 1 and "`accept` is not allowed now" in again.stderr
    listed = run_cli(service, "list", "--committee", "C-431199001001-G01")
    assert case.group(0) in listed.stdout
    outside = run_cli(service, "list", "--committee", "C-431199002", check=False)
    assert outside.returncode == 1 and "may not read" in outside.stderr
    run_cli(service, "logout")
    after = run_cli(service, "show", case.group(0), check=False)
    assert after.returncode == 1 and "mediation login" in after.stderr
