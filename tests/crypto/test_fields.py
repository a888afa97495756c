"""Sealing one value for PostgreSQL: round trip, key ids, rotation, and what is refused."""

from __future__ import annotations

import pytest

from crypto.fields import FieldSealer, FieldSealError, is_sealed
from crypto.keys import KeyRing
from tests.crypto.helpers import NEW_KEY, OLD_KEY, leaks

NAME = "王秀英"
ID_NUMBER = "11010519491231002X"


def sealer(*keys: tuple[str, bytes]) -> FieldSealer:
    return FieldSealer(KeyRing(dict(keys)))


def test_a_value_is_sealed_with_its_key_id_and_opens_again() -> None:
    fields = sealer(NEW_KEY)
    sealed = fields.seal(NAME, "case_parties.name")
    assert sealed.startswith("sealed:k-new:") and leaks(sealed) == []
    assert fields.open(sealed, "case_parties.name") == NAME


def test_every_value_gets_a_fresh_nonce() -> None:
    fields = sealer(NEW_KEY)
    assert fields.seal(NAME, "case_parties.name") != fields.seal(NAME, "case_parties.name")


def test_a_value_moved_to_another_column_fails_authentication() -> None:
    fields = sealer(NEW_KEY)
    sealed = fields.seal(NAME, "case_parties.name")
    with pytest.raises(FieldSealError, match="failed authentication"):
        fields.open(sealed, "outbox.body")


def test_a_relabelled_or_altered_value_is_refused() -> None:
    fields = sealer(NEW_KEY, OLD_KEY)
    sealed = fields.seal(NAME, "case_parties.name")
    with pytest.raises(FieldSealError, match="failed authentication"):
        fields.open(sealed.replace("sealed:k-new:", "sealed:k-old:"), "case_parties.name")
    with pytest.raises(FieldSealError, match="failed authentication"):
        fields.open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"), "case_parties.name")


def test_a_clear_value_is_refused_where_encryption_is_on() -> None:
    with pytest.raises(FieldSealError, match=r"case_parties.name holds a clear value where encryption is on"):
        sealer(NEW_KEY).open(NAME, "case_parties.name")


def test_a_value_under_a_key_this_process_lacks_is_refused_by_name() -> None:
    sealed = sealer(OLD_KEY).seal(NAME, "stages.reason")
    with pytest.raises(
        FieldSealError, match=r"key 'k-old', which this process does not have \(it has k-new\)"
    ):
        sealer(NEW_KEY).open(sealed, "stages.reason")


def test_after_rotation_old_values_open_and_reseal_under_the_new_key() -> None:
    old = sealer(OLD_KEY).seal(NAME, "stages.reason")
    rotated = sealer(NEW_KEY, OLD_KEY)
    assert rotated.open(old, "stages.reason") == NAME
    resealed = rotated.reseal(old, "stages.reason")
    assert rotated.key_of(resealed) == "k-new" and rotated.open(resealed, "stages.reason") == NAME
    assert rotated.reseal(resealed, "stages.reason") == resealed  # already current: left alone


def test_with_encryption_off_values_stay_as_given_and_sealed_ones_are_refused() -> None:
    off = FieldSealer(None)
    assert off.seal(NAME, "case_parties.name") == NAME
    with pytest.raises(FieldSealError, match="none: ENCRYPTION=off"):
        off.open(sealer(NEW_KEY).seal(NAME, "case_parties.name"), "case_parties.name")


def test_the_look_up_hash_is_keyed_and_every_key_in_the_ring_can_match() -> None:
    fields = sealer(NEW_KEY, OLD_KEY)
    mine = fields.lookup(ID_NUMBER)
    assert mine.startswith("k-new:") and ID_NUMBER not in mine
    assert mine == fields.lookup(ID_NUMBER.lower()), "the ID number is normalised as intake does"
    assert mine != sealer(("k-new", bytes(32))).lookup(ID_NUMBER), "another key, another hash"
    assert fields.lookups(ID_NUMBER) == [mine, sealer(OLD_KEY).lookup(ID_NUMBER)]


def test_rows_seal_only_what_names_people() -> None:
    fields = sealer(NEW_KEY)
    party = fields.seal_party(
        {
            "case_id": "c",
            "party_id": "P1",
            "role": "applicant",
            "name": NAME,
            "id_number": ID_NUMBER,
            "phone": "13812345678",
        }
    )
    assert (party["party_id"], party["role"]) == ("P1", "applicant")
    assert all(is_sealed(party[k]) for k in ("name", "id_number", "phone"))
    assert party["id_hash"] == fields.lookup(ID_NUMBER)
    assert fields.open_party(party)["name"] == NAME
    agreement = fields.seal_agreement({"form": "written", "terms": "围墙按原址重建", "signed_by": ["P1"]})
    assert agreement is not None and agreement["form"] == "written" and is_sealed(agreement["terms"])
    event = fields.seal_event({"visit": 1, "performing": True, "notes": "双方无异议", "reason": "x"})
    assert event["visit"] == 1 and is_sealed(event["notes"]) and is_sealed(event["reason"])
    assert fields.open_event(event)["notes"] == "双方无异议"
