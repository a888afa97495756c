"""`make run` with encryption on: the codec server beside the dev server, and the UI pointed at it."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

import devstack
from crypto.tokens import Caller, verify
from settings import Settings
from tests.crypto.helpers import NEW_KEY, entry, free_port, settings


async def _get(url: str, attempts: int = 300, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    """Retry until something listens at `url`; then its status, headers and body."""
    method = kwargs.pop("method", "GET")
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            try:
                async with session.request(method, url, **kwargs) as response:
                    body = await response.json() if response.content_type == "application/json" else None
                    return response.status, dict(response.headers), body
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listened at {url}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(30)


def test_the_codec_endpoint_is_there_only_when_keys_are() -> None:
    off = settings(encryption="off")
    assert devstack.codec_endpoint(off) is None
    assert "Encryption OFF  ENCRYPTION=off: development only" in devstack.banner(
        off, "postgresql://x@/db", True
    )
    keyed = settings(encryption_keys=SecretStr(entry(NEW_KEY)), codec_server_port=9191)
    assert devstack.codec_endpoint(keyed) == "http://localhost:9191"
    lines = devstack.banner(keyed, "postgresql://x@/db", True)
    assert "--codec-endpoint http://localhost:9191" in lines
    assert '--codec-auth "Bearer $(cat ' in lines and "party data masked" in lines


def test_make_run_makes_a_secret_and_a_demo_operators_token_and_shows_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        devstack.os, "environ", {k: v for k, v in os.environ.items() if k != "CODEC_AUTH_SECRET"}
    )

    def here() -> Settings:  # what Settings() gives `make run` once it exported the secret
        return settings(encryption_keys=SecretStr(entry(NEW_KEY)), codec_server_port=9191, data_dir=tmp_path)

    monkeypatch.setattr(devstack, "Settings", here)
    keyed = here()
    wired = devstack.with_codec_secret(keyed)
    assert wired.codec_auth_secret is not None
    secret = wired.codec_auth_secret.get_secret_value()
    for name in ("codec.secret", "codec-demo-operator.token"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    token = (tmp_path / "codec-demo-operator.token").read_text().strip()
    assert verify(token, secret) == Caller(person_id="O-0001", party_data=False)
    assert devstack.ui_codec_endpoint(wired) == f"http://localhost:9191/t/{token}"
    shown = devstack.banner(wired, "postgresql://x@/db", True)
    assert secret not in shown and token not in shown


async def test_the_dev_servers_ui_is_told_where_the_codec_server_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(devstack, "GRPC_PORT", free_port())
    monkeypatch.setattr(devstack, "UI_PORT", free_port())
    temporal = devstack.start_temporal(tmp_path, "http://localhost:18081")
    try:
        status, _, body = await _get(f"http://127.0.0.1:{devstack.UI_PORT}/api/v1/settings")
    finally:
        _stop(temporal)
    assert status == 200
    assert body["Codec"]["Endpoint"] == "http://localhost:18081"


async def test_the_codec_server_answers_the_uis_origin(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    port, ui_port = free_port(), free_port()
    monkeypatch.setattr(devstack, "UI_PORT", ui_port)
    for name in ("ENCRYPTION_KEY_FILE", "CODEC_CORS_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENCRYPTION_KEYS", entry(NEW_KEY))
    monkeypatch.setenv("CODEC_SERVER_PORT", str(port))
    monkeypatch.setenv("CODEC_AUTH_SECRET", "a-test-secret")
    codec = devstack.start_codec_server(settings(encryption_keys=SecretStr(entry(NEW_KEY))), pg_url)
    try:
        status, headers, _ = await _get(
            f"http://127.0.0.1:{port}/decode",
            method="OPTIONS",
            headers={"Origin": f"http://localhost:{ui_port}", "Access-Control-Request-Method": "POST"},
        )
    finally:
        _stop(codec)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == f"http://localhost:{ui_port}"
