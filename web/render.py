"""Rendering pages: templates, the language, CSRF tokens, idempotency keys, security headers."""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.authority import Forbidden, Principal, StaffRole
from models.calendar import local_text
from models.enums import Action, CaseStatus, ClosureReason, DisputeType, EscalationCause, Level, Outcome
from models.labels import LABELS
from models.page_text import LANGUAGES, PAGE_TEXT, page_text, reason_text

PAGE_PREFIXES = ("/app", "/board", "/track")
LANG_COOKIE = "mediation_lang"
CSRF_COOKIE = "mediation_csrf"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
KINDS: dict[str, type[StrEnum]] = {
    "status": CaseStatus,
    "level": Level,
    "dispute_type": DisputeType,
    "outcome": Outcome,
    "cause": EscalationCause,
    "closure": ClosureReason,
    "action": Action,
}
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class LoginNeeded(Exception):
    """A page that needs a login was asked for without a valid session."""


def is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES)


def secure_headers(headers: MutableHeaders) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Cache-Control", "no-store")


class PageHeaders:
    """The pages' (and their static files') security headers, added as the response starts.

    Plain ASGI: a `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) would run every
    request of the JSON API too through a task and a pair of memory streams, about a tenth of
    the service's CPU for an action."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith((*PAGE_PREFIXES, "/static")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, with_headers)


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "zh")
    return chosen if chosen in LANGUAGES else "zh"


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (a cookie); every form carries it back as a hidden field."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.csrf = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the browser's cookie."""
    form = await request.form()
    sent, kept = form.get("csrf"), request.cookies.get(CSRF_COOKIE)
    if not kept or not isinstance(sent, str) or not secrets.compare_digest(sent, kept):
        raise Forbidden(page_text("csrf", language(request)))
    return form


def time_left(deadline: datetime | None, lang: str, now: datetime | None = None) -> str:
    """'还剩1天3小时' / '2 h 5 min left'; late deadlines say by how much."""
    if deadline is None:
        return ""
    seconds = int((deadline - (now or datetime.now(UTC))).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if lang == "en":
        parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
        text = " ".join(p for p in parts[:2] if p) if days else " ".join(p for p in parts if p)
        return f"late by {text}" if late else f"{text} left"
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分钟"]
    text = "".join(parts[:2]) if days else "".join(parts)
    return f"已逾期{text}" if late else f"还剩{text}"


def label(value: Any, kind: str | None = None, lang: str = "zh") -> str:
    """The display text of an enumerated value (a member, or a string of the `kind` given)."""
    if value is None:
        return ""
    if not isinstance(value, StrEnum) and kind in KINDS:
        # a value not of that kind (a supervisor's action among mediators' ones) has the page's own text
        with contextlib.suppress(ValueError):
            value = KINDS[kind](value)
    if isinstance(value, StrEnum):
        found = LABELS.get((type(value), value.value))
        if found is not None:
            return found[1] if lang == "en" else found[0]
        value = value.value
    if value in PAGE_TEXT:
        return page_text(value, lang)
    return str(value)


def navigation(p: Principal | None) -> list[tuple[str, str]]:
    """The menu of a person: the pages their roles open."""
    if p is None:
        return []
    links = []
    if p.memberships:
        links.append(("inbox", "/app/inbox"))
    if any("-G" in m.jurisdiction for m in p.memberships):
        links.append(("intake", "/app/intake"))
    if p.scopes(StaffRole.SUPERVISOR):
        links.append(("supervise", "/app/supervise"))
    if p.scopes(StaffRole.COURT_LIAISON):
        links.append(("court", "/app/court"))
    return links


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = language(request)
    csrf = csrf_token(request)
    context |= {
        "lang": lang,
        "csrf": csrf,
        "path": request.url.path,
        "t": lambda key: page_text(key, lang),
        "reason": lambda message: reason_text(str(message), lang),
        "label": lambda value, kind=None: label(value, kind, lang),
        "left": lambda deadline: time_left(deadline, lang),
        "when": lambda instant: local_text(instant) if instant else "",
        "new_key": lambda: secrets.token_urlsafe(16),
    }
    context.setdefault("person", getattr(request.state, "principal", None))
    context["nav"] = navigation(context["person"])
    response = templates.TemplateResponse(request, template, context, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=False)
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status=status, message=message)
