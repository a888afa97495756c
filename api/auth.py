"""The one dependency every protected route runs: who is asking, as the live registry has them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.services import Services
from models.authority import Principal
from service.identity import NotAuthenticated, load_principal

COOKIE = "mediation_session"
bearer = HTTPBearer(auto_error=False, description="a session token from /auth/login, or an OIDC token")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def person(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    token = credentials.credentials if credentials else request.cookies.get(COOKIE)
    if not token:
        raise NotAuthenticated(
            "not logged in: POST /auth/login (or /auth/code), then send `Authorization: Bearer <token>`"
        )
    person_id, session_id = await svc.authenticate(token)
    async with svc.engine.connect() as conn:
        principal = await load_principal(conn, person_id)
    if principal is None:
        raise NotAuthenticated(f"{person_id} is not (or no longer) in the registry")
    request.state.session_id = session_id
    return principal


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


Person = Annotated[Principal, Depends(person)]
Svc = Annotated[Services, Depends(services)]
