"""Sealing personal data in PostgreSQL: one value at a time, AES-256-GCM under the key ring.

A sealed value is the text `sealed:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: a fresh
96-bit nonce for every value, the key id beside it so a rotation knows what to re-seal, and the
key id and the column's name bound in as associated data (a value copied into another column, or
relabelled with another key id, fails authentication). The field key is derived from each ring key
with HKDF, so it never equals the key that seals Temporal payloads.

Look-ups never see an ID number: `FieldSealer.lookup` is a keyed HMAC-SHA256 of it
(`<key id>:<hex>`), under a second derived key. Every key in the ring can match (`lookups`), so rows
hashed before a rotation are still found until the rotation re-hashes them.

With ENCRYPTION=off (development only) `FieldSealer(None)` stores values as given and hashes under
a fixed, public development key; a sealed value then cannot be opened and is refused, as a clear
value is refused when encryption is on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.keys import KeyRing

PREFIX = "sealed:"
NONCE_BYTES = 12
DEV_KEY_ID = "dev"  # ENCRYPTION=off: look-up hashes under a public key, marked as such
_DEV_LOOKUP_KEY = b"mediation development lookup key (ENCRYPTION=off)"
FIELD_INFO = b"mediation/pg-field/v1"
LOOKUP_INFO = b"mediation/id-lookup/v1"

# Which parts of each row are personal data (a value) or free text that can name people.
PARTY_FIELDS = ("name", "id_number", "phone")
EVENT_TEXT = ("reason", "notes", "terms")  # keys of case_events.data
NOTICE_FIELDS = ("subject", "body")


class FieldSealError(ValueError):
    """A stored value this process must not or cannot open; the message says which and why."""


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class FieldSealer:
    """Seals and opens column values; `None` keys means encryption is off (development only)."""

    def __init__(self, ring: KeyRing | None) -> None:
        self.encrypting = ring is not None
        self.current = ring.current if ring else DEV_KEY_ID
        keys = ring.keys if ring else {}
        self._ciphers = {kid: AESGCM(_derive(key, FIELD_INFO)) for kid, key in keys.items()}
        self._lookup = {kid: _derive(key, LOOKUP_INFO) for kid, key in keys.items()} or {
            DEV_KEY_ID: _DEV_LOOKUP_KEY
        }

    # ---------------------------------------------------------------- one value
    def seal(self, value: str, field: str) -> str:
        if not self.encrypting:
            return value
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current].encrypt(nonce, value.encode(), self._aad(self.current, field))
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, value: str, field: str) -> str:
        if not is_sealed(value):
            if self.encrypting:
                raise FieldSealError(
                    f"{field} holds a clear value where encryption is on; refusing it"
                    " (seal existing rows with `alembic upgrade head`)"
                )
            return value
        key_id, _, data = value[len(PREFIX) :].partition(":")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            have = ", ".join(self._ciphers) or "none: ENCRYPTION=off"
            raise FieldSealError(
                f"{field} was sealed with key {key_id!r}, which this process does not have (it has"
                f" {have}); add that key after the current one to ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE"
            )
        try:
            raw = base64.urlsafe_b64decode(data.encode())
            clear = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(key_id, field))
        except (InvalidTag, ValueError, binascii.Error):
            raise FieldSealError(
                f"{field} under key {key_id!r} failed authentication: altered, or moved from another column"
            ) from None
        return clear.decode()

    def reseal(self, value: str, field: str) -> str:
        """The value under the current key (unchanged when it already is)."""
        if self.encrypting and is_sealed(value) and self.key_of(value) == self.current:
            return value
        return self.seal(self.open(value, field) if is_sealed(value) else value, field)

    @staticmethod
    def key_of(value: str) -> str | None:
        return value[len(PREFIX) :].partition(":")[0] if is_sealed(value) else None

    @staticmethod
    def _aad(key_id: str, field: str) -> bytes:
        return f"{key_id}|{field}".encode()

    # ---------------------------------------------------------------- keyed look-ups
    def lookup(self, id_number: str) -> str:
        """The keyed hash that stands for an ID number in look-ups, under the current key."""
        return self._hash(self.current, id_number)

    def lookups(self, id_number: str) -> list[str]:
        """The hash under every key in the ring: a row hashed before a rotation still matches."""
        return [self._hash(kid, id_number) for kid in self._lookup]

    def fingerprint(self, parts: list[str], key_id: str | None = None) -> str:
        """A keyed digest of several values (the intake's duplicate check), `<key id>:<base64url>`."""
        key_id = key_id or self.current
        digest = hmac.new(self._lookup[key_id], "\x1f".join(parts).encode(), hashlib.sha256).digest()
        return f"{key_id}:{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"

    @property
    def lookup_key_ids(self) -> list[str]:
        return list(self._lookup)

    def _hash(self, key_id: str, id_number: str) -> str:
        digest = hmac.new(self._lookup[key_id], id_number.strip().upper().encode(), hashlib.sha256)
        return f"{key_id}:{digest.hexdigest()}"

    # ---------------------------------------------------------------- rows
    def seal_party(self, party: Mapping[str, Any]) -> dict[str, Any]:
        row = dict(party)
        row["id_hash"] = self.lookup(str(row["id_number"]))
        for name in PARTY_FIELDS:
            row[name] = self.seal(str(row[name]), f"case_parties.{name}")
        return row

    def open_party(self, row: Mapping[str, Any]) -> dict[str, Any]:
        clear = dict(row)
        for name in PARTY_FIELDS:
            clear[name] = self.open(str(row[name]), f"case_parties.{name}")
        return clear

    def seal_text(self, value: str | None, field: str) -> str | None:
        return None if value is None else self.seal(value, field)

    def open_text(self, value: str | None, field: str) -> str | None:
        return None if value is None else self.open(value, field)

    def seal_agreement(self, agreement: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return _map_keys(agreement, ("terms",), lambda v, k: self.seal(v, f"stages.agreement.{k}"))

    def open_agreement(self, agreement: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return _map_keys(agreement, ("terms",), lambda v, k: self.open(v, f"stages.agreement.{k}"))

    def seal_event(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return _map_keys(data, EVENT_TEXT, lambda v, k: self.seal(v, f"case_events.data.{k}")) or {}

    def open_event(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return _map_keys(data, EVENT_TEXT, lambda v, k: self.open(v, f"case_events.data.{k}")) or {}

    def seal_notice(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return _map_keys(row, NOTICE_FIELDS, lambda v, k: self.seal(v, f"outbox.{k}")) or {}

    def open_notice(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        return _map_keys(row, NOTICE_FIELDS, lambda v, k: self.open(v, f"outbox.{k}")) or {}


def _map_keys(
    data: Mapping[Any, Any] | None, keys: tuple[str, ...], change: Callable[[str, str], str]
) -> dict[str, Any] | None:
    if data is None:
        return None
    return {k: change(v, k) if k in keys and isinstance(v, str) else v for k, v in data.items()}


# The outbox dispatcher opens each message through `open_notice`: the worker installs its sealer
# once at start, so the dispatcher needs no key handling of its own (and refuses without one).
_installed: FieldSealer | None = None


def install(sealer: FieldSealer) -> None:
    global _installed
    _installed = sealer


def installed() -> FieldSealer:
    """The sealer this process installed at start."""
    if _installed is None:
        raise FieldSealError("no field sealer installed: the process did not load its encryption keys")
    return _installed


def open_notice(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An outbox row with its subject and body opened by the sealer this process installed."""
    return installed().open_notice(row)


def open_facts(facts: Mapping[Any, Any]) -> dict[str, str]:
    """A notice's facts, those sealed (a login code) opened; the others are codes and times."""
    sealer = installed()
    return {str(k): sealer.open(v, f"outbox.facts.{k}") if is_sealed(v) else str(v) for k, v in facts.items()}
