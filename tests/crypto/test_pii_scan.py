"""The real worker process, encrypting: its logs, the case's id and its search attributes
carry none of the seeded parties' names, ID numbers or phones."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.actions import Accept, RecordSession, Withdraw
from models.enums import CaseStatus, Level
from models.view import CaseView
from settings import ROOT
from tests.conftest import count
from tests.crypto.helpers import NEW_KEY, encrypted_client, entry, leaks, opened
from tests.factories import case_input, member_of, route
from workflows import WORKFLOW_TYPE

GRID = route().by_level[Level.GRID]


def start_worker(
    env: WorkflowEnvironment, database_url: str, task_queue: str, log: Path
) -> subprocess.Popen[bytes]:
    """worker.py configured only through its environment, as `make run` starts it; all output to `log`."""
    variables = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "DATABASE_URL": database_url,
        "TASK_QUEUE": task_queue,
        "METRICS_PORT": "0",
        "OUTBOX_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "DEBUG",
        "ENCRYPTION_KEYS": entry(NEW_KEY),
    }
    variables.pop("ENCRYPTION_KEY_FILE", None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], env=variables, stdout=out, stderr=subprocess.STDOUT
        )


async def wait_for_line(process: subprocess.Popen[bytes], log: Path, text: str) -> None:
    for _ in range(600):
        if text in log.read_text("utf-8", "replace"):
            return
        assert process.poll() is None, f"worker exited: {log.read_text('utf-8', 'replace')}"
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker never logged {text!r}")


SENT = "select count(*) from outbox where case_id = :c and sent_at is not null"
UNSENT = "select count(*) from outbox where case_id = :c and sent_at is null"


async def wait_until_delivered(engine: AsyncEngine, case_id: str) -> None:
    """Until the worker's dispatcher has sent (and so logged) every notification of the case."""
    for _ in range(600):
        if await count(engine, SENT, c=case_id) and not await count(engine, UNSENT, c=case_id):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox of {case_id} was not delivered")


async def test_logs_ids_and_search_attributes_carry_no_personal_data(
    env: WorkflowEnvironment, crypto_db: tuple[str, AsyncEngine], task_queue: str, tmp_path: Path
) -> None:
    url, engine = crypto_db
    client = encrypted_client(env, NEW_KEY)
    case = case_input(906002)
    log = tmp_path / "worker.log"
    worker = start_worker(env, url, task_queue, log)
    try:
        await wait_for_line(worker, log, "worker started")
        handle = await client.start_workflow(
            WORKFLOW_TYPE, case, id=case.case_id, task_queue=task_queue, result_type=CaseView
        )
        await opened(handle)
        view = await handle.execute_update(
            "accept", Accept(actor=member_of(GRID), mediator_ids=["M-0028"]), result_type=CaseView
        )
        assert view.status is CaseStatus.MEDIATING
        view = await handle.execute_update(
            "record_session",
            RecordSession(
                actor=member_of(GRID),
                held_at=await env.get_current_time(),
                attendees=["P1", "P2"],
                notes="双方到场陈述",
            ),
            result_type=CaseView,
        )
        assert view.stages[0].sessions == 1
        open_case = await handle.describe()  # typed search attributes, while every one is set
        view = await handle.execute_update(
            "withdraw",
            Withdraw(actor=member_of(GRID), party_id="P2", reason="已与对方和解"),
            result_type=CaseView,
        )
        assert view.status is CaseStatus.CLOSED
        await handle.result()
        await wait_until_delivered(engine, case.case_id)
        # The raw description (search attributes, memo, everything the server shows about the run).
        closed_case = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=case.case_id)
            )
        )
    finally:
        worker.terminate()
        worker.wait(60)
        with contextlib.suppress(RPCError):  # already closed, as it should be
            await client.get_workflow_handle(case.case_id).terminate(reason="test failed with the case open")

    attributes = {pair.key.name: pair.value for pair in open_case.typed_search_attributes}
    assert attributes["PlaceGrid"] == case.intake.place.grid, "the scan must see the attributes"
    assert leaks(repr(attributes)) == []
    assert leaks(closed_case.SerializeToString()) == []
    assert leaks(handle.id) == [] and leaks(open_case.run_id) == []

    output = log.read_text("utf-8")
    for line in ("transition recorded", "notification sent", case.case_id):
        assert line in output, f"the scan must see the worker's real log lines ({line!r} missing)"
    assert leaks(output) == []
