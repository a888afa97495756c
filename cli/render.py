"""How the CLI prints a case and a page of cases (times in China time, labels in both languages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from cli.common import out
from models.calendar import local_text
from models.case_file import CaseFile
from models.enums import CaseStatus, DisputeType, Level, Outcome
from models.labels import both
from models.view import CaseView
from service.cases import CaseRow


def _local(instant: datetime | None) -> str:
    return local_text(instant) if instant else "—"


def _cst(instant: datetime | None) -> str:
    return f"{local_text(instant)} CST" if instant else "—"


def _decided(accepted: bool | None, ruling: object) -> str:
    """The court's answer to an application for judicial confirmation, so far."""
    if accepted is None:
        return "the court's decision pending"
    if not accepted:
        return "not accepted by the court"
    return f"accepted · ruling {ruling}" if ruling else "accepted · ruling pending"


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
        f"accept by  {_cst(view.acceptance_deadline)}{_mark(view, 'acceptance_deadline')}",
        f"mediate by {_cst(view.mediation_deadline)}{_mark(view, 'mediation_deadline')}",
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
            else f"applied {_local(conf.applied_at)} · {_decided(conf.accepted, conf.ruling)}"
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
            escape((s.reason or "")[:40]),
        )
    out.print(table)


def render_file(found: CaseFile) -> None:
    """The case file: whom to call, what the dispute is, what the sessions found, the agreement
    (free text escaped: a note's `[...]` is printed, not read as markup)."""
    lines = [
        f"[b]{found.case_no}[/]  {_label(found.dispute_type)}  {escape(found.committee_name)}",
        f"reported   {_local(found.reported_at)} CST · grid {found.place.grid}",
        f"summary    {escape(found.summary)}",
    ]
    for p in found.parties:
        who = escape(f"{p.name} ({p.role.value}) · phone {p.phone} · ID {p.id_number}")
        lines.append(f"{p.party_id:<10} {who}")
    for s in found.sessions:
        lines.append(f"session    {_local(s.held_at)} {_label(s.level)} {s.mode.value} · {escape(s.notes)}")
    if found.agreement:
        a = found.agreement
        signed = ", ".join(a.signed_by)
        lines.append(
            f"agreement  {_local(a.reached_at)} {a.form.value} · signed by {signed} · {escape(a.terms)}"
        )
    lines.append("[dim]personal data, for the committee mediating the case; this read is audited[/]")
    out.print(Panel("\n".join(lines), title=f"{found.case_id} file", expand=False))


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
