"""Notices: one SMS segment per kind and language for a usual case number; English where preferred."""

from __future__ import annotations

from datetime import UTC, datetime
from string import Template

import pytest

from models.enums import ClosureReason, DeadlineKind, DisputeType, Outcome
from models.labels import FOLLOW_UP_WHAT, NOTICES
from models.notices import SMS_SEGMENT, language, params, short_time, sms_text, template_key, texts

SIGNATURE = "【人民调解】"
CASE_NO = "(2026)示调字第123456号"
REFERRAL_NO = "(2026)湘1199诉前调123号"
DUE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).isoformat()
# The facts each kind carries (models/rules/), with every value its `what` can take.
FACTS: dict[str, list[dict[str, str]]] = {
    "handoff": [{"due": DUE}],
    "reminder": [{"deadline": d.value, "due": DUE} for d in DeadlineKind],
    "overdue": [{"deadline": d.value} for d in DeadlineKind],
    "overdue@supervisor": [{"due": DUE}],
    "intensification": [{"dispute_type": d.value} for d in DisputeType],
    "other_routes": [{}],
    "case_closed": [{"reason": r.value} for r in ClosureReason],
    "return_to_court": [{"referral_no": REFERRAL_NO}],
    "follow_up_due": [{"what": w} for w in FOLLOW_UP_WHAT],
    "confirmation": [{"due": DUE}],
    "digest": [{}],
    "login_code": [{"code": "482913", "minutes": "5"}],
    "deadline_moved": [{"due": DUE}],
    "court_outcome": [{"referral_no": REFERRAL_NO, "outcome": o.value} for o in Outcome],
}


@pytest.mark.parametrize("notice", sorted(NOTICES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_notice_fits_one_segment_and_has_all_its_variables(notice: str, lang: str) -> None:
    assert set(FACTS) == set(NOTICES)
    _, template = NOTICES[notice][lang]
    for facts in FACTS[notice]:
        values = params({"case_no": CASE_NO, **facts}, "督办日报 431199 2026-12-01", lang)
        needed = {m.group("braced") for m in Template.pattern.finditer(template) if m.group("braced")}
        assert needed <= set(values), (notice, facts)
        text = SIGNATURE + sms_text(template, values)
        assert len(text) <= SMS_SEGMENT, text


def test_english_only_for_those_who_prefer_it() -> None:
    assert [language(x) for x in ("en", "EN-gb", "zh", "", None, "fr")] == [
        "en",
        "en",
        "zh",
        "zh",
        "zh",
        "zh",
    ]
    assert texts("handoff", "committee", "en")[0] == "handed to you"
    assert texts("some_new_kind", "person", "zh") == ("通知", "${subject}")


def test_the_supervisor_has_a_notice_of_their_own_for_an_overdue_case() -> None:
    assert template_key("overdue", "supervisor") == "overdue@supervisor"
    assert template_key("overdue", "committee") == "overdue"


def test_times_read_as_china_time_and_the_end_of_a_day_as_24_00() -> None:
    assert short_time(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == "12-03 17:00"
    assert short_time(datetime(2026, 12, 3, 16, 0, tzinfo=UTC)) == "12-03 24:00"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_login_code_travels_in_the_sms_itself(lang: str) -> None:
    """The code is the message: a text of the stored subject alone would lock the person out."""
    _, template = texts("login_code", "person", lang)
    text = sms_text(template, params({"code": "482913", "minutes": "5"}, "登录验证码 login code", lang))
    assert "482913" in text and "5" in text
