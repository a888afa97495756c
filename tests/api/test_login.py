"""Logins and sessions: passwords with lockout, one-time codes through the outbox, expiry,
forgery, logout, rate limits; every write of the OpenAPI asks for credentials."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.probe import unguarded
from crypto.fields import is_sealed
from front.services import Services
from notify.dispatcher import DeliveryPolicy, Dispatcher, Routing
from notify.senders import Outgoing
from tests.api.conftest import bearer, make_services, token_for

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture(scope="session")
async def operator(services: Services) -> dict[str, str]:
    return bearer(await token_for(services, "O-0001"))


async def _set_password(http: httpx.AsyncClient, operator: dict[str, str], person: str) -> None:
    answer = await http.post(f"/people/{person}/password", json={"password": PASSWORD}, headers=operator)
    assert answer.status_code == 200, answer.text


async def test_password_login_then_lockout_after_repeated_failures(
    http: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    await _set_password(http, operator, "M-0030")
    ok = await http.post("/auth/login", json={"login": "M-0030", "password": PASSWORD})
    assert ok.status_code == 200, ok.text
    assert "httponly" in ok.headers["set-cookie"].lower()
    me = await http.get("/me", headers=bearer(ok.json()["token"]))
    assert me.json()["person_id"] == "M-0030"
    for _ in range(3):  # the test services lock after 3
        wrong = await http.post("/auth/login", json={"login": "M-0030", "password": "not the password"})
        assert wrong.status_code == 401
    locked = await http.post("/auth/login", json={"login": "M-0030", "password": PASSWORD})
    assert locked.status_code == 429 and "locked" in locked.json()["error"]
    assert (await http.post("/people/M-0030/unlock", headers=operator)).status_code == 200
    again = await http.post("/auth/login", json={"login": "M-0030", "password": PASSWORD})
    assert again.status_code == 200


async def test_a_one_time_code_goes_through_the_outbox_and_works_once(
    services: Services, http: httpx.AsyncClient
) -> None:
    phone = "19910000031"  # M-0031 in the demo county
    assert (await http.post("/auth/code", json={"phone": phone})).status_code == 202
    async with services.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT body, facts FROM outbox WHERE kind = 'login_code' AND recipient = 'person:M-0031'")
        )
        stored = found.one()
    assert is_sealed(stored.body) and is_sealed(stored.facts["code"])  # no code in clear at rest
    code = await sms_to(services.engine, "person:M-0031")
    wrong = await http.post(
        "/auth/code/login", json={"phone": phone, "code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 401
    ok = await http.post("/auth/code/login", json={"phone": phone, "code": code})
    assert ok.status_code == 200 and ok.json()["person_id"] == "M-0031"
    reused = await http.post("/auth/code/login", json={"phone": phone, "code": code})
    assert reused.status_code == 401
    unknown = await http.post("/auth/code", json={"phone": "13000000000"})
    assert unknown.status_code == 202  # the same answer: no one learns which phones are registered


async def test_forged_expired_and_logged_out_sessions_are_refused(
    services: Services, http: httpx.AsyncClient
) -> None:
    token = await token_for(services, "S-0001")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not the secret of this service, but long", algorithm="HS256")
    assert (await http.get("/me", headers=bearer(forged))).status_code == 401
    async with services.engine.begin() as conn:
        old = await services.identity.open_session(conn, "S-0001", datetime.now(UTC) - timedelta(days=2))
    expired = await http.get("/me", headers=bearer(old.token))
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    assert (await http.get("/me", headers=bearer(token))).status_code == 200
    assert (await http.post("/auth/logout", headers=bearer(token))).status_code == 200
    after = await http.get("/me", headers=bearer(token))
    assert after.status_code == 401 and "logged out" in after.json()["error"]
    assert (await http.get("/me", headers=bearer("garbage"))).status_code == 401
    assert (await http.get("/me")).status_code == 401


async def test_the_cookie_is_a_session_too(http: httpx.AsyncClient, operator: dict[str, str]) -> None:
    await _set_password(http, operator, "M-0035")
    ok = await http.post("/auth/login", json={"login": "19910000035", "password": PASSWORD})
    assert ok.status_code == 200, ok.text
    assert ok.cookies["mediation_session"] == ok.json()["token"]
    me = await http.get("/me")  # the client sends the cookie it was given
    assert me.json()["person_id"] == "M-0035"


async def test_login_attempts_are_rate_limited_per_client(services: Services) -> None:
    tight = make_services(services.door.client, services.engine, services.door.task_queue, rate_per_minute=3)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(tight), client=("10.9.9.9", 1)), base_url="http://door"
    ) as http:
        codes = [
            (await http.post("/auth/login", json={"login": f"nobody-{i}", "password": "x"})).status_code
            for i in range(4)
        ]
    assert codes == [401, 401, 401, 429]


async def test_every_write_of_the_openapi_asks_for_credentials(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    posts = [p for p, methods in spec["paths"].items() if "post" in methods]
    assert len(posts) > 20
    assert (await http.get("/docs")).status_code == 200
    assert await unguarded(http) == []


class Phone:
    """The SMS channel as the person sees it: what each delivery's short text says."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    async def send(self, outgoing: Outgoing) -> str | None:
        self.texts[outgoing.recipient] = outgoing.text
        return None


async def sms_to(engine: AsyncEngine, recipient: str) -> str:
    """The six digits the person's SMS carries, delivered by the real dispatcher."""
    phone = Phone()
    policy = DeliveryPolicy(backoff_s=0.01, backoff_cap_s=0.02, max_attempts=2)
    dispatcher = Dispatcher(engine, {"sms": phone}, Routing({"*": ["sms"]}), policy, sign_name="人民调解")
    for _ in range(50):
        await dispatcher.run_once()
        if recipient in phone.texts:
            break
    digits = re.findall(r"\d{6}", phone.texts[recipient])
    assert len(digits) == 1, phone.texts[recipient]
    return digits[0]
