"""The codec: sealing, opening, rotation, and what it refuses."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from clients import data_converter
from crypto.codec import ENCODING, KEY_ID, DecryptionError, SharedPydanticPayloadConverter
from crypto.keys import KeyConfigError
from models.view import case_view
from tests.crypto.helpers import NEW_KEY, OLD_KEY, codec, encrypting_converter, leaks, settings
from tests.factories import PARTIES, case_input
from tests.models.helpers import opened

CLEAR = Payload(metadata={"encoding": b"json/plain"}, data='{"name": "王秀英"}'.encode())


async def test_a_payload_round_trips_and_is_stored_sealed_under_the_current_key() -> None:
    ring = codec(NEW_KEY, OLD_KEY)
    (sealed,) = await ring.encode([CLEAR])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k-new"
    assert b"json/plain" not in sealed.SerializeToString()
    assert leaks(sealed.SerializeToString()) == []
    assert await ring.decode([sealed]) == [CLEAR]


async def test_the_same_payload_seals_differently_each_time() -> None:
    ring = codec(NEW_KEY)
    first, second = await ring.encode([CLEAR, CLEAR])
    assert first.data != second.data


async def test_after_rotation_old_payloads_still_open_and_new_ones_use_the_new_key() -> None:
    (old,) = await codec(OLD_KEY).encode([CLEAR])
    rotated = codec(NEW_KEY, OLD_KEY)
    assert await rotated.decode([old]) == [CLEAR]
    (new,) = await rotated.encode([CLEAR])
    assert new.metadata[KEY_ID] == b"k-new"


async def test_a_payload_under_a_key_this_process_lacks_is_refused_by_name() -> None:
    (sealed,) = await codec(OLD_KEY).encode([CLEAR])
    with pytest.raises(DecryptionError, match=r"key 'k-old'.*does not have \(it has k-new\)"):
        await codec(NEW_KEY).decode([sealed])


async def test_altered_ciphertext_is_rejected() -> None:
    ring = codec(NEW_KEY)
    (sealed,) = await ring.encode([CLEAR])
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(DecryptionError, match="failed authentication"):
        await ring.decode([tampered])


async def test_relabelling_a_payload_with_another_key_id_is_rejected() -> None:
    """Both keys are known, but the key id is bound to the ciphertext."""
    (sealed,) = await codec(OLD_KEY).encode([CLEAR])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"k-new"}, data=sealed.data)
    with pytest.raises(DecryptionError, match="failed authentication"):
        await codec(NEW_KEY, OLD_KEY).decode([relabelled])


async def test_a_clear_payload_is_refused_where_encryption_is_on() -> None:
    with pytest.raises(
        DecryptionError, match=r"a clear payload \(encoding json/plain\) arrived where encryption is on"
    ):
        await codec(NEW_KEY).decode([CLEAR])


def test_only_encryption_off_gives_the_plain_pydantic_converter() -> None:
    assert data_converter(settings(encryption="off")) is pydantic_data_converter
    with pytest.raises(KeyConfigError, match="no keys are configured"):
        data_converter(settings())


async def test_the_converter_hides_a_whole_case_and_reads_it_back() -> None:
    case = case_input(906000)
    (plain,) = await pydantic_data_converter.encode([case])
    assert sorted(leaks(plain.SerializeToString())) == sorted(
        v for p in PARTIES for v in (p.name, p.id_number, p.phone)
    ), "the scanner must see clear text, or the tests that rely on it prove nothing"

    converter = encrypting_converter(NEW_KEY)
    assert isinstance(converter.failure_converter, DefaultFailureConverterWithEncodedAttributes)
    (sealed,) = await converter.encode([case])
    assert leaks(sealed.SerializeToString()) == []
    assert await converter.decode([sealed], [type(case)]) == [case]


async def test_a_truncated_payload_is_rejected() -> None:
    ring = codec(NEW_KEY)
    (sealed,) = await ring.encode([CLEAR])
    with pytest.raises(DecryptionError, match="failed authentication"):
        await ring.decode([Payload(metadata=dict(sealed.metadata), data=sealed.data[:5])])


def test_the_shared_payload_converter_builds_nothing_and_writes_the_stock_bytes() -> None:
    """The SDK builds a payload converter for every activation: the shared one reuses its
    converters (one type adapter cache for the process), and its payloads are the stock ones."""
    first, second = SharedPydanticPayloadConverter(), SharedPydanticPayloadConverter()
    assert all(a is b for a, b in zip(first.converters.values(), second.converters.values(), strict=True))
    assert encrypting_converter(NEW_KEY).payload_converter_class is SharedPydanticPayloadConverter
    stock = pydantic_data_converter.payload_converter
    values = [case_input(906001), case_view(opened()[0]), None, "网格", 3]
    payloads = first.to_payloads(values)
    assert payloads == stock.to_payloads(values)
    assert stock.from_payloads(payloads, [type(v) for v in values]) == values
