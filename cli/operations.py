"""The operators' commands: `mediation policies`, `workflow-input` (a case's input for another
client, e.g. the temporal CLI) and `digest-schedules` (the supervisors' daily digests)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.cases import intake_from_file
from cli.common import command, out
from cli.options import IntakeFile, Policy
from clients import connect, database
from models.case import CaseInput
from policies import available, load_policy
from service.schedules import ensure_digest_schedules, supervisor_scopes
from settings import Settings

app = typer.Typer()


@app.command("workflow-input")
@command
async def workflow_input(
    file: IntakeFile,
    case_id: Annotated[str, typer.Option(help="case-<county>-<year>-<serial>")],
    policy: Policy = None,
) -> None:
    """Print a MediationCase input (policy snapshot included) for another client, e.g. the temporal CLI.

    The route is left out: the workflow looks it up in the registry when it starts.
    """
    intake = intake_from_file(file)
    chosen = load_policy(policy or Settings().policy)
    case = CaseInput(case_id=case_id, case_no=case_id.removeprefix("case-"), intake=intake, policy=chosen)
    sys.stdout.write(case.model_dump_json() + "\n")


@app.command()
@command
async def policies() -> None:
    """List the policies a case can be opened with."""
    table = Table("name", "title", "ladder (acceptance / mediation)")
    for name in available():
        p = load_policy(name)
        ladder = " → ".join(f"{r.level.value} {r.acceptance}/{r.mediation}" for r in p.levels)
        table.add_row(p.name, p.title, ladder)
    out.print(table)


@app.command("digest-schedules")
@command
async def digest_schedules() -> None:
    """Create or update the daily digest schedule (08:00 CST) of the county and each township."""
    settings = Settings()
    async with database(settings) as engine:
        scopes = await supervisor_scopes(engine)
    ids = await ensure_digest_schedules(
        await connect(settings), scopes, settings.task_queue, policy=settings.policy
    )
    out.print(f"{len(ids)} digest schedule(s): {', '.join(ids)}")
