"""The pages' pure parts: time left in words, safe redirects, forms as action bodies, labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.datastructures import FormData

from models.enums import Action, CaseStatus
from models.page_text import page_text, reason_text
from models.supervision import StaffAction
from service.cases import CaseRow, by_deadline
from web.forms import action_body, intake_body, intake_party_count
from web.login import safe_next
from web.render import label, templates, time_left
from web.work import InboxItem

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_time_left_reads_in_both_languages_and_says_how_late() -> None:
    assert time_left(NOW + timedelta(days=1, hours=3, minutes=5), "zh", NOW) == "还剩1天3小时"
    assert time_left(NOW + timedelta(hours=2, minutes=5), "en", NOW) == "2 h 5 min left"
    assert time_left(NOW - timedelta(minutes=7), "zh", NOW) == "已逾期7分钟"
    assert time_left(NOW - timedelta(days=2, hours=1), "en", NOW) == "late by 2 d 1 h"
    assert time_left(None, "zh", NOW) == ""


def test_only_paths_of_this_site_are_redirect_targets() -> None:
    assert safe_next("/app/cases/case-1") == "/app/cases/case-1"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", None, ""):
        assert safe_next(bad) == "/app/"


def test_a_form_becomes_the_json_api_body_of_its_action_without_an_actor() -> None:
    form = FormData(
        [
            ("amount", "2"),
            ("unit", "working_days"),
            ("consenting_parties", "P1"),
            ("consenting_parties", "P2"),
            ("reason", " 双方同意 "),
            ("actor", "M-0001"),
        ]
    )
    assert action_body(Action.EXTEND, form) == {
        "by": {"amount": "2", "unit": "working_days"},
        "consenting_parties": ["P1", "P2"],
        "reason": "双方同意",
    }
    escalate = action_body(Action.ESCALATE, FormData([("reason", "升级"), ("intensifying", "yes")]))
    assert escalate == {"reason": "升级", "intensifying": True}
    held = action_body(Action.RECORD_SESSION, FormData([("held_at", "2026-11-24 10:30"), ("notes", "到场")]))
    assert held["held_at"] == "2026-11-24T10:30:00+08:00" and held["attendees"] == []
    assert action_body(StaffAction.CLOSE_OVERDUE, FormData([("reason", "逾期")])) == {"reason": "逾期"}


def test_the_intake_form_opens_at_the_grid_worker_s_grid() -> None:
    body = intake_body(FormData([("dispute_type", "land"), ("summary", "地界争议")]), "431199001001-G01")
    assert body["place"] == {
        "county": "431199",
        "township": "431199001",
        "village": "431199001001",
        "grid": "431199001001-G01",
    }
    assert [p["party_id"] for p in body["parties"]] == ["P1", "P2"] and body["risk"] == "normal"


def test_the_intake_form_takes_more_parties_than_two() -> None:
    third = [("p3_name", "王五"), ("p3_id", "430000199001011234"), ("p3_phone", "13800000003")]
    shown = FormData([("parties", "4"), *third, ("p3_role", "respondent")])
    assert intake_party_count(shown) == 4
    body = intake_body(shown, "431199001001-G01")  # P4 left empty: no party
    assert [(p["party_id"], p["role"]) for p in body["parties"]] == [
        ("P1", "applicant"),
        ("P2", "respondent"),
        ("P3", "respondent"),
    ]
    assert body["parties"][2]["name"] == "王五"
    assert intake_party_count(FormData([("parties", "3"), ("add_party", "yes")])) == 4
    assert intake_party_count(FormData([("parties", "x")])) == 2
    assert intake_party_count(FormData([("parties", "99"), ("add_party", "yes")])) == 20


def test_labels_come_from_the_one_place_of_labels() -> None:
    assert label(CaseStatus.MEDIATING) == "调解中"
    assert label("mediating", "status", "en") == "mediating"
    assert label("reassign", "action") == "改派"
    assert label("no_such_value", "status") == "no_such_value"


def test_the_inbox_marks_overdue_cases_and_keeps_cases_without_a_deadline_last() -> None:
    def row(case_id: str, deadline: datetime | None, overdue: bool) -> CaseRow:
        return CaseRow(
            case_id=case_id,
            status="mediating",
            level="village",
            committee="C-431199001001",
            dispute_type="land",
            township="431199001",
            next_deadline=deadline,
            overdue=overdue,
            started=NOW,
        )

    rows = by_deadline([row("case-b", None, False), row("case-a", NOW - timedelta(hours=1), True)])
    html = templates.env.get_template("inbox_rows.html").render(
        groups={"mediating": [InboxItem(r, "may_intensify") for r in rows]},
        names={"C-431199001001": "王家村人民调解委员会"},
        t=lambda key: page_text(key, "zh"),
        label=lambda value, kind=None: label(value, kind),
        left=lambda deadline: time_left(deadline, "zh", NOW),
        when=lambda instant: str(instant),
    )
    assert html.index("case-a") < html.index("case-b")
    assert html.count("王家村人民调解委员会") == 2
    assert html.count('class="tag overdue"') == 1 and "已逾期1小时" in html
    assert html.count('class="tag intensify"') == 2


def test_a_refusal_reads_in_chinese_on_a_chinese_page_and_as_said_in_english() -> None:
    said = {
        "parties.1.phone: Value error, not a mainland mobile (11 digits) or landline (0xx-xxxxxxx) number": (
            "当事人P2的手机号码：不是有效的手机号码（11位）或固定电话（0xx-xxxxxxx）"
        ),
        "parties.0.id_number: Value error, not a valid 18-character resident ID number"
        " (check digit mismatch)": ("当事人P1的身份证号码：不是有效的18位居民身份证号码（校验位不符）"),
        "mediator_ids: List should have at least 1 item after validation, not 0": "调解员：至少选择一项",
        "wrong login or password": "账号或密码错误",
        "case 431199-2026-000001 is mediating at 王家村人民调解委员会 (village level);"
        " `record_failure` is not allowed now, only `record_session`, `extend`": (
            "案件431199-2026-000001调解中，由王家村人民调解委员会（村(社区)级）办理；"
            "现在不能办理「记录调解不成」；现在可以办理：「记录调解」、「延期」"
        ),
        "M-0028 (grid_worker of C-431199001001-G01) is not a member of C-431199001001, which holds"
        " case-431199-2026-000001; only its members act on it": (
            "M-0028不是C-431199001001的成员；该调委会正在办理case-431199-2026-000001，只有其成员可以办理"
        ),
        "a phrase no rule knows": "a phrase no rule knows",  # shown as said, never hidden
    }
    for message, chinese in said.items():
        assert reason_text(message, "zh") == chinese
        assert reason_text(message, "en") == message
