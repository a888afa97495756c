"""The codec server as the Web UI and `temporal` CLI call it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import Payload, Payloads

from crypto.server import build_app
from crypto.tokens import mint
from settings import ROOT
from tests.cases import rows
from tests.crypto.helpers import NEW_KEY, OLD_KEY, codec, encrypting_converter, entry, free_port, leaks
from tests.factories import PARTIES, case_input

UI = "http://localhost:8233"
SECRET = "codec-test-secret"
TOKEN = mint(SECRET, "O-0009", party_data=True)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLEAR = Payload(metadata={"encoding": b"json/plain"}, data='"王秀英 13812345678"'.encode())


class Rows:
    """Audit rows kept in memory, for the HTTP tests (the process test writes them to PostgreSQL)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    async def record(self, row: dict[str, object]) -> None:
        self.rows.append(row)


def app(audit: Rows | None = None) -> web.Application:
    return build_app(
        codec(NEW_KEY, OLD_KEY),
        secret=SECRET,
        audience="temporal-codec",
        cors_origin=UI,
        audit=audit or Rows(),
    )


@pytest_asyncio.fixture
async def server() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app())) as client:
        yield client


def body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


def payloads(text: str) -> list[Payload]:
    return list(json_format.Parse(text, Payloads()).payloads)


async def test_encode_then_decode_round_trips_over_http(
    server: TestClient[web.Request, web.Application],
) -> None:
    encoded = await server.post("/encode", data=body(CLEAR), headers=AUTH)
    assert encoded.status == 200
    text = await encoded.text()
    assert leaks(text) == []
    (sealed,) = payloads(text)
    assert sealed.metadata["encryption-key-id"] == b"k-new"

    decoded = await server.post(
        "/decode", data=text, headers={**AUTH, "Content-Type": "application/json", "X-Namespace": "default"}
    )
    assert decoded.status == 200
    assert payloads(await decoded.text()) == [CLEAR]


async def test_the_wire_format_is_protobuf_json(server: TestClient[web.Request, web.Application]) -> None:
    response = await server.post("/encode", data=body(CLEAR), headers=AUTH)
    (item,) = json.loads(await response.text())["payloads"]
    assert set(item) == {"metadata", "data"}
    assert response.headers["Content-Type"].startswith("application/json")


async def test_a_preflight_from_the_ui_gets_the_cors_headers(
    server: TestClient[web.Request, web.Application],
) -> None:
    response = await server.options(
        "/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == UI
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-namespace"} <= allowed


async def test_a_decode_from_the_ui_carries_cors_headers(
    server: TestClient[web.Request, web.Application],
) -> None:
    response = await server.post("/decode", data=body(CLEAR), headers={**AUTH, "Origin": UI})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == UI


async def test_another_origin_gets_no_cors_headers(server: TestClient[web.Request, web.Application]) -> None:
    response = await server.options(
        "/decode", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_without_a_valid_token_nothing_is_encoded_or_decoded() -> None:
    audit = Rows()
    (sealed,) = await codec(NEW_KEY).encode([CLEAR])
    claims = TOKEN.split(".")[1]
    unsigned = f"eyJhbGciOiJub25lIn0.{claims}."  # alg none
    async with TestClient(TestServer(app(audit))) as server:
        for path, headers, why in [
            ("/decode", {}, "no bearer token"),
            ("/decode", {"Authorization": "Bearer wrong"}, "not a JWT"),
            ("/decode", {"Authorization": f"Bearer {mint('other', 'O-0009')}"}, "signature does not match"),
            ("/decode", {"Authorization": f"Bearer {mint(SECRET, 'O-0009', ttl_s=-3600)}"}, "expired"),
            ("/decode", {"Authorization": f"Bearer {mint(SECRET, 'O-0009', audience='x')}"}, "not for"),
            ("/decode", {"Authorization": f"Bearer {unsigned}"}, "must be signed with HS256"),
            ("/encode", {"Origin": UI}, "no bearer token"),
        ]:
            response = await server.post(path, data=body(sealed), headers=headers)
            assert response.status == 401, (path, headers)
            text = await response.text()
            assert why in text and leaks(text) == []
        response = await server.post("/decode", data=body(sealed), headers={"Origin": UI})
        assert response.headers["Access-Control-Allow-Origin"] == UI, "the UI must be able to read the 401"
    assert audit.rows == [], "nothing decoded, nothing audited"


async def test_a_ui_without_a_login_sends_its_token_in_the_path(
    server: TestClient[web.Request, web.Application],
) -> None:
    (sealed,) = await codec(NEW_KEY).encode([CLEAR])
    response = await server.post(f"/t/{TOKEN}/decode", data=body(sealed))
    assert response.status == 200 and payloads(await response.text()) == [CLEAR]
    assert (await server.post("/t/not-a-token/decode", data=body(sealed))).status == 401


async def test_a_masked_operator_sees_no_party_data_and_every_decode_is_audited() -> None:
    audit = Rows()
    case = case_input(906100)
    (sealed,) = await encrypting_converter(NEW_KEY).encode([case])
    page = {
        "Referer": f"{UI}/namespaces/default/workflows/{case.case_id}/run-1/history",
        "X-Namespace": "default",
    }
    masked = {"Authorization": f"Bearer {mint(SECRET, 'O-0001')}", **page}
    async with TestClient(TestServer(app(audit))) as server:
        shown = await server.post("/decode", data=body(sealed), headers=masked)
        assert shown.status == 200
        text = await shown.text()
        (item,) = payloads(text)
        document = json.loads(item.data)
        full = await server.post("/decode", data=body(sealed), headers={**AUTH, **page})
        (clear,) = payloads(await full.text())
    assert leaks(text) == [] and leaks(item.data) == []
    parties = document["intake"]["parties"]
    assert [(p["party_id"], p["name"], p["phone"]) for p in parties] == [
        ("P1", "王**", "138****5678"),
        ("P2", "李**", "139****4321"),
    ]
    assert document["intake"]["summary"] == "***" and document["case_id"] == case.case_id
    assert sorted(leaks(clear.data)) == sorted(v for p in PARTIES for v in (p.name, p.id_number, p.phone))
    assert audit.rows == [
        {
            "person_id": "O-0001",
            "namespace": "default",
            "workflow_id": case.case_id,
            "case_ids": [case.case_id],
            "payloads": 1,
            "masked": True,
        },
        {
            "person_id": "O-0009",
            "namespace": "default",
            "workflow_id": case.case_id,
            "case_ids": [case.case_id],
            "payloads": 1,
            "masked": False,
        },
    ]


async def test_when_the_audit_cannot_be_written_nothing_is_shown() -> None:
    class Down(Rows):
        async def record(self, row: dict[str, object]) -> None:
            raise ConnectionRefusedError("database away")

    (sealed,) = await codec(NEW_KEY).encode([CLEAR])
    async with TestClient(TestServer(app(Down()))) as server:
        response = await server.post("/decode", data=body(sealed), headers=AUTH)
        assert response.status == 503
        assert "cannot write the audit row: database away" in (await response.json())["message"]


async def test_a_payload_under_an_unknown_key_is_a_clear_error(
    server: TestClient[web.Request, web.Application],
) -> None:
    (sealed,) = await codec(("k-retired", bytes(32))).encode([CLEAR])
    response = await server.post("/decode", data=body(sealed), headers=AUTH)
    assert response.status == 422
    assert "k-retired" in (await response.json())["message"]


async def test_a_body_that_is_not_payloads_is_a_bad_request(
    server: TestClient[web.Request, web.Application],
) -> None:
    response = await server.post("/decode", data='{"payload": 1}', headers=AUTH)
    assert response.status == 400
    assert "Payloads JSON" in (await response.json())["message"]


async def test_python_dash_m_crypto_server_serves_the_configured_keys_and_audits_to_postgresql(
    crypto_db: tuple[str, AsyncEngine],
) -> None:
    url, engine = crypto_db
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENCRYPTION", "CODEC"))}
    env.update({"ENCRYPTION_KEYS": entry(NEW_KEY), "DATABASE_URL": url})
    refused = subprocess.run(
        [sys.executable, "-m", "crypto.server"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "set CODEC_AUTH_SECRET" in refused.stderr
    env["CODEC_AUTH_SECRET"] = SECRET
    process = subprocess.Popen(
        [sys.executable, "-m", "crypto.server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            for _ in range(200):
                try:
                    response = await session.post("/encode", data=body(CLEAR), headers=AUTH)
                    break
                except aiohttp.ClientConnectionError:
                    assert process.poll() is None, process.communicate()[0]
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the codec server did not start")
            assert response.status == 200
            (sealed,) = payloads(await response.text())
            assert await codec(NEW_KEY).decode([sealed]) == [CLEAR]
            decoded = await session.post(
                "/decode", data=body(sealed), headers={**AUTH, "X-Namespace": "ns-x"}
            )
            assert decoded.status == 200
    finally:
        process.terminate()
        process.wait(10)
    audited = await rows(
        engine, "SELECT person_id, namespace, payloads, masked FROM codec_audit WHERE namespace = 'ns-x'"
    )
    assert audited == [{"person_id": "O-0009", "namespace": "ns-x", "payloads": 1, "masked": False}]
