"""The one dependency every protected route runs: who is asking, as the live registry has them; and
the session a login issues (its cookie)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from front.services import Services
from models.authority import Principal
from service.identity import NotAuthenticated, Session

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
    principal, session_id = await svc.authenticate(token)
    request.state.session_id = session_id
    return principal


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


class SessionOut(BaseModel):
    token: str
    person_id: str
    expires_at: datetime


def issue_session(response: Response, session: Session) -> SessionOut:
    """The session to a browser (its HttpOnly cookie) and to a client (the body)."""
    response.set_cookie(
        COOKIE, session.token, httponly=True, samesite="strict", expires=session.expires_at, secure=False
    )
    return SessionOut(token=session.token, person_id=session.person_id, expires_at=session.expires_at)


Person = Annotated[Principal, Depends(person)]
Svc = Annotated[Services, Depends(services)]
