"""Logging in and out: password or one-time code; a session token and an HttpOnly cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from front.auth import COOKIE, Person, SessionOut, Svc, client_address, issue_session

router = APIRouter(prefix="/auth", tags=["login"])


class PasswordLogin(BaseModel):
    login: str = Field(min_length=1, max_length=40, description="person id or phone number")
    password: str = Field(min_length=1, max_length=200)


class CodeRequest(BaseModel):
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")


class CodeLogin(CodeRequest):
    code: str = Field(pattern=r"^[0-9]{6}$")


@router.post("/login", summary="log in with a password")
async def login(body: PasswordLogin, request: Request, response: Response, svc: Svc) -> SessionOut:
    session = await svc.identity.login_password(body.login, body.password, client_address(request) or "")
    return issue_session(response, session)


@router.post("/code", status_code=202, summary="send a one-time login code to a phone (through the outbox)")
async def request_code(body: CodeRequest, request: Request, svc: Svc) -> dict[str, str]:
    await svc.identity.request_code(body.phone, client_address(request) or "")
    return {"status": "if the phone number is registered, a code is on its way"}


@router.post("/code/login", summary="log in with the one-time code")
async def login_code(body: CodeLogin, request: Request, response: Response, svc: Svc) -> SessionOut:
    session = await svc.identity.login_code(body.phone, body.code, client_address(request) or "")
    return issue_session(response, session)


@router.post("/logout", summary="end this session (the token stops working at once)")
async def logout(request: Request, response: Response, p: Person, svc: Svc) -> dict[str, str]:
    session_id = request.state.session_id
    if session_id is not None:
        await svc.identity.revoke(session_id)
    response.delete_cookie(COOKIE)
    return {"status": f"{p.person_id} logged out"}
