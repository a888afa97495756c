"""Keys for the tests, and a scanner for the seeded parties' personal data."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import socket
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from clients import data_converter
from crypto.codec import EncryptionCodec
from crypto.keys import KeyRing
from models.view import CaseView
from settings import Settings
from tests.factories import PARTIES

OLD_KEY = ("k-old", bytes(range(32)))
NEW_KEY = ("k-new", bytes(range(100, 132)))


def entry(key: tuple[str, bytes]) -> str:
    return f"{key[0]}:{base64.b64encode(key[1]).decode()}"


def codec(*keys: tuple[str, bytes]) -> EncryptionCodec:
    return EncryptionCodec(KeyRing(dict(keys)))


def settings(**fields: Any) -> Settings:
    """Settings from these fields alone: no environment file, no leftovers of a `make run`."""
    return Settings(_env_file=None, **fields)


def encrypted_client(env: WorkflowEnvironment, *keys: tuple[str, bytes]) -> Client:
    """A client of the time-skipping server that seals payloads with `keys` (the first current)."""
    config = env.client.config()
    config["data_converter"] = encrypting_converter(*keys)
    return Client(**config)


def encrypting_converter(*keys: tuple[str, bytes]) -> DataConverter:
    return data_converter(settings(encryption_keys=SecretStr(",".join(entry(k) for k in keys))))


def personal_data() -> list[str]:
    """Every name, ID number and phone of the seeded parties."""
    return [value for party in PARTIES for value in (party.name, party.id_number, party.phone)]


def leaks(blob: bytes | str) -> list[str]:
    """The seeded parties' data found in `blob`, in any form a history or log line can carry it."""
    data = blob.encode() if isinstance(blob, str) else blob
    data += b"\n" + _unwrap_json_lines(data).encode()
    return [value for value in personal_data() if any(form in data for form in _forms(value))]


def _forms(value: str) -> set[bytes]:
    raw = value.encode()
    escaped = json.dumps(value)[1:-1]  # \u738b
    return {
        raw,
        escaped.encode(),
        re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), escaped).encode(),
        "".join(chr(b) if b < 0x80 else f"\\{b:03o}" for b in raw).encode(),  # protobuf text format
        "".join(chr(b) if b < 0x80 else f"\\x{b:02x}" for b in raw).encode(),  # Python bytes repr
    }


def _unwrap_json_lines(data: bytes) -> str:
    """The strings inside JSON log lines, unescaped once (a JSON line doubles every backslash)."""
    found: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for line in data.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError):
            collect(json.loads(line))
    return "\n".join(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def opened(handle: WorkflowHandle[Any, CaseView], attempts: int = 400) -> CaseView:
    """The case's view as soon as it has opened (its `state` query stops failing)."""
    for _ in range(attempts):
        try:
            return await handle.query("state", result_type=CaseView)
        except WorkflowQueryFailedError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"case {handle.id} did not open")
