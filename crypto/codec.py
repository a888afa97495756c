"""AES-256-GCM payload encryption: Temporal keeps only ciphertext of what a case carries.

Each payload (its metadata and data) is serialized and sealed with the key ring's
current key under a fresh 96-bit nonce; the result carries `encoding:
binary/encrypted` and `encryption-key-id`, so any process holding that key, today
or after a rotation, can open it. The key id is bound in as associated data:
relabelling a payload with another id fails authentication.

`python -m crypto.codec new-key [--id ID]` prints a fresh `id:base64key` entry.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import PayloadCodec

from crypto.keys import KeyConfigError, KeyRing, new_key

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A payload this process cannot open: its key is missing, or it was altered."""


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self._current = ring.current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(p) for p in payloads]

    async def decode_for_display(self, payloads: Sequence[Payload]) -> list[Payload]:
        """The codec server's decode: a clear payload is shown as it is, since nothing it shows
        enters a case (a worker or client decoding it would refuse it)."""
        return [self._open(p) if p.metadata.get("encoding") == ENCODING else p for p in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._current.encode()
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:  # fail closed: never take a clear one
            encoding = payload.metadata.get("encoding", b"none").decode("utf-8", "replace")
            raise DecryptionError(
                f"a clear payload (encoding {encoding}) arrived where encryption is on; refusing it."
                " Every client of this namespace must encrypt (clients.connect() does), or run all"
                " of them with ENCRYPTION=off (development only)"
            )
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"payload encrypted with key {key_id!r}, which this process does not have"
                f" (it has {', '.join(self._ciphers)}); add that key, after the current one,"
                " to ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE"
            )
        try:
            clear = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise DecryptionError(
                f"payload under key {key_id!r} failed authentication: it was altered,"
                " or sealed by a different key published under the same id"
            ) from None
        return Payload.FromString(clear)


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """The pydantic payload converter with its converters built once, for the whole process.

    The SDK instantiates a data converter's payload converter class for every `DataConverter` it
    makes, and it makes two for every workflow activation (which it then throws away): building
    the stock class's converters anew each time was about a twentieth of a replay. The converters
    are the stock ones, so the payloads are the same bytes."""

    def __init__(self) -> None:
        self._set_converters(*_PYDANTIC.converters.values())


_PYDANTIC = PydanticPayloadConverter()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crypto.codec", description="encryption keys")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("new-key", help="print a fresh id:base64key entry")
    make.add_argument("--id", help="key id (default: k<today>-<random>)")
    args = parser.parse_args(argv)
    try:
        print(new_key(args.id))
    except KeyConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
