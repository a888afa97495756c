"""The `mediation` CLI's way in through the service: a saved session, one idempotency key per
action (reused when a retry follows a timeout), the service's refusal as the one-line error."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import BaseModel

from service.cases import CaseError, CaseFilter
from settings import Settings

RETRIES = 3
RETRY_STATUS = {502, 503, 504}
TIMEOUT_S = 30.0


class SavedSession(BaseModel):
    url: str
    token: str
    person_id: str
    expires_at: str


def config_dir() -> Path:
    return Path(os.environ.get("MEDIATION_CONFIG_DIR") or typer.get_app_dir("mediation"))


def session_file() -> Path:
    return config_dir() / "session.json"


def save(session: SavedSession) -> Path:
    path = session_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(session.model_dump_json(), encoding="utf-8")
    return path


def saved() -> SavedSession | None:
    path = session_file()
    if not path.exists():
        return None
    return SavedSession.model_validate_json(path.read_text(encoding="utf-8"))


def service_url(settings: Settings | None = None) -> str | None:
    """The service's URL when one is configured (API_URL; `make run` writes it to data/stack.env)."""
    return (settings or Settings()).api_url


class Remote:
    """A logged-in client of the service."""

    def __init__(
        self, url: str, token: str | None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=url, headers=headers, timeout=TIMEOUT_S, transport=transport)

    async def __aenter__(self) -> Remote:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
        """One request; a write retried after a timeout or a gateway error carries the same key."""
        headers = {"Idempotency-Key": key} if key else {}
        last: Exception | None = None
        for _ in range(RETRIES if key or method == "GET" else 1):
            try:
                answer = await self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as err:
                last = err
                continue
            if answer.status_code in RETRY_STATUS:
                last = CaseError(f"the service answered {answer.status_code}")
                continue
            if answer.status_code >= 400:
                raise CaseError(_reason(answer, hint=not path.startswith("/auth/")))
            return answer
        raise CaseError(f"cannot reach the service at {self._http.base_url}: {last}")

    async def act(self, case_id: str, action: str, fields: dict[str, Any]) -> dict[str, Any]:
        body = json.loads(json.dumps(fields, default=str))
        answer = await self.call("POST", f"/cases/{case_id}/{action}", key=str(uuid.uuid4()), json=body)
        found: dict[str, Any] = answer.json()
        return found


def _reason(answer: httpx.Response, *, hint: bool = True) -> str:
    try:
        message = answer.json().get("error")
    except ValueError:
        message = None
    login = " (log in: `mediation login`)" if answer.status_code == 401 and hint else ""
    return f"{message or answer.text or answer.reason_phrase}{login}"


def query_params(values: Any) -> dict[str, Any]:
    """Query parameters of a filter (or a dict), the unset ones left out."""
    given = values.model_dump(mode="json", exclude_none=True) if isinstance(values, CaseFilter) else values
    return {k: v for k, v in given.items() if v is not None and v is not False}


def who_acts(as_: str | None) -> str:
    """Who a command acts as: the logged-in person when there is a session for the configured
    service (an `--as` naming anyone else is refused, as for the actions), else `--as`: a
    command run directly on the database or Temporal, an operator's trusted backend."""
    url = service_url()
    session = None if url is None else _session_for(url)
    if session is not None:
        if as_ is not None and as_ != session.person_id:
            raise CaseError(f"you are logged in as {session.person_id}; --as {as_} does not change who acts")
        return session.person_id
    if as_ is None:
        raise CaseError("give --as (direct access), or set API_URL and `mediation login`")
    return as_


def remote() -> Remote | None:
    """The service client when a service is configured: None means the CLI talks to Temporal
    directly, which only an operator's machine (holding the cluster's credentials) can."""
    url = service_url()
    if url is None:
        return None
    session = _session_for(url)
    if session is None:
        raise CaseError(f"not logged in to {url}: run `mediation login`")
    return Remote(url, session.token)


def _session_for(url: str) -> SavedSession | None:
    """The saved session, if it is one of the service at `url`."""
    session = saved()
    return session if session is not None and session.url.rstrip("/") == url.rstrip("/") else None
