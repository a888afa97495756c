"""Refusals as JSON with fitting status codes; the body carries the reason a person can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from models.authority import Forbidden
from models.case_file import NoDocument
from models.intake import IntakeRejected
from models.registry import UnknownPlace
from policies import PolicyError
from service.cases import ActionRejected, CaseError, CaseNotFound
from service.directory import NotFound
from service.door import InvalidRequest
from service.identity import LoginRefused, NotAuthenticated, TooManyAttempts

STATUS: list[tuple[type[Exception], int]] = [
    (NotAuthenticated, 401),
    (LoginRefused, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (CaseNotFound, 404),
    (NotFound, 404),
    (ActionRejected, 409),
    (NoDocument, 409),
    (CaseError, 409),
    (InvalidRequest, 422),
    (IntakeRejected, 422),
    (UnknownPlace, 422),
    (PolicyError, 422),
    (ValueError, 422),
]


def error(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    for kind, status in STATUS:

        async def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return error(status, str(exc))

        app.add_exception_handler(kind, handler)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return error(422, "; ".join(parts))

    app.add_exception_handler(RequestValidationError, invalid)
