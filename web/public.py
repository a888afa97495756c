"""Pages without a login: the village notice board (民情公示栏) and a party following a case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from front.auth import Svc, client_address
from models.calendar import local_day
from models.performance import days_period
from service.cases import CaseError
from web import reads
from web.render import checked_form, page

router = APIRouter(include_in_schema=False)
BOARD_DAYS = 90


@router.get("/board")
async def boards(request: Request, svc: Svc) -> Response:
    return page(request, "boards.html", villages=await reads.villages(svc.engine))


@router.get("/board/{village}")
async def board(
    request: Request, village: str, svc: Svc, start: date | None = None, end: date | None = None
) -> Response:
    name = await reads.place_name(svc.engine, village)
    if name is None or len(village) != 12:
        return page(request, "error.html", status=404, message=f"no village {village}")
    today = local_day(datetime.now(UTC))
    first, last = start or today - timedelta(days=BOARD_DAYS), end or today
    rows = await reads.settled(svc.engine, village, days_period(first, last))
    return page(request, "board.html", village=village, name=name, rows=rows, first=first, last=last)


@router.get("/track")
async def track_form(request: Request, case_no: str = "") -> Response:
    return page(request, "track.html", case_no=case_no[:40])


@router.post("/track")
async def track(request: Request, svc: Svc) -> Response:
    """A party's view: the case number and the last 4 digits of a party's phone show where the
    case stands, what comes next and whom to contact; never any party's data."""
    form = await checked_form(request)
    case_no = str(form.get("case_no", "")).strip()[:40]
    digits = str(form.get("last4", "")).strip()
    case_id = f"case-{case_no}"
    locked, attempt = await reads.start_track(svc.engine, case_id, client_address(request) or "")
    if attempt is None:
        return page(request, "track.html", status=429, case_no=case_no, error=locked)
    view = None
    if len(digits) == 4 and digits.isdigit():
        try:
            view = await svc.door.cases.view(case_id)
        except CaseError:
            view = None
    matches = view is not None and any(p["phone"][-4:] == digits for p in view.parties)
    if matches:
        await reads.track_matched(svc.engine, attempt)
    if view is None or not matches:
        return page(request, "track.html", status=404, case_no=case_no, error="track_refused")
    return page(request, "tracked.html", view=view, next_key=f"next_{view.status.value}")
