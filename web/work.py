"""Mediators' and grid workers' pages: the inbox, a case with its actions, intake and the receipt."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from front.auth import Svc, client_address
from front.errors import STATUS
from models.authority import CaseOp, Forbidden, Principal, actions_for, may_open_file, staff_scope
from models.case_file import AgreementDocument, document_date
from models.enums import Action, DisputeType, Risk
from models.supervision import StaffAction
from models.view import CaseView
from service.cases import INBOX, CaseRow, by_deadline
from service.door import facts
from web import reads
from web.forms import INTAKE_PARTIES_MAX, action_body, intake_body, intake_party_count
from web.login import ActingHere, Me
from web.render import checked_form, language, page

router = APIRouter(prefix="/app", include_in_schema=False)


def my_actions(p: Principal, view: CaseView) -> list[CaseOp]:
    """The actions this person may take on the case now (the workflow's allowed, by who they are)."""
    return actions_for(p, facts(view), view.allowed_actions, view.status, view.overdue)


def opens_file(p: Principal, view: CaseView) -> bool:
    """Whether the case page links to the case file (the rule is `may_open_file`'s)."""
    try:
        may_open_file(p, view.case_id, view.committee_id, view.status)
    except Forbidden:
        return False
    return True


def status_of(err: Exception) -> int:
    return next((status for kind, status in STATUS if isinstance(err, kind)), 500)


class InboxItem:
    def __init__(self, row: CaseRow, risk: str | None) -> None:
        self.row = row
        self.may_intensify = risk == Risk.MAY_INTENSIFY.value


async def _inbox(p: Principal, svc: Svc) -> dict[str, list[InboxItem]]:
    rows: list[CaseRow] = []
    for m in p.memberships:
        rows += await svc.door.inbox(p, m.committee_id, 200)
    risk = await reads.risks(svc.engine, [r.case_id for r in rows])
    groups: dict[str, list[InboxItem]] = {s.value: [] for s in INBOX}
    for row in by_deadline(rows):  # a member of several committees: one list, soonest first
        if row.status in groups:
            groups[row.status].append(InboxItem(row, risk.get(row.case_id)))
    return groups


async def _names(p: Principal, svc: Svc) -> dict[str, str]:
    return await reads.committee_names(svc.engine, {m.committee_id for m in p.memberships})


@router.get("/inbox")
async def inbox(request: Request, p: Me, svc: Svc) -> Response:
    return page(request, "inbox.html", groups=await _inbox(p, svc), names=await _names(p, svc))


@router.get("/inbox/rows")
async def inbox_rows(request: Request, p: Me, svc: Svc) -> Response:
    """The inbox's lists alone: the page refreshes them in place (htmx) every half minute."""
    return page(request, "inbox_rows.html", groups=await _inbox(p, svc), names=await _names(p, svc))


async def _case_page(
    request: Request, p: Principal, svc: Svc, case_id: str, status: int = 200, **context: object
) -> Response:
    view = await svc.door.show(p, case_id)
    actions = my_actions(p, view)
    choices = {}
    if Action.ACCEPT in actions:
        choices["members"] = await reads.members(svc.engine, view.committee_id)
    if Action.TRANSFER in actions:
        choices["committees"] = await reads.committee_choices(svc.engine, view.place.county)
    scope = staff_scope(p, facts(view))
    if StaffAction.REASSIGN in actions and scope:
        choices["scope_committees"] = await reads.committee_choices(svc.engine, scope)
    return page(
        request,
        "case.html",
        status=status,
        view=view,
        actions=actions,
        choices=choices,
        file_open=opens_file(p, view),
        **context,
    )


@router.get("/cases/{case_id}")
async def case(request: Request, case_id: str, p: Me, svc: Svc, done: str | None = None) -> Response:
    return await _case_page(request, p, svc, case_id, done=done)


@router.get("/cases/{case_id}/file")
async def case_file(request: Request, case_id: str, p: Me, svc: Svc) -> Response:
    """The case file, parties in clear (whom to call, what the dispute is, what the sessions
    found): for the committee holding the open case; each read is in the audit trail."""
    found = await svc.door.case_file(p, case_id, client_address(request))
    return page(request, "case_file.html", file=found)


@router.get("/cases/{case_id}/agreement")
async def agreement(request: Request, case_id: str, p: Me, svc: Svc) -> Response:
    """The written agreement in force (人民调解协议书), to print again: Art. 29's contents, one copy
    for each party and one the committee keeps."""
    return _agreement_page(request, await svc.door.agreement(p, case_id, client_address(request)))


@router.post("/cases/{case_id}/agreement")
async def agreement_draft(request: Request, case_id: str, p: Me, svc: Svc) -> Response:
    """A draft of the terms being agreed, to print and have signed before the agreement is recorded
    (a written agreement is recorded once every party has signed it)."""
    form = await checked_form(request)
    doc = await svc.door.agreement(p, case_id, client_address(request), terms=str(form.get("terms", "")))
    return _agreement_page(request, doc)


def _agreement_page(request: Request, doc: AgreementDocument) -> Response:
    return page(request, "agreement.html", doc=doc, signed_on=document_date(doc.signed_on, language(request)))


def _op(name: str) -> CaseOp:
    for kind in (Action, StaffAction):
        try:
            return kind(name)
        except ValueError:
            continue
    raise ValueError(f"no action `{name}`")


@router.post("/cases/{case_id}/do/{name}")
async def act(request: Request, case_id: str, name: str, who: ActingHere) -> Response:
    """One action as the logged-in person; the form's key is the idempotency key (the update id).
    Who may act is decided from the case's row, read with the session (as the service's routes)."""
    form = await checked_form(request)
    p, svc = who.person, who.services
    try:
        op = _op(name)
        key = str(form.get("key", ""))
        await svc.door.act(p, case_id, op, action_body(op, form), key, client_address(request), who.case)
    except Exception as err:
        status = status_of(err)
        if status == 500:
            raise
        return await _case_page(request, p, svc, case_id, status=status, refused=str(err), tried=name)
    return RedirectResponse(f"/app/cases/{case_id}?done={op.value}", status_code=303)


def grids_of(p: Principal) -> list[str]:
    """The grids this person works in (a grid committee's jurisdiction is a grid code)."""
    return [m.jurisdiction for m in p.memberships if "-G" in m.jurisdiction]


@router.get("/intake")
async def intake_form(request: Request, p: Me) -> Response:
    shown = {"parties": 2, "parties_max": INTAKE_PARTIES_MAX}
    return page(request, "intake.html", grids=grids_of(p), types=list(DisputeType), **shown)


def _intake_again(request: Request, grids: list[str], form: Any, status: int, error: str | None) -> Response:
    """The intake form given back as it was filled in (nothing to type again): after a refusal
    (`error`), or one party longer when the grid worker asked to add one (the new one focused)."""
    added = bool(form.get("add_party"))
    return page(
        request,
        "intake.html",
        status=status,
        grids=grids,
        types=list(DisputeType),
        error=error,
        values={k: str(v) for k, v in form.items() if k not in ("csrf", "add_party")},
        parties=intake_party_count(form),
        parties_max=INTAKE_PARTIES_MAX,
        focus=intake_party_count(form) if added else None,
    )


@router.post("/intake")
async def intake(request: Request, p: Me, svc: Svc) -> Response:
    form = await checked_form(request)
    grids = grids_of(p)
    grid = str(form.get("grid", ""))
    try:
        if grid not in grids:
            raise PermissionError(f"{p.person_id} is not the grid worker of grid {grid or '(none)'}")
        if form.get("add_party"):  # the same form again, one party longer: nothing is opened
            return _intake_again(request, grids, form, 200, None)
        body = intake_body(form, grid)
        result = await svc.door.open(p, body, None, client_address(request))
    except Exception as err:
        status = 403 if isinstance(err, PermissionError) else status_of(err)
        if status == 500:
            raise
        return _intake_again(request, grids, form, status, str(err))
    flag = "new" if result.created else "duplicate"
    return RedirectResponse(f"/app/cases/{result.case_id}/receipt?{flag}=1", status_code=303)


def qr_target(request: Request, case_no: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/track?case_no={case_no}"


def qr_svg(target: str) -> Markup:
    return Markup(segno.make(target, error="m").svg_inline(scale=4, title="QR"))


@router.get("/cases/{case_id}/receipt")
async def receipt(
    request: Request, case_id: str, p: Me, svc: Svc, new: int = 0, duplicate: int = 0
) -> Response:
    view = await svc.door.show(p, case_id)
    target = qr_target(request, view.case_no)
    return page(
        request, "receipt.html", view=view, qr=qr_svg(target), target=target, duplicate=bool(duplicate)
    )
