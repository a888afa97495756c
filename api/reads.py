"""Supervisors' reads: the performance report (JSON, CSV, PNG), the digest, a case's audit trail;
and what every logged-in person may read: who they are, the policies."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from front.auth import Person, Svc
from models.authority import Principal
from models.calendar import local_day
from models.digest import Digest
from models.performance import ReportQuery, days_period
from policies import available, load_policy
from service.audit import AuditEntry
from service.report_output import to_csv, to_json

router = APIRouter(tags=["reads"])


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PNG = "png"


@router.get("/me", summary="who you are, as the registry has you now")
async def me(p: Person) -> Principal:
    return p


@router.get("/policies", summary="the policies a case can be opened with")
async def policies(p: Person) -> list[dict[str, Any]]:
    found = []
    for name in available():
        policy = load_policy(name)
        ladder = [
            {"level": r.level.value, "acceptance": str(r.acceptance), "mediation": str(r.mediation)}
            for r in policy.levels
        ]
        found.append({"name": policy.name, "title": policy.title, "ladder": ladder})
    return found


@router.get(
    "/reports/performance",
    summary="how the levels perform in a place over a period (JSON, CSV or a PNG chart)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "image/png": {}}}},
)
async def performance(
    place: str,
    p: Person,
    svc: Svc,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    channel: str | None = None,
    format: Format = Format.JSON,
) -> Response:
    today = local_day(datetime.now(UTC))
    first, last = from_ or today.replace(day=1), to or today
    report = await svc.door.report(
        p, ReportQuery(place=place, period=days_period(first, last), channel=channel)
    )
    if format is Format.CSV:
        return Response(to_csv(report), media_type="text/csv; charset=utf-8")
    if format is Format.PNG:
        from service.report_chart import draw_chart  # matplotlib: only when a chart is asked for

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.png"
            draw_chart(report, path)
            return Response(path.read_bytes(), media_type="image/png")
    return Response(to_json(report), media_type="application/json")


@router.get(
    "/digest", summary="a scope's digest as it stands now (due soon, overdue, stalled, may intensify)"
)
async def digest(place: str, p: Person, svc: Svc) -> Digest:
    return await svc.door.digest(p, place)


@router.get("/cases/{case_id}/audit", summary="every request that changed (or tried to change) the case")
async def trail(case_id: str, p: Person, svc: Svc) -> list[AuditEntry]:
    return await svc.door.trail(p, case_id)
