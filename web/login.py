"""Logging in on a phone (one-time code, or password), out, and switching the language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from front.auth import COOKIE, Acting, Svc, acting, client_address, issue_session, person
from models.authority import Principal, StaffRole
from models.page_text import LANGUAGES
from service.identity import LoginRefused, NotAuthenticated, Session, TooManyAttempts
from web.render import LANG_COOKIE, LoginNeeded, checked_form, page

router = APIRouter(prefix="/app", include_in_schema=False)


async def page_person(request: Request, svc: Svc) -> Principal:
    """The logged-in person from the session cookie, as door's dependency finds them."""
    try:
        found = await person(request, svc, None)
    except NotAuthenticated as err:
        raise LoginNeeded(str(err)) from None
    request.state.principal = found
    return found


async def page_acting(case_id: str, request: Request) -> Acting:
    """The logged-in person acting on the case of the path, from the session cookie, with the
    case as its record has it: the session, the person and the case in one statement, as the
    service's action routes read them (`front.auth.acting`), so who may act is decided from the
    case's row on both doors, not from a query of the workflow."""
    try:
        found = await acting(case_id, request, None)
    except NotAuthenticated as err:
        raise LoginNeeded(str(err)) from None
    request.state.principal = found.person
    return found


Me = Annotated[Principal, Depends(page_person)]
ActingHere = Annotated[Acting, Depends(page_acting)]


def safe_next(target: str | None) -> str:
    """Only a path of this site (never `//elsewhere`)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app/"


def to_login(request: Request) -> Response:
    return RedirectResponse(f"/app/login?next={quote(request.url.path)}", status_code=303)


def home(p: Principal) -> str:
    if p.memberships:
        return "/app/inbox"
    if p.scopes(StaffRole.SUPERVISOR):
        return "/app/supervise"
    if p.scopes(StaffRole.COURT_LIAISON):
        return "/app/court"
    return "/app/login"


@router.get("/")
async def start(p: Me) -> Response:
    return RedirectResponse(home(p), status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", next=safe_next(next))


def _logged_in(session: Session, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    issue_session(response, session)
    return response


async def _attempt(request: Request, coro_error: Exception | None, **context: object) -> Response:
    status = 429 if isinstance(coro_error, TooManyAttempts) else 401
    return page(request, "login.html", status=status, error=str(coro_error), **context)


@router.post("/login")
async def login_password(request: Request, svc: Svc) -> Response:
    form = await checked_form(request)
    target = safe_next(str(form.get("next", "")))
    try:
        session = await svc.identity.login_password(
            str(form.get("login", "")), str(form.get("password", "")), client_address(request) or ""
        )
    except (LoginRefused, TooManyAttempts) as err:
        return await _attempt(request, err, next=target)
    return _logged_in(session, target)


@router.post("/login/code")
async def send_code(request: Request, svc: Svc) -> Response:
    form = await checked_form(request)
    phone, target = str(form.get("phone", "")).strip(), safe_next(str(form.get("next", "")))
    try:
        await svc.identity.request_code(phone, client_address(request) or "")
    except TooManyAttempts as err:
        return await _attempt(request, err, next=target)
    return page(request, "login.html", next=target, phone=phone, code_sent=True)


@router.post("/login/code/verify")
async def login_code(request: Request, svc: Svc) -> Response:
    form = await checked_form(request)
    phone, target = str(form.get("phone", "")).strip(), safe_next(str(form.get("next", "")))
    try:
        session = await svc.identity.login_code(
            phone, str(form.get("code", "")).strip(), client_address(request) or ""
        )
    except (LoginRefused, TooManyAttempts) as err:
        return await _attempt(request, err, next=target, phone=phone, code_sent=True)
    return _logged_in(session, target)


@router.post("/logout")
async def logout(request: Request, svc: Svc, p: Me) -> Response:
    await checked_form(request)
    if request.state.session_id is not None:
        await svc.identity.revoke(request.state.session_id)
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{lang}")
async def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response
