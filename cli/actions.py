"""The mediators' actions on a case: `mediation accept`, `session`, `extend`, `escalate`, `flag`,
`transfer`, `agree`, `fail`, `refuse`, `withdraw`, `apply-confirmation`, `court-decision`, `ruling`,
`extend-ruling`, `visit`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.common import command, direct_cases, out
from cli.options import CaseId, Committee, MaybeActor, MaybeReason, Notes, PartyId, Reason, Role
from cli.remote import remote, who_acts
from cli.render import render
from models.aftercare import AfterInvalid, Ruling
from models.calendar import CHINA_TZ, Span, Unit
from models.case import Actor
from models.enums import Action, ActorRole, AgreementForm, Level, SessionMode
from models.labels import both
from models.view import CaseView

app = typer.Typer()


async def _act(
    case_id: str, action: Action, actor_id: str | None, committee: str | None, role: ActorRole, **fields: Any
) -> None:
    """Through the service when one is configured (the actor is who logged in, one idempotency
    key per command); otherwise directly on Temporal, as an operator's trusted backend."""
    service = remote()
    if service is not None:
        who_acts(actor_id)  # the logged-in person; an `--as` naming another is refused
        async with service:
            view = CaseView.model_validate(await service.act(case_id, action.value, fields))
        out.print(f"[green]{both(action)}[/] done")
        render(view)
        return
    if actor_id is None:
        raise ValueError("give --as (direct access to Temporal), or set API_URL and `mediation login`")
    cases = await direct_cases()
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
    case_id: CaseId,
    mediators: Annotated[str, typer.Option(help="ids, comma-separated")],
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Accept a handed-off case and assign mediators (Art. 19)."""
    await _act(case_id, Action.ACCEPT, as_, committee, role, mediator_ids=_ids(mediators))


@app.command()
@command
async def session(
    case_id: CaseId,
    notes: Notes,
    attendees: Annotated[str, typer.Option(help="party ids, e.g. P1,P2")] = "P1,P2",
    mode: SessionMode = SessionMode.IN_PERSON,
    held_at: Annotated[datetime | None, typer.Option(help="default: now")] = None,
    as_: MaybeActor = None,
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
    case_id: CaseId,
    by: Annotated[int, typer.Option(help="amount")],
    unit: Unit = Unit.WORKING_DAYS,
    consent: Annotated[str, typer.Option(help="consenting party ids, e.g. P1,P2")] = "",
    reason: Reason = "parties asked for more time",
    as_: MaybeActor = None,
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
    case_id: CaseId,
    reason: Reason,
    intensifying: Annotated[bool, typer.Option(help="may intensify (Art. 25)")] = False,
    to: Annotated[Level | None, typer.Option(help="jump to this level")] = None,
    as_: MaybeActor = None,
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
    case_id: CaseId,
    as_: MaybeActor,
    reason: Reason,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Flag the dispute as likely to intensify (Art. 25): police and departments told once; no escalation."""
    await _act(case_id, Action.FLAG_INTENSIFICATION, as_, committee, role, reason=reason)


@app.command()
@command
async def transfer(
    case_id: CaseId,
    to: Annotated[str, typer.Option(help="committee id")],
    reason: Reason,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Transfer to another committee, e.g. a specialised one."""
    await _act(case_id, Action.TRANSFER, as_, committee, role, committee_id=to, reason=reason)


@app.command()
@command
async def agree(
    case_id: CaseId,
    terms: Annotated[str, typer.Option()],
    form: AgreementForm = AgreementForm.WRITTEN,
    signed: Annotated[str, typer.Option(help="signing party ids")] = "P1,P2",
    as_: MaybeActor = None,
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
    case_id: CaseId,
    reason: Reason,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that mediation failed (escalates; at the top, ends and tells parties their routes)."""
    await _act(case_id, Action.RECORD_FAILURE, as_, committee, role, reason=reason)


@app.command()
@command
async def refuse(
    case_id: CaseId,
    party: PartyId,
    reason: Reason,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that a party refuses mediation (closes the case, Art. 17)."""
    await _act(case_id, Action.RECORD_REFUSAL, as_, committee, role, party_id=party, reason=reason)


@app.command()
@command
async def withdraw(
    case_id: CaseId,
    party: PartyId,
    reason: Reason,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that the applicant withdraws (closes the case)."""
    await _act(case_id, Action.WITHDRAW, as_, committee, role, party_id=party, reason=reason)


@app.command("apply-confirmation")
@command
async def apply_confirmation(
    case_id: CaseId,
    court: Annotated[str, typer.Option(help="the court applied to")],
    applicants: Annotated[str, typer.Option(help="every party, e.g. P1,P2 (joint, Art. 33)")] = "P1,P2",
    applied_at: Annotated[datetime | None, typer.Option(help="default: now")] = None,
    as_: MaybeActor = None,
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
    case_id: CaseId,
    accepted: Annotated[bool, typer.Option("--accepted/--not-accepted", help="did the court accept it")],
    reason: MaybeReason = None,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record whether the court accepted the application (due within 3 days)."""
    await _act(case_id, Action.RECORD_COURT_DECISION, as_, committee, role, accepted=accepted, reason=reason)


@app.command()
@command
async def ruling(
    case_id: CaseId,
    outcome: Annotated[Ruling, typer.Option("--ruling", help="confirmed or invalid")],
    then: Annotated[AfterInvalid | None, typer.Option(help="after `invalid`: mediate_again or sue")] = None,
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record the court's ruling on judicial confirmation."""
    await _act(case_id, Action.RECORD_RULING, as_, committee, role, ruling=outcome, then=then)


@app.command("extend-ruling")
@command
async def extend_ruling(
    case_id: CaseId,
    as_: MaybeActor,
    approval: Annotated[str, typer.Option(help="the court president's approval (e.g. its number)")],
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record that the court president approved 10 more days for the ruling (SPC 2011, Art. 5)."""
    await _act(case_id, Action.EXTEND_RULING, as_, committee, role, approval=approval)


@app.command()
@command
async def visit(
    case_id: CaseId,
    notes: Notes,
    performing: Annotated[bool, typer.Option("--performing/--breach", help="is the agreement performed")],
    as_: MaybeActor = None,
    committee: Committee = None,
    role: Role = ActorRole.MEDIATOR,
) -> None:
    """Record a follow-up visit (回访): performed, or breached (reopens mediation)."""
    await _act(case_id, Action.RECORD_VISIT, as_, committee, role, performing=performing, notes=notes)
