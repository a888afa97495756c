"""The PII scanner the other tests trust: it must see the parties' data in every form it can take."""

from __future__ import annotations

import json
import logging

import pytest
from temporalio.api.common.v1 import Payload

from tests.crypto.helpers import leaks
from tests.factories import PARTIES

NAME, ID_NUMBER, PHONE = PARTIES[0].name, PARTIES[0].id_number, PARTIES[0].phone
# As the pydantic converter writes it: UTF-8 JSON.
PAYLOAD = Payload(
    metadata={"encoding": b"json/plain"}, data=json.dumps({"name": NAME}, ensure_ascii=False).encode()
)


@pytest.mark.parametrize(
    "blob",
    [
        NAME,
        json.dumps({"name": NAME}),  # \u escapes
        json.dumps({"name": NAME}).replace("\\u738b", "\\u738B"),
        PAYLOAD.SerializeToString(),
        str(PAYLOAD),  # protobuf text format: octal escapes, as the SDK's debug lines print it
        json.dumps({"event": f"completing with {PAYLOAD}"}),  # ... inside a JSON log line
        repr(NAME.encode()),
        json.dumps({"event": logging.makeLogRecord({"msg": f"token {NAME.encode()!r}"}).getMessage()}),
    ],
)
def test_the_scanner_finds_a_name_in_every_form(blob: str | bytes) -> None:
    assert leaks(blob) == [NAME]


def test_the_scanner_finds_id_numbers_and_phones() -> None:
    assert leaks(f"id {ID_NUMBER} tel {PHONE}") == [ID_NUMBER, PHONE]


def test_the_scanner_is_quiet_about_masked_data() -> None:
    assert leaks(json.dumps(PARTIES[0].masked(), ensure_ascii=False)) == []
