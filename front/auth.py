"""The one dependency every protected route runs: who is asking, as the live registry has them; and
the session a login issues (its cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from front.services import Services
from models.authority import CaseFacts, Principal
from service.identity import NotAuthenticated, Session

COOKIE = "mediation_session"
bearer = HTTPBearer(auto_error=False, description="a session token from /auth/login, or an OIDC token")


async def services(request: Request) -> Services:  # async: a plain def would run in a thread
    found: Services = request.app.state.services
    return found


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    token = credentials.credentials if credentials else request.cookies.get(COOKIE)
    if not token:
        raise NotAuthenticated(
            "not logged in: POST /auth/login (or /auth/code), then send `Authorization: Bearer <token>`"
        )
    return token


async def person(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal, session_id, _ = await svc.authenticate(_token(request, credentials))
    request.state.session_id = session_id
    return principal


@dataclass(frozen=True)
class Acting:
    """The person acting on the case of the path, that case as its record has it (None when not
    read with the session: an OIDC token, or a case without a row yet), and the services."""

    person: Principal
    case: CaseFacts | None
    services: Services


async def acting(
    case_id: str,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Acting:
    """`person`, for an action on a case: the session, the person and the case in one statement
    (every action runs it: one dependency, not three)."""
    svc: Services = request.app.state.services
    principal, session_id, case = await svc.authenticate(_token(request, credentials), case_id)
    request.state.session_id = session_id
    return Acting(principal, case, svc)


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
Actor = Annotated[Acting, Depends(acting)]
Svc = Annotated[Services, Depends(services)]
