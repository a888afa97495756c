"""`mediation open`, `show`, `file`, `list`, `inbox`: opening a case and finding it again."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import command, direct_cases, out
from cli.options import (
    CaseId,
    CommitteeFilter,
    County,
    Dispute,
    DueWithin,
    Grid,
    LevelFilter,
    Limit,
    MaybeIntakeFile,
    Overdue,
    Policy,
    StatusFilter,
    Township,
    Village,
)
from cli.remote import query_params, remote, saved
from cli.render import case_table, render, render_file
from clients import connect, database, field_sealer
from models.case import CaseIntake, Place
from models.case_file import CaseFile
from models.enums import DisputeType
from models.view import CaseView
from policies import load_policy
from service.cases import CaseError, CaseFilter, CasePage, CaseRow
from service.intake import IntakeResult, open_case, policy_for
from settings import Settings

app = typer.Typer()


def intake_from_file(path: Path) -> CaseIntake:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if "grid" in raw and "place" not in raw:
        raw["place"] = place_of(raw.pop("grid"))
    now = datetime.now(UTC).isoformat()
    raw.setdefault("reported_at", now)
    if isinstance(raw.get("referral"), dict):  # a referral made today unless the file dates it
        raw["referral"].setdefault("referred_at", now)
    return CaseIntake.model_validate(raw)


def place_of(grid: str) -> Place:
    """A grid code (`431199001001-G01`) names its village, township and county too."""
    village = grid.split("-", 1)[0]
    return Place(county=village[:6], township=village[:9], village=village, grid=grid)


def _party(spec: str, index: int) -> dict[str, str]:
    try:
        role, name, id_number, phone = spec.split(":")
    except ValueError:
        raise ValueError(f"--party {spec!r}: expected role:name:id_number:phone") from None
    return {"party_id": f"P{index}", "role": role, "name": name, "id_number": id_number, "phone": phone}


@app.command("open")
@command
async def open_(
    file: MaybeIntakeFile = None,
    grid: Grid = None,
    dispute_type: Dispute = DisputeType.NEIGHBOUR,
    summary: Annotated[str | None, typer.Option()] = None,
    party: Annotated[list[str] | None, typer.Option(help="role:name:id_number:phone, repeat")] = None,
    reporter: Annotated[str | None, typer.Option(help="reporting member id")] = None,
    reporter_committee: Annotated[str | None, typer.Option(help="default: the grid's committee")] = None,
    may_intensify: Annotated[bool, typer.Option(help="Art. 25 risk flag")] = False,
    ref: Annotated[str | None, typer.Option(help="source reference (dedupes intake)")] = None,
    policy: Policy = None,
) -> None:
    """Open a case from a grid report, walk-in or hotline call (through the service: you report it)."""
    service = remote()
    logged_in = saved() if service is not None else None
    reporter = reporter or (logged_in.person_id if logged_in else None)
    if file is not None:
        intake = intake_from_file(file)
    else:
        if not (grid and summary and party and reporter):
            raise ValueError("give --file, or --grid, --summary, --reporter and two or more --party")
        intake = CaseIntake.model_validate(
            {
                "channel": "grid_report",
                "place": place_of(grid),
                "dispute_type": dispute_type,
                "summary": summary,
                "parties": [_party(p, i) for i, p in enumerate(party, start=1)],
                "reporter": {
                    "id": reporter,
                    "role": "grid_worker",
                    "committee_id": reporter_committee or f"C-{grid}",
                },
                "risk": "may_intensify" if may_intensify else "normal",
                "intake_ref": ref,
                "reported_at": datetime.now(UTC),
            }
        )
    settings = Settings()
    if policy:
        load_policy(policy)  # an unknown policy fails before anything is reached
    if service is not None:
        async with service:
            found = await service.call(
                "POST",
                "/cases",
                key=str(uuid.uuid4()),
                params={"policy": policy} if policy else {},
                json=intake.model_dump(mode="json"),
            )
        result = IntakeResult.model_validate(found.json())
    else:
        client = await connect(settings)
        async with database(settings) as engine:
            chosen = await policy_for(engine, intake, named=policy, fallback=settings.policy)
            result = await open_case(
                client, engine, intake, chosen, fields=field_sealer(settings), task_queue=settings.task_queue
            )
    word = "opened" if result.created else "already open (same intake), not opened again:"
    out.print(f"{word} [b]{result.case_id}[/] with policy {result.policy}")


@app.command()
@command
async def show(case_id: CaseId, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one case: status, deadlines, stages, what is allowed now."""
    service = remote()
    if service is not None:
        async with service:
            view = CaseView.model_validate((await service.call("GET", f"/cases/{case_id}")).json())
    else:
        view = await (await direct_cases()).view(case_id)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        render(view)


@app.command("file")
@command
async def file_(case_id: CaseId, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The case file, parties in clear: for a member of the committee holding the open case,
    through the service (each read is audited there)."""
    service = remote()
    if service is None:
        raise CaseError(
            "the case file is read through the service (API_URL), logged in as a member of the"
            " committee holding the case: run `mediation login`"
        )
    async with service:
        found = CaseFile.model_validate((await service.call("GET", f"/cases/{case_id}/file")).json())
    if as_json:
        out.print_json(found.model_dump_json())
    else:
        render_file(found)


@app.command("list")
@command
async def list_(
    level: LevelFilter = None,
    committee: CommitteeFilter = None,
    status: StatusFilter = None,
    dispute_type: Dispute = None,
    township: Township = None,
    village: Village = None,
    overdue: Overdue = None,
    limit: Limit = 50,
    county: County = None,
    grid: Grid = None,
    due_within: DueWithin = None,
    page_token: Annotated[str | None, typer.Option(help="printed under the previous page")] = None,
) -> None:
    """List cases from Temporal visibility, filtered, a page at a time."""
    f = CaseFilter(
        level=level,
        committee=committee,
        status=status,
        dispute_type=dispute_type,
        township=township,
        village=village,
        overdue=overdue,
        county=county,
        grid=grid,
        due_within_days=due_within,
    )
    service = remote()
    if service is not None:
        params = {**query_params(f), "page_size": limit, "page_token": page_token}
        async with service:
            found = await service.call("GET", "/cases", params=query_params(params))
        page = CasePage.model_validate(found.json())
    else:
        page = await (await direct_cases()).page(f, page_size=limit, token=page_token)
    out.print(case_table(page.rows))
    out.print(f"{len(page.rows)} case(s)")
    if page.next_page_token:
        out.print(f"more: --page-token {page.next_page_token}", soft_wrap=True)


@app.command()
@command
async def inbox(
    committee: Annotated[str, typer.Argument(help="your committee id, e.g. C-431199001")],
    limit: Limit = 200,
) -> None:
    """Your committee's inbox: cases awaiting its acceptance, mediating or in follow-up, soonest due first."""
    service = remote()
    if service is not None:
        async with service:
            found = await service.call("GET", f"/committees/{committee}/inbox", params={"limit": limit})
        rows = [CaseRow.model_validate(r) for r in found.json()]
    else:
        rows = await (await direct_cases()).inbox(committee, limit=limit)
    out.print(case_table(rows))
    out.print(f"{len(rows)} case(s)")
