"""Encryption fails closed on the real processes: no keys, no start; a clear payload, refused.

`ENCRYPTION=off` is the only way to run in clear, and what starts then says so.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from crypto.keys import NO_KEYS, OFF_NOTICE
from tests.factories import SUITE_KEYS, case_input
from tests.system.conftest import ROOT, Stack
from workflows import WORKFLOW_TYPE


def without_keys(env: dict[str, str], **more: str) -> dict[str, str]:
    return {**{k: v for k, v in env.items() if not k.startswith("ENCRYPTION")}, **more}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_without_keys_the_worker_the_cli_and_the_codec_server_refuse_to_start(stack: Stack) -> None:
    env = without_keys(stack.env)
    for args in (["worker.py"], ["starter.py", "list"], ["-m", "crypto.server"]):
        result = run(env, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert NO_KEYS in result.stderr and "Traceback" not in result.stderr, args


def test_encryption_off_is_said_at_start(stack: Stack) -> None:
    env = without_keys(
        stack.env,
        ENCRYPTION="off",
        TASK_QUEUE=f"off-{uuid.uuid4().hex[:6]}",
        METRICS_PORT="0",
        NOTIFY_METRICS_PORT="0",  # the stack's worker serves its delivery metrics on the stack's port
    )
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        started = next(line for line in worker.stdout if "worker started" in line)
        warned = next(line for line in worker.stdout if OFF_NOTICE in line)
    finally:
        worker.terminate()
        worker.wait(30)
    assert OFF_NOTICE in started and "warn" in warned.lower()
    refused = run(env | {"ENCRYPTION_KEYS": SUITE_KEYS}, "starter.py", "list")
    assert refused.returncode == 2 and "ENCRYPTION=off, yet keys are set" in refused.stderr


async def test_a_clear_payload_sent_to_an_encrypting_worker_is_refused(
    stack: Stack, dev_server: WorkflowEnvironment
) -> None:
    config = dev_server.client.config()
    config["data_converter"] = pydantic_data_converter  # a client that forgot its keys
    plain = Client(**config)
    case = case_input(990777 + uuid.uuid4().int % 9000)
    handle = await plain.start_workflow(
        WORKFLOW_TYPE, case, id=case.case_id, task_queue=stack.env["TASK_QUEUE"]
    )
    try:
        failure = ""
        for _ in range(200):
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    sealed = event.workflow_task_failed_event_attributes.failure  # encrypted too
                    failure = str(await dev_server.client.data_converter.decode_failure(sealed))
            if failure:
                break
            await asyncio.sleep(0.1)
    finally:
        await handle.terminate(reason="test finished")
    assert "a clear payload (encoding json/plain) arrived where encryption is on; refusing it" in failure
