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
from temporalio.api.common.v1 import Payload, Payloads

from crypto.server import build_app
from settings import ROOT
from tests.crypto.helpers import NEW_KEY, OLD_KEY, codec, entry, free_port, leaks

UI = "http://localhost:8233"
TOKEN = "s3cret-operator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLEAR = Payload(metadata={"encoding": b"json/plain"}, data='"王秀英 13812345678"'.encode())


@pytest_asyncio.fixture
async def server() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = build_app(codec(NEW_KEY, OLD_KEY), token=TOKEN, cors_origin=UI)
    async with TestClient(TestServer(app)) as client:
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


async def test_without_the_token_nothing_is_encoded_or_decoded(
    server: TestClient[web.Request, web.Application],
) -> None:
    (sealed,) = await codec(NEW_KEY).encode([CLEAR])
    for path, headers in [
        ("/decode", {}),
        ("/decode", {"Authorization": "Bearer wrong"}),
        ("/decode", {"Authorization": TOKEN}),
        ("/encode", {"Origin": UI}),
    ]:
        response = await server.post(path, data=body(sealed), headers=headers)
        assert response.status == 401, (path, headers)
        assert leaks(await response.text()) == []
    response = await server.post("/decode", data=body(sealed), headers={"Origin": UI})
    assert response.headers["Access-Control-Allow-Origin"] == UI, "the UI must be able to read the 401"


async def test_without_a_configured_token_no_header_is_needed() -> None:
    app = build_app(codec(NEW_KEY), token=None, cors_origin=UI)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/encode", data=body(CLEAR))
        assert response.status == 200


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


async def test_python_dash_m_crypto_server_serves_the_configured_keys() -> None:
    port = free_port()
    env = {**os.environ, "ENCRYPTION_KEYS": entry(NEW_KEY), "CODEC_TOKEN": TOKEN}
    env.pop("ENCRYPTION_KEY_FILE", None)
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
    finally:
        process.terminate()
        process.wait(10)
