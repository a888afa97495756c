"""SMS through Alibaba Cloud SMS's HTTP API, served here by a server that verifies signatures."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.aliyun import percent_encode, signature
from service import outbox as operator
from tests.factories import FIELDS
from tests.notify.conftest import TEMPLATE_CODES
from tests.notify.helpers import FAST, dispatcher, drain, put, rows, sms_sender
from tests.notify.servers import KEY_SECRET, AliyunSmsServer, documented_signature

CASE = "case-431199-2026-000001"
DUE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).isoformat()  # 17:00 in China


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_signature_is_the_documented_one() -> None:
    params = {
        "Action": "SendSms",
        "TemplateParam": '{"due":"12-03 17:00"}',
        "SignName": "人民调解",
        "A*b": "x~y z",
    }
    assert percent_encode("a b*~") == "a%20b%2A~"
    assert signature(params, KEY_SECRET) == documented_signature(params, KEY_SECRET, "POST")
    assert signature(params, "other") != documented_signature(params, KEY_SECRET, "POST")


async def test_members_and_parties_get_one_segment_in_their_language(
    notify_db: tuple[str, AsyncEngine], aliyun: AliyunSmsServer
) -> None:
    _, engine = notify_db
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO case_parties (case_id, party_id, role, name, id_number, phone, id_hash)"
                " VALUES (:case_id, 'P1', 'applicant', :name, :id_number, :phone, :id_hash)"
            ),
            FIELDS.seal_party(
                {"case_id": CASE, "name": "王秀英", "id_number": "11010519491231002X", "phone": "13812345678"}
            ),
        )
        await conn.execute(text("UPDATE people SET language = 'en' WHERE person_id = 'M-0002'"))
    await put(
        engine,
        f"{CASE}/stage-1/handoff",
        "handoff",
        "committee:C-431199",
        case_no="(2026)示调字第1号",
        due=DUE,
    )
    await put(
        engine,
        f"{CASE}/closed/P1",
        "case_closed",
        "party:P1",
        case_no="(2026)示调字第1号",
        reason="agreement",
    )
    sender = sms_sender(aliyun)
    await drain(dispatcher(engine, {"*": ["sms"]}, {"sms": sender}))

    by_phone = {s.phone: s for s in aliyun.sms}
    county = await rows(
        engine,
        "SELECT p.person_id, p.phone FROM committee_members m JOIN people p ON p.person_id = m.member_id"
        " WHERE m.committee_id = 'C-431199' ORDER BY 1",
    )
    assert set(by_phone) == {r["phone"] for r in county} | {"13812345678"}
    assert len(aliyun.sms) == len(county) + 1 and aliyun.refused == []
    chinese = by_phone[county[0]["phone"]]
    assert chinese.template_code == TEMPLATE_CODES["handoff:zh"]
    assert chinese.text == "【人民调解】案件(2026)示调字第1号已移交你单位，请于12-03 17:00前受理。"
    english = by_phone[next(r["phone"] for r in county if r["person_id"] == "M-0002")]
    assert english.template_code == TEMPLATE_CODES["handoff:en"]
    assert english.text == "【人民调解】Case (2026)示调字第1号 handed to you: accept by 12-03 17:00."
    party = by_phone["13812345678"]
    assert party.text == "【人民调解】案件(2026)示调字第1号已结案：达成协议。"
    assert all(len(s.text) <= 70 for s in aliyun.sms)
    # The party's phone is read when sending; no row of the notifications holds it.
    stored = await rows(engine, "SELECT * FROM deliveries")
    assert "13812345678" not in repr(stored)
    assert {r["status"] for r in stored} == {"sent"}
    assert {r["recipient"] for r in stored if r["recipient"].startswith("party:")} == {f"party:{CASE}:P1"}


async def test_a_bad_signature_is_refused_by_the_provider_and_the_delivery_fails_visibly(
    notify_db: tuple[str, AsyncEngine], aliyun: AliyunSmsServer
) -> None:
    _, engine = notify_db
    await put(engine, f"{CASE}/x", "overdue", "supervisor:431199", case_no="(2026)示调字第1号", due=DUE)
    await drain(dispatcher(engine, {"*": ["sms"]}, {"sms": sms_sender(aliyun, secret="wrong")}))
    assert aliyun.sms == [] and aliyun.refused == ["SignatureDoesNotMatch"]
    [failed] = await operator.failed(engine)
    assert (failed.recipient, failed.attempts) == ("person:S-0001", 1)
    assert failed.last_error is not None and "SignatureDoesNotMatch" in failed.last_error


async def test_a_failing_provider_is_retried_then_failed_and_an_operator_retry_delivers(
    notify_db: tuple[str, AsyncEngine], aliyun: AliyunSmsServer
) -> None:
    _, engine = notify_db
    failed_before = sample("mediation_notifications_failed_total", {"channel": "sms", "kind": "reminder"})
    sent_before = sample("mediation_notifications_sent_total", {"channel": "sms", "kind": "reminder"})
    aliyun.failing = "isp.SYSTEM_ERROR"
    await put(
        engine,
        f"{CASE}/stage-1/reminder-0",
        "reminder",
        "supervisor:431199001",
        case_no="(2026)示调字第1号",
        deadline="acceptance",
        due=DUE,
    )
    run = dispatcher(engine, {"*": ["sms"]}, {"sms": sms_sender(aliyun)})
    await drain(run)

    assert aliyun.refused == ["isp.SYSTEM_ERROR"] * FAST.max_attempts
    [failed] = await operator.failed(engine)
    assert (failed.status, failed.attempts, failed.kind) == ("failed", FAST.max_attempts, "reminder")
    assert failed.last_error == "Aliyun SMS SendSms: isp.SYSTEM_ERROR: isp.SYSTEM_ERROR"
    [message] = await rows(engine, "SELECT sent_at FROM outbox")
    assert message["sent_at"] is None  # not lost: owed until sent or cancelled
    assert (
        sample("mediation_notifications_failed_total", {"channel": "sms", "kind": "reminder"})
        == failed_before + 1
    )

    aliyun.failing = None
    await operator.retry(engine, [failed.id], by="O-0001")
    await drain(run)
    [sms] = aliyun.sms
    assert sms.text == "【人民调解】提醒：案件(2026)示调字第1号的受理期限将于12-03 17:00届满。"
    assert await operator.failed(engine) == []
    [message] = await rows(engine, "SELECT sent_at FROM outbox")
    assert message["sent_at"] is not None
    assert (
        sample("mediation_notifications_sent_total", {"channel": "sms", "kind": "reminder"})
        == sent_before + 1
    )


async def test_a_delivery_in_doubt_after_a_crash_is_looked_up_not_sent_twice(
    notify_db: tuple[str, AsyncEngine], aliyun: AliyunSmsServer
) -> None:
    _, engine = notify_db
    await put(engine, f"{CASE}/o", "overdue", "supervisor:431199", case_no="(2026)示调字第1号", due=DUE)
    run = dispatcher(engine, {"*": ["sms"]}, {"sms": sms_sender(aliyun)})
    await run.expand()
    [claim] = await run.claim()
    # The SMS goes out, then the dispatcher dies before marking it: the row stays `sending`.
    await sms_sender(aliyun).send(await run._outgoing(claim))
    assert len(aliyun.sms) == 1
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE deliveries SET claimed_until = now() - interval '1 second'"))

    await drain(run)
    assert len(aliyun.sms) == 1, "the resend after the crash was a second SMS"
    [row] = await rows(engine, "SELECT status, attempts, provider_ref, in_doubt FROM deliveries")
    assert (row["status"], row["attempts"], row["in_doubt"]) == ("sent", 2, False)
    assert row["provider_ref"].startswith("found by OutId, sent ")


async def test_an_english_reader_without_an_english_template_is_a_visible_failure(
    notify_db: tuple[str, AsyncEngine], aliyun: AliyunSmsServer
) -> None:
    _, engine = notify_db
    await put(engine, f"{CASE}/i", "intensification", "agency:responsible_department:431199", case_no="X")
    async with engine.begin() as conn:  # the case's dispute type picks the department (family: English)
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_no, version, status, level, committee_id, dispute_type,"
                " risk, county, township, village, grid, channel, policy, stage_no, overdue, opened_at)"
                " VALUES (:c, 'X', 1, 'mediating', 'grid', 'C', 'family', 'may_intensify', '431199',"
                " '431199002', '431199002001', 'g', 'walk_in', 'p', 1, false, now())"
            ),
            {"c": CASE},
        )
    codes = {k: v for k, v in TEMPLATE_CODES.items() if not k.endswith(":en")}
    sender = sms_sender(aliyun)
    sender._templates = codes
    await drain(dispatcher(engine, {"*": ["sms"]}, {"sms": sender}))
    [failed] = await operator.failed(engine)
    assert failed.recipient == "agency:A-DEP-family"
    assert (
        failed.last_error
        == "no Aliyun SMS template code configured for 'intensification:en' (ALIYUN_SMS_TEMPLATES)"
    )
    assert aliyun.sms == []
