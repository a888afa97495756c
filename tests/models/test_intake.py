"""What intake refuses: bad ID numbers and phones, places that do not nest, incomplete parties."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models.case import TEXT_MAX, CaseInput, CaseIntake, Party, Place, valid_id_number
from models.enums import PartyRole
from tests.factories import PARTIES, case_input, intake

APPLICANT, RESPONDENT = PARTIES


def party(**changes: Any) -> Party:
    return Party.model_validate({**APPLICANT.model_dump(), **changes})


def intake_with(**changes: Any) -> CaseIntake:
    return CaseIntake.model_validate({**intake().model_dump(), **changes})


# ---------------------------------------------------------------- the factory's case is valid


def test_factory_case_is_valid() -> None:
    case = case_input()
    assert case.intake.party_ids() == ["P1", "P2"]


# ---------------------------------------------------------------- ID numbers (GB 11643)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_valid_id_numbers_pass(number: str) -> None:
    assert valid_id_number(number)


def test_wrong_check_digit_is_rejected() -> None:
    assert not valid_id_number("110105194912310021")
    with pytest.raises(ValidationError, match="check digit mismatch"):
        party(id_number="440524188001010015")


@pytest.mark.parametrize("number", ["44052418800101001", "4405241880010100145", "44052418800101001Y", ""])
def test_malformed_id_number_is_rejected(number: str) -> None:
    with pytest.raises(ValidationError, match="resident ID number"):
        party(id_number=number)


def test_lowercase_check_x_is_normalised() -> None:
    assert party(id_number=" 11010519491231002x ").id_number == "11010519491231002X"


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize("phone", ["13812345678", "0731-84561234", "01012345678"])
def test_mobile_and_landline_numbers_pass(phone: str) -> None:
    assert party(phone=phone).phone == phone


@pytest.mark.parametrize("phone", ["1381234567", "12812345678", "+8613812345678", "138-1234-5678", "hello"])
def test_bad_phone_is_rejected(phone: str) -> None:
    with pytest.raises(ValidationError, match="not a mainland mobile"):
        party(phone=phone)


# ---------------------------------------------------------------- places


def test_place_codes_must_nest() -> None:
    with pytest.raises(ValidationError, match="place codes must nest"):
        Place(county="431199", township="431199001", village="431199002001", grid="431199002001-G01")


def test_grid_must_sit_in_its_village() -> None:
    with pytest.raises(ValidationError, match="place codes must nest"):
        Place(county="431199", township="431199001", village="431199001001", grid="431199001002-G01")


def test_place_code_shapes_are_checked() -> None:
    with pytest.raises(ValidationError, match="grid"):
        Place(county="431199", township="431199001", village="431199001001", grid="431199001001-01")


# ---------------------------------------------------------------- parties


def test_a_dispute_needs_two_parties() -> None:
    with pytest.raises(ValidationError, match="at least 2 items"):
        intake_with(parties=[APPLICANT.model_dump()])


def test_a_dispute_needs_a_respondent() -> None:
    second = party(party_id="P2", id_number=RESPONDENT.id_number)
    with pytest.raises(ValidationError, match="at least one applicant and one respondent"):
        intake_with(parties=[APPLICANT, second])


def test_party_ids_must_be_unique() -> None:
    twin = RESPONDENT.model_copy(update={"party_id": "P1"})
    with pytest.raises(ValidationError, match="party_id values must be unique"):
        intake_with(parties=[APPLICANT, twin])


def test_the_same_person_cannot_be_two_parties() -> None:
    twin = RESPONDENT.model_copy(update={"id_number": APPLICANT.id_number})
    with pytest.raises(ValidationError, match="same ID number appears for two parties"):
        intake_with(parties=[APPLICANT, twin])


def test_party_id_shape_is_checked() -> None:
    with pytest.raises(ValidationError, match="party_id"):
        party(party_id="applicant")


def test_third_parties_may_join() -> None:
    third = Party(
        party_id="P3",
        role=PartyRole.THIRD_PARTY,
        name="赵六",
        id_number="110105194912310011",
        phone="13700000000",
    )
    assert intake_with(parties=[APPLICANT, RESPONDENT, third]).party_ids() == ["P1", "P2", "P3"]


# ---------------------------------------------------------------- the rest of the form


def test_oversized_summary_is_rejected() -> None:
    with pytest.raises(ValidationError, match=f"at most {TEXT_MAX} characters"):
        intake_with(summary="争" * (TEXT_MAX + 1))


def test_too_short_summary_is_rejected() -> None:
    with pytest.raises(ValidationError, match="summary"):
        intake_with(summary="吵")


def test_report_time_must_carry_a_timezone() -> None:
    with pytest.raises(ValidationError, match="reported_at"):
        intake_with(reported_at="2026-11-23T09:00:00")


def test_case_id_shape_is_checked() -> None:
    data = case_input().model_dump()
    data["case_id"] = "case-1"
    with pytest.raises(ValidationError, match="case_id"):
        CaseInput.model_validate(data)


def test_masked_party_hides_personal_data() -> None:
    masked = APPLICANT.masked()
    assert masked["name"] == "王**"
    assert masked["id_number"] == "1101**********002X"
    assert masked["phone"] == "138****5678"
