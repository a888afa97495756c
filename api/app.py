"""The FastAPI application: routes translate requests, `service/` does the work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import web
from api import cases, login, reads, registry
from front import errors
from front.services import Services, build
from settings import Settings

DESCRIPTION = """The mediation engine's front door. Log in (`/auth/login` with a password, or
`/auth/code` then `/auth/code/login` with a one-time code), then send `Authorization: Bearer <token>`
(or the HttpOnly cookie). Who acts is always the logged-in person; every action needs an
`Idempotency-Key` header. Refusals are JSON `{"error": reason}`: 401 not logged in, 403 not
allowed, 404 unknown case, 409 not allowed in the case's status, 422 invalid data, 429 too many
login attempts or a locked account."""


def create_app(services: Services | None = None, settings: Settings | None = None) -> FastAPI:
    """The app; without `services` it builds them from the settings when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        built = await build(settings or Settings())
        app.state.services = built
        try:
            yield
        finally:
            await built.close()

    app = FastAPI(title="Mediation engine", version="1", description=DESCRIPTION, lifespan=lifespan)
    if services is not None:
        app.state.services = services
    errors.install(app)
    for module in (login, cases, reads, registry):
        app.include_router(module.router)
    web.install(app)  # the mediators' app: pages over the same calls (web/)
    return app
