"""Display labels: every member of a labelled enum has its own, even when values collide."""

from enum import StrEnum

import pytest

from models.enums import Action, CaseStatus, ClosureReason, DisputeType, EscalationCause, Level, Outcome
from models.labels import both, en, zh


@pytest.mark.parametrize(
    "enum", [Level, DisputeType, CaseStatus, Outcome, EscalationCause, ClosureReason, Action]
)
def test_every_member_has_a_chinese_and_an_english_label(enum: type[StrEnum]) -> None:
    for member in enum:
        assert zh(member) and en(member)


def test_members_sharing_a_value_keep_their_own_labels() -> None:
    assert both(CaseStatus.CLOSED) == "已结案 closed"
    assert en(Outcome.REFUSED) == "refused" and en(ClosureReason.REFUSED) == "a party refused"
    assert zh(Outcome.WITHDRAWN) == "撤回" and zh(ClosureReason.WITHDRAWN) == "当事人撤回"
