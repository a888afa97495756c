"""Supervisors' and court liaisons' pages: counts, overdue and due-soon lists, the report, the
digest, a case's audit trail; the court's referrals and the terms it runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from front.auth import Svc
from models.authority import Forbidden, Principal, StaffRole, court_scope
from models.calendar import local_day
from models.digest import sections
from models.enums import LEVEL_ORDER, CaseStatus
from models.labels import ReportTerm
from models.performance import ReportQuery, days_period
from models.view import CaseView
from service.cases import CaseError, CaseFilter
from service.door import facts
from web import reads
from web.login import Me
from web.render import page

router = APIRouter(prefix="/app", include_in_schema=False)


def scope_of(p: Principal) -> str:
    scopes = p.scopes(StaffRole.SUPERVISOR)
    if not scopes:
        raise Forbidden(f"{p.person_id} ({p.role_names()}) is not a supervisor")
    return scopes[0]


@router.get("/supervise")
async def dashboard(request: Request, p: Me, svc: Svc) -> Response:
    scope = scope_of(p)
    by_level = {
        level: await svc.door.count(p, CaseFilter(level=level, open_only=True)) for level in LEVEL_ORDER
    }
    by_status = {status: await svc.door.count(p, CaseFilter(status=status)) for status in CaseStatus}
    overdue = await svc.door.page(p, CaseFilter(overdue=True, open_only=True), 50, None)
    due_soon = await svc.door.page(p, CaseFilter(due_within_days=1, open_only=True), 50, None)
    listed = {r.committee for r in overdue.rows + due_soon.rows if r.committee}
    return page(
        request,
        "supervise.html",
        scope=scope,
        by_level=by_level,
        by_status=by_status,
        overdue=overdue.rows,
        due_soon=[r for r in due_soon.rows if not r.overdue],
        names=await reads.committee_names(svc.engine, listed),
    )


@router.get("/supervise/report")
async def report(
    request: Request, p: Me, svc: Svc, start: date | None = None, end: date | None = None
) -> Response:
    scope = scope_of(p)
    today = local_day(datetime.now(UTC))
    first, last = start or today.replace(day=1), end or today
    found = await svc.door.report(p, ReportQuery(place=scope, period=days_period(first, last)))
    query = {"place": scope, "from": first.isoformat(), "to": last.isoformat()}
    links = {f: "/reports/performance?" + urlencode({**query, "format": f}) for f in ("csv", "json", "png")}
    return page(
        request,
        "report.html",
        terms=ReportTerm,
        report=found,
        first=first,
        last=last,
        links=links,
        scope=scope,
    )


@router.get("/supervise/digest")
async def digest(request: Request, p: Me, svc: Svc) -> Response:
    found = await svc.door.digest(p, scope_of(p))
    listed = sections(found)
    names = await reads.committee_names(svc.engine, {c.committee_id for _, cases in listed for c in cases})
    return page(request, "digest.html", digest=found, sections=listed, names=names)


@router.get("/cases/{case_id}/audit")
async def audit(request: Request, case_id: str, p: Me, svc: Svc) -> Response:
    entries = await svc.door.trail(p, case_id)
    return page(request, "audit.html", case_id=case_id, entries=entries)


@router.get("/court")
async def court(request: Request, p: Me, svc: Svc) -> Response:
    courts = p.scopes(StaffRole.COURT_LIAISON)
    if not courts:
        raise Forbidden(f"{p.person_id} ({p.role_names()}) is not a court liaison")

    async def view(case_id: str) -> CaseView | None:
        try:
            return await svc.door.cases.view(case_id)
        except CaseError:
            return None

    views = await asyncio.gather(*(view(c) for c in await reads.court_candidates(svc.engine)))
    mine = [v for v in views if v is not None and court_scope(p, facts(v))]
    return page(request, "court.html", court=courts[0], views=mine)
