"""The mediators' app: server-rendered, mobile-first pages for phones (templates/, static/).

Pages over the same `service/` calls as the JSON API, behind the same login dependency and
session cookie (`front/`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from front.errors import STATUS, error
from web import login, public, staff, work
from web.render import LoginNeeded, PageHeaders, error_page, is_page

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages to the service: routes, static files, HTML errors and security headers."""
    for module in (login, work, staff, public):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def login_needed(request: Request, exc: Exception) -> Response:
        return login.to_login(request)

    app.add_exception_handler(LoginNeeded, login_needed)
    for kind, status in STATUS:  # pages answer refusals with a page; the JSON API as before

        async def handler(request: Request, exc: Exception, status: int = status) -> Response:
            if is_page(request):
                return error_page(request, status, str(exc))
            return error(status, str(exc))

        app.add_exception_handler(kind, handler)

    app.add_middleware(PageHeaders)
