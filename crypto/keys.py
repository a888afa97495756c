"""The key ring: AES-256 keys by id, the first one current.

Keys are written `id:base64key`. ENCRYPTION_KEYS holds them comma-separated;
ENCRYPTION_KEY_FILE names a file with one per line (blank lines and `#` comments
skipped) or a JSON object `{"id": "base64key", ...}`. Either way the first key
encrypts new payloads and every key listed decrypts: rotating means putting a new
key first and keeping the old ones for as long as cases encrypted with them live.

Encryption fails closed: it is on unless ENCRYPTION=off (development only), and on without
keys is an error, never a quiet fall-back to clear payloads or rows.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settings import Settings

KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class KeyConfigError(ValueError):
    """Keys that cannot be used, said so the person who set them can fix them."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes] = field(repr=False)  # never in a log line or traceback

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("no encryption keys given")

    @property
    def current(self) -> str:
        return next(iter(self.keys))


def parse_entries(entries: Iterable[tuple[str, str]], source: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    for key_id, encoded in entries:
        if not KEY_ID.match(key_id):
            raise KeyConfigError(f"{source}: key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if key_id in keys:
            raise KeyConfigError(f"{source}: key id {key_id!r} appears twice")
        keys[key_id] = _decode_key(encoded, key_id, source)
    if not keys:
        raise KeyConfigError(f"{source} is set but holds no keys; unset it to run without encryption")
    return KeyRing(keys)


def parse_keys(text: str, source: str = "ENCRYPTION_KEYS") -> KeyRing:
    """`id:base64key` entries separated by commas or newlines."""
    entries = []
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep:
            raise KeyConfigError(f"{source}: entries are written id:base64key (an entry has no ':')")
        entries.append((key_id.strip(), encoded.strip()))
    return parse_entries(entries, source)


def load_key_file(path: Path) -> KeyRing:
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text("utf-8")
    except OSError as err:
        raise KeyConfigError(f"cannot read ENCRYPTION_KEY_FILE {path}: {err.strerror or err}") from err
    if mode & 0o077:
        raise KeyConfigError(
            f"ENCRYPTION_KEY_FILE {path} is readable by others (mode {mode:o}): `chmod 600 {path}`"
        )
    if not text.lstrip().startswith("{"):
        return parse_keys(text, source=str(path))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise KeyConfigError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise KeyConfigError(f'{path}: write the JSON as {{"key id": "base64 key", ...}}')
    return parse_entries(document.items(), source=str(path))


OFF_NOTICE = "ENCRYPTION=off: development only; payloads and party data are stored in clear"
NO_KEYS = (
    "encryption is on (the default) but no keys are configured: set ENCRYPTION_KEYS or"
    " ENCRYPTION_KEY_FILE (make a key with `mediation keys new`), or ENCRYPTION=off for development only"
)


def key_ring(settings: Settings) -> KeyRing | None:
    """The keys; None only with ENCRYPTION=off. Encryption on without keys is a KeyConfigError."""
    ring = given_keys(settings)
    if settings.encryption == "off":
        if ring is not None:
            raise KeyConfigError("ENCRYPTION=off, yet keys are set: unset ENCRYPTION or the keys")
        return None
    if ring is None:
        raise KeyConfigError(NO_KEYS)
    return ring


def encryption_notice(settings: Settings) -> str:
    """What a banner or start line says about encryption (never a key)."""
    if settings.encryption == "off":
        return OFF_NOTICE
    ring = given_keys(settings)
    return f"on, current key {ring.current}" if ring else "on, but no keys"


def given_keys(settings: Settings) -> KeyRing | None:
    """The keys set in the configuration, if any (whether encryption is on is `key_ring`'s say)."""
    if settings.encryption_keys is not None and settings.encryption_key_file is not None:
        raise KeyConfigError("set ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE, not both")
    if settings.encryption_keys is not None:
        return parse_keys(settings.encryption_keys.get_secret_value())
    if settings.encryption_key_file is not None:
        return load_key_file(settings.encryption_key_file)
    return None


def new_key(key_id: str | None = None) -> str:
    """A fresh `id:base64key` entry; the default id carries the day it was made."""
    key_id = key_id or f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(2)}"
    if not KEY_ID.match(key_id):
        raise KeyConfigError(f"key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def _decode_key(encoded: str, key_id: str, source: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{source}: key {key_id!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(
            f"{source}: key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}"
            " (make one with `python -m crypto.codec new-key`)"
        )
    return key
