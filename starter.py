"""`mediation`: the command line for mediators and supervisors.

Open a case, act on it, show it, list cases. Every error is one line.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from calendar_cli import calendar_app
from cli import door
from cli.erasure import app as erasure_app
from cli.keys import app as keys_app
from cli.outbox import app as outbox_app
from cli.registry import app as registry_app
from cli.remote import remote, saved
from clients import check_database, connect, field_sealer
from db.engine import database_url, make_engine
from models.aftercare import AfterInvalid, Ruling
from models.calendar import CHINA_TZ, Span, Unit, local_day, local_text
from models.case import Actor, CaseInput, CaseIntake, Place
from models.enums import (
    Action,
    ActorRole,
    AgreementForm,
    CaseStatus,
    DisputeType,
    Level,
    Outcome,
    SessionMode,
)
from models.labels import both
from models.performance import PerformanceReport, ReportQuery, days_period
from models.registry import UnknownPlace
from models.view import CaseView
from policies import PolicyError, available, load_policy
from policies.calendar_files import CalendarFileError, load_calendar
from service.calendar_send import open_case_ids, send_calendar
from service.cases import CaseError, CaseFilter, CasePage, CaseRow, Cases
from service.intake import IntakeResult, open_case, policy_for
from service.report_output import tables, to_csv, to_json
from service.reports import performance_report
from service.schedules import ensure_digest_schedules, supervisor_scopes
from settings import ConfigError, Settings

app = typer.Typer(
    help="Dispute mediation: open cases, act on them, see where every case stands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(registry_app, name="registry")
app.add_typer(outbox_app, name="outbox")
app.add_typer(door.app)
app.add_typer(keys_app, name="keys")
app.add_typer(erasure_app, name="erasure")
app.add_typer(calendar_app, name="calendar")
out = Console()
err = Console(stderr=True, soft_wrap=True)

AsMember = Annotated[
    str | None,
    typer.Option(
        "--as", help="your member id, e.g. M-0028 (direct access; through the service: who you logged in as)"
    ),
]
Committee = Annotated[
    str | None, typer.Option(help="your committee id (default: the committee holding the case)")
]
Role = Annotated[ActorRole, typer.Option(help="your role")]
Reason = Annotated[str, typer.Option(help="why (recorded with the stage)")]
DueWithin = Annotated[float | None, typer.Option(help="next deadline between now and N days from now")]


def command(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async command; turn every error into one clear line and exit code 1 or 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        _exit(_run(fn(*args, **kwargs)))

    return wrapper


def _run(work: Coroutine[Any, Any, None]) -> int:
    try:
        asyncio.run(work)
        return 0
    except (ConfigError, PolicyError, CalendarFileError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        return 2
    except ValidationError as e:
        err.print(f"[red]error:[/] {_validation(e)}", highlight=False)
    except (CaseError, UnknownPlace, ValueError, OSError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
    return 1


def _exit(code: int) -> None:
    """Leave without interpreter finalisation: the SDK's and the database driver's native threads
    may outlive the event loop and crash it; a finished command has nothing left to do."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _validation(e: ValidationError) -> str:
    first = e.errors()[0]
    where = ".".join(str(x) for x in first["loc"])
    more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
    return f"{where}: {first['msg']}{more}"


async def _cases() -> Cases:
    return Cases(await connect(Settings()))


def _local(instant: datetime | None) -> str:
    return local_text(instant) if instant else "—"


def _label(value: Any) -> str:
    try:
        return both(value)
    except KeyError:
        return str(value)


def _mark(view: CaseView, deadline: str) -> str:
    return " [yellow](provisional 暂定)[/]" if deadline in view.provisional else ""


def render(view: CaseView) -> None:
    status = _label(view.status) + ("  [bold red]OVERDUE 逾期[/]" if view.overdue else "")
    lines = [
        f"[b]{view.case_no}[/]  {_label(view.dispute_type)}  policy {view.policy}",
        f"status     {status}",
        f"level      {_label(view.level)}",
        f"committee  {view.committee_name} ({view.committee_id})",
        f"mediators  {', '.join(view.mediators) or '—'}",
        f"place      grid {view.place.grid}",
        f"accept by  {_local(view.acceptance_deadline)} CST{_mark(view, 'acceptance_deadline')}",
        f"mediate by {_local(view.mediation_deadline)} CST{_mark(view, 'mediation_deadline')}",
        f"reminders  {view.reminders_sent} sent",
    ]
    if view.closure_reason:
        lines.append(f"closed     {_local(view.closed_at)} · {_label(view.closure_reason)}")
    if view.waiting_for:
        lines.append(f"waiting    {view.waiting_for}")
    if view.referral_no:
        lines.append(
            f"court      {view.court} · {view.referral_no} · term ends {_local(view.court_term_ends)}"
            + _mark(view, "court_term_ends")
        )
    if view.provisional:
        years = ", ".join(str(y) for y in view.calendar_years)
        lines.append(
            f"[yellow]provisional 暂定[/]: marked deadlines fall in a year whose holidays are not"
            f" installed (calendar covers {years}); counted on weekends only"
        )
    if view.aftercare:
        care, conf = view.aftercare, view.aftercare.confirmation
        visits = ", ".join(
            f"{v.no}: {_local(v.due_at)} "
            + ("—" if v.done_at is None else "performing" if v.performing else "BREACH")
            for v in care.visits
        )
        lines.append(f"visits     {visits}")
        confirmation = (
            f"apply by {_local(conf.window_ends)}"
            if conf.applied_at is None and not conf.window_closed
            else "window closed, not applied"
            if conf.applied_at is None
            else f"applied {_local(conf.applied_at)} · accepted {conf.accepted} · ruling {conf.ruling or '—'}"
        )
        lines.append(f"confirm    {confirmation}")
    allowed = ", ".join(a.value for a in view.allowed_actions) or "none"
    lines.append(f"[b]allowed now[/]  {allowed}")
    out.print(Panel("\n".join(lines), title=view.case_id, expand=False))
    table = Table("#", "level", "committee", "handed off", "accepted", "deadline", "outcome", "reason")
    for s in view.stages:
        outcome = _label(Outcome(s.outcome)) if s.outcome else "[yellow]open[/]"
        if s.cause:
            outcome += f" ({s.cause})"
        table.add_row(
            str(s.no),
            _label(s.level),
            s.committee_name,
            _local(s.handed_off_at),
            _local(s.accepted_at),
            _local(s.mediation_deadline or s.acceptance_deadline) + (" [red]overdue[/]" if s.overdue else ""),
            outcome,
            (s.reason or "")[:40],
        )
    out.print(table)


def _intake_from_file(path: Path) -> CaseIntake:
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
    file: Annotated[Path | None, typer.Option(help="intake JSON (see examples/)")] = None,
    grid: Annotated[str | None, typer.Option(help="grid code, e.g. 431199001001-G01")] = None,
    dispute_type: Annotated[DisputeType, typer.Option("--type")] = DisputeType.NEIGHBOUR,
    summary: Annotated[str | None, typer.Option()] = None,
    party: Annotated[list[str] | None, typer.Option(help="role:name:id_number:phone, repeat")] = None,
    reporter: Annotated[str | None, typer.Option(help="reporting member id")] = None,
    reporter_committee: Annotated[str | None, typer.Option(help="default: the grid's committee")] = None,
    may_intensify: Annotated[bool, typer.Option(help="Art. 25 risk flag")] = False,
    ref: Annotated[str | None, typer.Option(help="source reference (dedupes intake)")] = None,
    policy: Annotated[str | None, typer.Option(help=f"one of {', '.join(available())}")] = None,
) -> None:
    """Open a case from a grid report, walk-in or hotline call (through the service: you report it)."""
    service = remote()
    logged_in = saved() if service is not None else None
    reporter = reporter or (logged_in.person_id if logged_in else None)
    if file is not None:
        intake = _intake_from_file(file)
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
        url = database_url(settings)
        engine = make_engine(url, pool_size=1)
        try:
            await check_database(engine, url)
            chosen = await policy_for(engine, intake, named=policy, fallback=settings.policy)
            result = await open_case(
                client, engine, intake, chosen, fields=field_sealer(settings), task_queue=settings.task_queue
            )
        finally:
            await engine.dispose()
    word = "opened" if result.created else "already open (same intake), not opened again:"
    out.print(f"{word} [b]{result.case_id}[/] with policy {result.policy}")


async def _act(
    case_id: str, action: Action, actor_id: str | None, committee: str | None, role: ActorRole, **fields: Any
) -> None:
    """Through the service when one is configured (the actor is who logged in, one idempotency
    key per command); otherwise directly on Temporal, as an operator's trusted backend."""
    service = remote()
    if service is not None:
        logged_in = saved()
        if actor_id is not None and logged_in is not None and actor_id != logged_in.person_id:
            raise ValueError(
                f"you are logged in as {logged_in.person_id}; --as {actor_id} does not change who acts"
            )
        async with service:
            view = CaseView.model_validate(await service.act(case_id, action.value, fields))
        out.print(f"[green]{both(action)}[/] done")
        render(view)
        return
    if actor_id is None:
        raise ValueError("give --as (direct access to Temporal), or set API_URL and `mediation login`")
    cases = await _cases()
    if committee is None:
        committee = (await cases.view(case_id)).committee_id
    actor = Actor(id=actor_id, role=role, committee_id=committee)
    view = await cases.act(case_id, action, {"actor": actor.model_dump(), **fields})
    out.print(f"[green]{both(action)}[/] done")
    render(view)


def _ids(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@app.command()
@command
async def accept(
    case_id: str,
    mediators: Annotated[str, typer.Option(help="ids, comma-separated")],
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Accept a handed-off case and assign mediators (Art. 19)."""
    await _act(case_id, Action.ACCEPT, as_, committee, role, mediator_ids=_ids(mediators))


@app.command()
@command
async def session(
    case_id: str,
    notes: Annotated[str, typer.Option()],
    attendees: Annotated[str, typer.Option(help="party ids, e.g. P1,P2")] = "P1,P2",
    mode: SessionMode = SessionMode.IN_PERSON,
    held_at: Annotated[datetime | None, typer.Option(help="default: now")] = None,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record a mediation session."""
    when = held_at.replace(tzinfo=held_at.tzinfo or CHINA_TZ) if held_at else datetime.now(UTC)
    await _act(
        case_id,
        Action.RECORD_SESSION,
        as_,
        committee,
        role,
        held_at=when.isoformat(),
        mode=mode,
        attendees=_ids(attendees),
        notes=notes,
    )


@app.command()
@command
async def extend(
    case_id: str,
    by: Annotated[int, typer.Option(help="amount")],
    unit: Unit = Unit.WORKING_DAYS,
    consent: Annotated[str, typer.Option(help="consenting party ids, e.g. P1,P2")] = "",
    reason: Reason = "parties asked for more time",
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Extend the mediation deadline (every party must consent)."""
    await _act(
        case_id,
        Action.EXTEND,
        as_,
        committee,
        role,
        by=Span(amount=by, unit=unit).model_dump(),
        consenting_parties=_ids(consent),
        reason=reason,
    )


@app.command()
@command
async def escalate(
    case_id: str,
    reason: Reason,
    intensifying: Annotated[bool, typer.Option(help="may intensify (Art. 25)")] = False,
    to: Annotated[Level | None, typer.Option(help="jump to this level")] = None,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Escalate to the next level now (or higher)."""
    await _act(
        case_id, Action.ESCALATE, as_, committee, role, reason=reason, intensifying=intensifying, to_level=to
    )


@app.command()
@command
async def flag(
    case_id: str,
    as_: AsMember,
    reason: Reason,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Flag the dispute as likely to intensify (Art. 25): police and departments told once; no escalation."""
    await _act(case_id, Action.FLAG_INTENSIFICATION, as_, committee, role, reason=reason)


@app.command()
@command
async def transfer(
    case_id: str,
    to: Annotated[str, typer.Option(help="committee id")],
    reason: Reason,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Transfer to another committee, e.g. a specialised one."""
    await _act(case_id, Action.TRANSFER, as_, committee, role, committee_id=to, reason=reason)


@app.command()
@command
async def agree(
    case_id: str,
    terms: Annotated[str, typer.Option()],
    form: AgreementForm = AgreementForm.WRITTEN,
    signed: Annotated[str, typer.Option(help="signing party ids")] = "P1,P2",
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record an agreement (written: every party signs; oral: recorded by the mediator)."""
    await _act(
        case_id,
        Action.RECORD_AGREEMENT,
        as_,
        committee,
        role,
        form=form,
        terms=terms,
        signed_by=_ids(signed) if form is AgreementForm.WRITTEN else [],
    )


@app.command()
@command
async def fail(
    case_id: str,
    reason: Reason,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that mediation failed (escalates; at the top, ends and tells parties their routes)."""
    await _act(case_id, Action.RECORD_FAILURE, as_, committee, role, reason=reason)


@app.command()
@command
async def refuse(
    case_id: str,
    party: Annotated[str, typer.Option(help="e.g. P2")],
    reason: Reason,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that a party refuses mediation (closes the case, Art. 17)."""
    await _act(case_id, Action.RECORD_REFUSAL, as_, committee, role, party_id=party, reason=reason)


@app.command()
@command
async def withdraw(
    case_id: str,
    party: Annotated[str, typer.Option(help="e.g. P1")],
    reason: Reason,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that the applicant withdraws (closes the case)."""
    await _act(case_id, Action.WITHDRAW, as_, committee, role, party_id=party, reason=reason)


@app.command("apply-confirmation")
@command
async def apply_confirmation(
    case_id: str,
    court: Annotated[str, typer.Option(help="the court applied to")],
    applicants: Annotated[str, typer.Option(help="every party, e.g. P1,P2 (joint, Art. 33)")] = "P1,P2",
    applied_at: Annotated[datetime | None, typer.Option(help="default: now")] = None,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record the parties' joint application for judicial confirmation (within 30 days)."""
    when = applied_at.replace(tzinfo=applied_at.tzinfo or CHINA_TZ) if applied_at else datetime.now(UTC)
    await _act(
        case_id,
        Action.APPLY_CONFIRMATION,
        as_,
        committee,
        role,
        applicants=_ids(applicants),
        court=court,
        applied_at=when.isoformat(),
    )


@app.command("court-decision")
@command
async def court_decision(
    case_id: str,
    accepted: Annotated[bool, typer.Option("--accepted/--not-accepted", help="did the court accept it")],
    reason: Annotated[str | None, typer.Option()] = None,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record whether the court accepted the application (due within 3 days)."""
    await _act(case_id, Action.RECORD_COURT_DECISION, as_, committee, role, accepted=accepted, reason=reason)


@app.command()
@command
async def ruling(
    case_id: str,
    outcome: Annotated[Ruling, typer.Option("--ruling", help="confirmed or invalid")],
    then: Annotated[AfterInvalid | None, typer.Option(help="after `invalid`: mediate_again or sue")] = None,
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record the court's ruling on judicial confirmation."""
    await _act(case_id, Action.RECORD_RULING, as_, committee, role, ruling=outcome, then=then)


@app.command("extend-ruling")
@command
async def extend_ruling(
    case_id: str,
    as_: AsMember,
    approval: Annotated[str, typer.Option(help="the court president's approval (e.g. its number)")],
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that the court president approved 10 more days for the ruling (SPC 2011, Art. 5)."""
    await _act(case_id, Action.EXTEND_RULING, as_, committee, role, approval=approval)


@app.command()
@command
async def visit(
    case_id: str,
    notes: Annotated[str, typer.Option()],
    performing: Annotated[bool, typer.Option("--performing/--breach", help="is the agreement performed")],
    as_: AsMember = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record a follow-up visit (回访): performed, or breached (reopens mediation)."""
    await _act(case_id, Action.RECORD_VISIT, as_, committee, role, performing=performing, notes=notes)


@app.command()
@command
async def show(case_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one case: status, deadlines, stages, what is allowed now."""
    service = remote()
    if service is not None:
        async with service:
            view = CaseView.model_validate((await service.call("GET", f"/cases/{case_id}")).json())
    else:
        view = await (await _cases()).view(case_id)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        render(view)


@app.command("list")
@command
async def list_(
    level: Level | None = None,
    committee: str | None = None,
    status: CaseStatus | None = None,
    dispute_type: Annotated[DisputeType | None, typer.Option("--type")] = None,
    township: str | None = None,
    village: str | None = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
    limit: Annotated[int, typer.Option(help="cases per page")] = 50,
    county: str | None = None,
    grid: str | None = None,
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
        params = {**_params(f), "page_size": limit, "page_token": page_token}
        async with service:
            found = await service.call("GET", "/cases", params=_params(params))
        page = CasePage.model_validate(found.json())
    else:
        page = await (await _cases()).page(f, page_size=limit, token=page_token)
    out.print(case_table(page.rows))
    out.print(f"{len(page.rows)} case(s)")
    if page.next_page_token:
        out.print(f"more: --page-token {page.next_page_token}", soft_wrap=True)


def _params(values: Any) -> dict[str, Any]:
    """Query parameters of a filter (or a dict), the unset ones left out."""
    given = values.model_dump(mode="json", exclude_none=True) if isinstance(values, CaseFilter) else values
    return {k: v for k, v in given.items() if v is not None and v is not False}


def case_table(rows: list[CaseRow]) -> Table:
    table = Table("case", "status", "level", "committee", "type", "next deadline (CST)", "overdue")
    for r in rows:
        table.add_row(
            r.case_id,
            _label(CaseStatus(r.status)) if r.status else "opening",
            _label(Level(r.level)) if r.level else "—",
            r.committee or "—",
            _label(DisputeType(r.dispute_type)) if r.dispute_type else "—",
            _local(r.next_deadline),
            "[red]yes[/]" if r.overdue else "",
        )
    return table


@app.command("workflow-input")
@command
async def workflow_input(
    file: Annotated[Path, typer.Option(help="intake JSON (see examples/)")],
    case_id: Annotated[str, typer.Option(help="case-<county>-<year>-<serial>")],
    policy: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Print a MediationCase input (policy snapshot included) for another client, e.g. the temporal CLI.

    The route is left out: the workflow looks it up in the registry when it starts.
    """
    intake = _intake_from_file(file)
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


@app.command("count")
@command
async def count_(
    level: Level | None = None,
    committee: str | None = None,
    status: CaseStatus | None = None,
    dispute_type: Annotated[DisputeType | None, typer.Option("--type")] = None,
    county: str | None = None,
    township: str | None = None,
    village: str | None = None,
    grid: str | None = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
    due_within: DueWithin = None,
) -> None:
    """Count cases from Temporal visibility, filtered like `list`."""
    f = CaseFilter(
        level=level,
        committee=committee,
        status=status,
        dispute_type=dispute_type,
        county=county,
        township=township,
        village=village,
        grid=grid,
        overdue=overdue,
        due_within_days=due_within,
    )
    service = remote()
    if service is not None:
        async with service:
            out.print((await service.call("GET", "/cases/count", params=_params(f))).json()["count"])
        return
    out.print(await (await _cases()).count(f))


@app.command()
@command
async def inbox(
    committee: Annotated[str, typer.Argument(help="your committee id, e.g. C-431199001")],
    limit: int = 200,
) -> None:
    """Your committee's inbox: cases awaiting its acceptance, mediating or in follow-up, soonest due first."""
    service = remote()
    if service is not None:
        async with service:
            found = await service.call("GET", f"/committees/{committee}/inbox", params={"limit": limit})
        rows = [CaseRow.model_validate(r) for r in found.json()]
    else:
        rows = await (await _cases()).inbox(committee, limit=limit)
    out.print(case_table(rows))
    out.print(f"{len(rows)} case(s)")


@app.command()
@command
async def report(
    county: str | None = None,
    township: str | None = None,
    village: str | None = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="default: the 1st")
    ] = None,
    to: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="included; default: today")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="e.g. grid_report, hotline, court_referral")] = None,
    csv: Annotated[Path | None, typer.Option(help="write the figures as CSV")] = None,
    as_json: Annotated[Path | None, typer.Option("--json", help="write the report as JSON")] = None,
    chart: Annotated[Path | None, typer.Option(help="write a PNG chart")] = None,
) -> None:
    """How the levels perform in a place over a period (days in China time), from the records."""
    place = village or township or county
    if place is None:
        raise ValueError("give --county, --township or --village")
    today = local_day(datetime.now(UTC))
    first, last = from_.date() if from_ else today.replace(day=1), to.date() if to else today
    query = ReportQuery(place=place, period=days_period(first, last), channel=channel)
    service = remote()
    if service is not None:
        params = _params(
            {"place": place, "from": first.isoformat(), "to": last.isoformat(), "channel": channel}
        )
        async with service:
            found = await service.call("GET", "/reports/performance", params=params)
        result = PerformanceReport.model_validate_json(found.text)
    else:
        url = database_url(Settings())
        engine = make_engine(url, pool_size=1)
        try:
            await check_database(engine, url)
            result = await performance_report(engine, query)
        finally:
            await engine.dispose()
    for table in tables(result):
        out.print(table)
    if csv is not None:
        csv.write_text(to_csv(result), encoding="utf-8")
        out.print(f"CSV written to {csv}")
    if as_json is not None:
        as_json.write_text(to_json(result), encoding="utf-8")
        out.print(f"JSON written to {as_json}")
    if chart is not None:
        from service.report_chart import draw_chart  # matplotlib: only when a chart is asked for

        chinese = draw_chart(result, chart)
        out.print(f"chart written to {chart}" + ("" if chinese else " (English labels: no CJK font found)"))


@app.command("digest-schedules")
@command
async def digest_schedules() -> None:
    """Create or update the daily digest schedule (08:00 CST) of the county and each township."""
    settings = Settings()
    url = database_url(settings)
    engine = make_engine(url, pool_size=1)
    try:
        await check_database(engine, url)
        scopes = await supervisor_scopes(engine)
    finally:
        await engine.dispose()
    ids = await ensure_digest_schedules(
        await connect(settings), scopes, settings.task_queue, policy=settings.policy
    )
    out.print(f"{len(ids)} digest schedule(s): {', '.join(ids)}")


@calendar_app.command("send")
@command
async def calendar_send(
    as_: Annotated[str, typer.Option("--as", help="your operator id (recorded in each case's history)")],
    calendar: Annotated[str, typer.Option(help="the installed calendar to send")] = "cn",
) -> None:
    """Send the installed calendar to every open case: deadlines not yet passed are counted again."""
    installed = load_calendar(calendar)
    client = await connect(Settings())
    result = await send_calendar(client, await open_case_ids(client), installed, as_)
    out.print(
        f"calendar {installed.name} ({', '.join(map(str, installed.years))}): {len(result.amended)} case(s)"
        f" amended, {len(result.up_to_date)} already up to date, {len(result.refused)} refused"
    )
    for case_id, why in result.refused.items():
        err.print(f"[yellow]refused[/] {case_id}: {why}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(app())
