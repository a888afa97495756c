"""`mediation login`, `logout`, `whoami`: a session with the service, kept in the config dir."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.remote import Remote, SavedSession, save, saved, service_url, session_file
from service.cases import CaseError

app = typer.Typer()
out = Console()
DEFAULT_URL = "http://localhost:8000"


def _run(work: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(work)
    except CaseError as err:
        Console(stderr=True).print(f"[red]error:[/] {err}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def login(
    login: Annotated[str | None, typer.Option(help="your person id or phone, with a password")] = None,
    password: Annotated[str | None, typer.Option(help="asked for when not given")] = None,
    phone: Annotated[str | None, typer.Option(help="log in with a one-time code sent to this phone")] = None,
    code: Annotated[str | None, typer.Option(help="the code (asked for when not given)")] = None,
    url: Annotated[str | None, typer.Option(help="the service (default: API_URL, or localhost:8000)")] = None,
) -> None:
    """Log in to the service; the session is saved in your config directory."""
    base = url or service_url() or DEFAULT_URL
    if (login is None) == (phone is None):
        raise typer.BadParameter("give --login (with a password) or --phone (for a one-time code)")

    async def work() -> None:
        async with Remote(base, None) as service:
            if login is not None:
                secret = password or typer.prompt("password", hide_input=True)
                answer = await service.call("POST", "/auth/login", json={"login": login, "password": secret})
            else:
                await service.call("POST", "/auth/code", json={"phone": phone})
                given = code or typer.prompt("the code sent to your phone")
                answer = await service.call("POST", "/auth/code/login", json={"phone": phone, "code": given})
        body = answer.json()
        path = save(
            SavedSession(
                url=base, token=body["token"], person_id=body["person_id"], expires_at=body["expires_at"]
            )
        )
        out.print(f"logged in as [b]{body['person_id']}[/] until {body['expires_at']} (session in {path})")

    _run(work())


@app.command()
def logout() -> None:
    """End your session (the token stops working at once) and forget it."""
    session = saved()
    if session is None:
        out.print("not logged in")
        return

    async def work() -> None:
        async with Remote(session.url, session.token) as service:
            with contextlib.suppress(CaseError):  # expired already: forgetting it is all there is to do
                await service.call("POST", "/auth/logout")
        session_file().unlink(missing_ok=True)
        out.print(f"{session.person_id} logged out")

    _run(work())


@app.command()
def whoami() -> None:
    """Who the service says you are, with your roles from the registry."""
    session = saved()
    if session is None:
        raise typer.BadParameter("not logged in: run `mediation login`")

    async def work() -> None:
        async with Remote(session.url, session.token) as service:
            me = (await service.call("GET", "/me")).json()
        roles = [f"{m['role']} of {m['committee_id']}" for m in me["memberships"]]
        roles += [f"{s['role']} {s['scope']}".strip() for s in me["staff"]]
        out.print(f"{me['person_id']} {me['name']}: {', '.join(roles) or 'no role'}")

    _run(work())
