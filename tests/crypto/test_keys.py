"""Where keys come from: ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE, and the mistakes people make."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from clients import connect
from crypto.codec import main as codec_main
from crypto.keys import KeyConfigError, key_ring, parse_keys
from settings import ConfigError
from tests.crypto.helpers import NEW_KEY, OLD_KEY, entry, settings


def test_keys_from_the_environment_variable_first_one_current() -> None:
    ring = key_ring(settings(encryption_keys=SecretStr(f"{entry(NEW_KEY)}, {entry(OLD_KEY)}")))
    assert ring is not None
    assert ring.current == "k-new"
    assert ring.keys == dict([NEW_KEY, OLD_KEY])


def test_keys_from_a_lines_file_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-11\n{entry(NEW_KEY)}\n\n{entry(OLD_KEY)}\n", "utf-8")
    path.chmod(0o600)
    ring = key_ring(settings(encryption_key_file=path))
    assert ring is not None and list(ring.keys) == ["k-new", "k-old"]


def test_keys_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    document = {key_id: base64.b64encode(key).decode() for key_id, key in (NEW_KEY, OLD_KEY)}
    path.write_text(json.dumps(document), "utf-8")
    path.chmod(0o600)
    ring = key_ring(settings(encryption_key_file=path))
    assert ring is not None and ring.current == "k-new" and ring.keys["k-old"] == OLD_KEY[1]


def test_encryption_is_on_by_default_and_without_keys_it_refuses() -> None:
    with pytest.raises(KeyConfigError, match=r"encryption is on \(the default\) but no keys are configured"):
        key_ring(settings())


def test_encryption_off_is_said_explicitly_and_not_beside_keys() -> None:
    assert key_ring(settings(encryption="off")) is None
    with pytest.raises(KeyConfigError, match="ENCRYPTION=off, yet keys are set"):
        key_ring(settings(encryption="off", encryption_keys=SecretStr(entry(NEW_KEY))))


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(entry(NEW_KEY), "utf-8")
    path.chmod(0o644)
    with pytest.raises(KeyConfigError, match=r"is readable by others \(mode 644\): `chmod 600"):
        key_ring(settings(encryption_key_file=path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1", "id:base64key"),
        ("k1:not-base64!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "5 bytes; AES-256 needs 32"),
        (f"bad id:{base64.b64encode(bytes(32)).decode()}", "key id 'bad id'"),
        (f"{entry(NEW_KEY)},{entry(NEW_KEY)}", "appears twice"),
        (" , ", "holds no keys"),
    ],
)
def test_bad_keys_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        parse_keys(text)


def test_a_key_never_appears_in_a_repr() -> None:
    ring = parse_keys(entry(NEW_KEY))
    assert base64.b64encode(NEW_KEY[1]).decode() not in repr(ring)
    assert str(NEW_KEY[1]) not in repr(ring)


def test_both_sources_at_once_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="not both"):
        key_ring(settings(encryption_keys=SecretStr(entry(NEW_KEY)), encryption_key_file=tmp_path / "k"))


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="cannot read ENCRYPTION_KEY_FILE"):
        key_ring(settings(encryption_key_file=tmp_path / "missing"))


async def test_a_client_refuses_to_start_without_keys_rather_than_send_clear_payloads() -> None:
    with pytest.raises(ConfigError, match="cannot use the encryption keys: encryption is on"):
        await connect(settings(temporal_address="127.0.0.1:1"))


async def test_connect_reports_bad_keys_before_trying_the_server() -> None:
    with pytest.raises(ConfigError, match=r"cannot use the encryption keys: .*not valid base64"):
        await connect(settings(encryption_keys=SecretStr("k1:???"), temporal_address="127.0.0.1:1"))


def test_new_key_prints_an_entry_the_parser_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert codec_main(["new-key", "--id", "k2027"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("k2027:")
    assert parse_keys(printed).current == "k2027"
