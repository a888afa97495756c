"""Supervisors and court liaisons in the browser; the pages' guards (CSRF, language, escaping)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import text

from front.services import Services
from models.authority import CaseFacts, Principal
from models.calendar import Span, Unit
from models.court import CourtReferral
from models.enums import Action, Channel, Risk
from policies import load_policy
from service.identity import set_password
from service.intake import open_case
from tests.api.steps import COURT, GRID, GRID_WORKER, VILLAGE, open_at, trace, wait_open
from tests.factories import FIELDS, PARTIES, intake
from tests.pages.conftest import (
    PASSWORD,
    POLICY,
    check_page,
    last_code,
    login_password,
    new_phone,
    reload_until,
)
from web.reads import TRACK_FAILURES

pytestmark = pytest.mark.browser


async def test_a_supervisor_reassigns_a_case_and_reads_its_audit_trail_and_the_digest(
    browser: Browser, site: str, pages_services: Services
) -> None:
    case_id = await open_at(pages_services, VILLAGE)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "S-0002")
    await page.goto(f"/app/cases/{case_id}")
    await page.click("details:has(form[data-action='reassign']) summary")
    await page.select_option("form[data-action='reassign'] select", "C-431199001")
    await page.fill("form[data-action='reassign'] textarea", "督导改派<b>镇调委会</b>")
    await check_page(page, "case-reassign")
    await page.click("form[data-action='reassign'] button[type=submit]")
    await expect(page.locator("[data-field=committee]")).to_have_text("石岩头镇人民调解委员会")
    await expect(page.locator(".stages")).to_contain_text("督导改派<b>镇调委会</b>")  # shown as text
    assert await page.locator(".stages b").count() == 0
    await page.click("text=操作记录")
    await expect(page.locator("tbody")).to_contain_text("S-0002")
    await expect(page.locator("tbody")).to_contain_text("accepted")
    await check_page(page, "audit")
    await page.goto("/app/supervise/digest")
    await expect(page.locator("h1")).to_contain_text("督办日报")
    headings = page.locator("h2[data-section]")  # the digest's own headings, as its notice has them
    assert [h.split(" (")[0] for h in await headings.all_inner_texts()] == [
        "次一工作日内到期",
        "已逾期",
        "移交未及时受理",
        "可能激化",
    ]
    assert "C-4311" not in await page.locator("main").inner_text()  # committees by name
    await check_page(page, "digest")
    await context.close()


async def test_a_court_liaison_records_the_decision_and_the_ruling(
    browser: Browser, site: str, pages_services: Services
) -> None:
    case_id = await open_at(pages_services, VILLAGE, step=3)  # the parties applied to the court
    referral = CourtReferral(
        court=COURT,
        referral_no=f"(2026)湘1199民诉前调{uuid.uuid4().int % 10000}号",
        referred_at=datetime.now(UTC),
        claim="请求返还借款人民币五万元",
        committee_id="C-431199",
    )
    referred = await open_case(
        pages_services.door.client,
        pages_services.engine,
        intake(intake_ref=f"pages-{uuid.uuid4().hex[:8]}").model_copy(
            update={"channel": Channel.COURT_REFERRAL, "referral": referral}
        ),
        load_policy("gaotai-4x7"),
        fields=FIELDS,
        task_queue=pages_services.door.task_queue,
    )
    await wait_open(pages_services, referred.case_id)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "L-0001")
    await expect(page.locator("h1")).to_have_text("本院委派调解及司法确认案件")
    await reload_until(page, "/app/court", f"[data-case='{referred.case_id}']")
    listed = page.locator(f"[data-case='{referred.case_id}']")
    await expect(listed).to_contain_text(referral.referral_no)
    await expect(listed).to_contain_text("法院委派期限")
    await expect(listed).to_contain_text("还剩")
    await expect(page.locator(f"[data-case='{case_id}']")).to_contain_text("受理决定期限")
    await check_page(page, "court")
    await page.click(f"[data-case='{case_id}'] a")
    assert await page.locator("form[data-action='record_visit']").count() == 0  # the committee's, not hers
    await page.click("details:has(form[data-action='record_court_decision']) summary")
    await page.click("form[data-action='record_court_decision'] button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("记录法院受理决定")
    await page.click("details:has(form[data-action='record_ruling']) summary")
    choices = page.locator("form[data-action='record_ruling'] select[name=ruling] option")
    assert await choices.all_inner_texts() == ["确认调解协议有效", "驳回申请（协议无效）"]  # not the codes
    await check_page(page, "case-court")
    await page.click("form[data-action='record_ruling'] button[type=submit]")
    await expect(page.locator("[data-field=status]")).to_have_text("已结案")
    await expect(page.locator("main")).to_contain_text("经司法确认")
    assert COURT in await page.content()
    await context.close()


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    browser: Browser, site: str, pages_services: Services
) -> None:
    case_id = await open_at(pages_services, VILLAGE)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "M-0025")
    before = await trace(pages_services, pages_services.door.client, case_id)
    forged = await page.request.post(
        f"/app/cases/{case_id}/do/accept", form={"key": "k1", "mediator_ids": "M-0025"}
    )
    assert forged.status == 403
    assert "表单已过期" in await forged.text()
    assert await trace(pages_services, pages_services.door.client, case_id) == before
    await context.close()


async def test_english_on_request_and_the_public_pages(browser: Browser, site: str) -> None:
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "M-0026")
    await page.click("text=English")
    await expect(page.locator("h1")).to_have_text("My inbox")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await check_page(page, "inbox-en")
    await page.click("text=中文")
    await expect(page.locator("h1")).to_have_text("我的待办")
    refused = await page.goto("/app/supervise")
    assert refused is not None and refused.status == 403
    await expect(page.locator("[role=alert]")).to_contain_text("M-0026")
    await expect(page.locator("[role=alert]")).to_contain_text("is not a supervisor")
    await check_page(page, "refused")
    await page.goto("/app/inbox")
    await page.click("text=退出")
    await page.goto("/app/inbox")
    await expect(page.locator("h1")).to_have_text("登录")  # the session ended with the logout
    await page.goto("/board")
    await expect(page.locator("main")).to_contain_text("王家村")
    await check_page(page, "notice-boards")
    await page.goto("/track")
    await check_page(page, "track")
    await page.goto("/app/cases/case-431199-2026-999999")
    await expect(page.locator("h1")).to_have_text("登录")
    await context.close()


async def test_the_inbox_marks_a_case_that_may_intensify_and_shows_time_left(
    browser: Browser, site: str, pages_services: Services
) -> None:
    opened = await open_case(
        pages_services.door.client,
        pages_services.engine,
        intake(risk=Risk.MAY_INTENSIFY, intake_ref=f"pages-{uuid.uuid4().hex[:8]}"),
        load_policy("gaotai-4x7"),
        fields=FIELDS,
        task_queue=pages_services.door.task_queue,
    )
    await wait_open(pages_services, opened.case_id)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "M-0021")  # it may intensify: it opens at the township (policy)
    row_selector = f"#awaiting_acceptance [data-case='{opened.case_id}']"
    await reload_until(page, "/app/inbox", row_selector)
    row = page.locator(row_selector)
    await expect(row.locator(".tag.intensify")).to_have_text("可能激化")
    await expect(row.locator(".deadline")).to_contain_text("还剩")
    await expect(row.locator(".deadline")).to_contain_text("北京时间")
    fragment = await page.request.get("/app/inbox/rows")  # what the page refreshes in place
    assert fragment.status == 200 and opened.case_id in await fragment.text()
    await check_page(page, "inbox-township")
    await context.close()


async def test_guessing_a_party_s_phone_digits_is_stopped(
    browser: Browser, site: str, pages_services: Services
) -> None:
    case_id = await open_at(pages_services, VILLAGE)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await page.goto(f"/track?case_no={case_id.removeprefix('case-')}")
    for guess in range(TRACK_FAILURES):
        await page.fill("#last4", f"{guess:04d}")
        await page.click("form[action='/track'] button")
        await expect(page.locator("[role=alert]")).to_contain_text("不符")
    await page.fill("#last4", PARTIES[0].phone[-4:])  # right, but too late
    await page.click("form[action='/track'] button")
    await expect(page.locator("[role=alert]")).to_contain_text("尝试次数过多")
    await context.close()


async def test_a_form_posted_twice_records_its_action_once(
    browser: Browser, site: str, pages_services: Services
) -> None:
    case_id = await open_at(pages_services, VILLAGE, step=1)  # accepted by the chair M-0025
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "M-0025")
    await page.goto(f"/app/cases/{case_id}")
    form = page.locator("form[data-action='record_session']")
    fields: dict[str, str | float | bool] = {
        "csrf": await form.locator("[name=csrf]").input_value(),
        "key": await form.locator("[name=key]").input_value(),
        "attendees": "P1",
        "notes": "双方到场",
    }
    for _ in range(2):  # a double tap, or the browser resending after a lost answer
        sent = await page.request.post(f"/app/cases/{case_id}/do/record_session", form=fields)
        assert sent.ok, await sent.text()
    async with pages_services.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT count(*) FROM case_events WHERE case_id = :c AND kind = 'session'"), {"c": case_id}
        )
        assert found.scalar_one() == 1
    await context.close()


async def test_a_phone_decides_who_may_act_from_the_case_row_read_with_the_session(
    browser: Browser, site: str, pages_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The phone's action reads the case's holding committee with the session, as the service's
    routes do (not from a query of the workflow): a row read while the grid held the case (made
    stale here) decides the actor's committee, and the case's own check refuses the action on the
    page, with nothing recorded. Were the page to ask the workflow, its view (the village holds
    the case) would have the grid worker refused by the service (403), not by the case (409)."""
    case_id = await open_at(pages_services, VILLAGE)
    async with pages_services.engine.begin() as conn:
        await set_password(conn, GRID_WORKER.id, PASSWORD)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, GRID_WORKER.id)
    await page.goto(f"/app/cases/{case_id}")
    fields: dict[str, str | float | bool] = {
        "csrf": await page.locator("[name=csrf]").first.input_value(),  # the phone's, on every form
        "key": "stale-row-1",
        "mediator_ids": GRID_WORKER.id,
    }
    authenticate = pages_services.authenticate

    async def read_before_the_handoff(
        token: str, case_id: str | None = None
    ) -> tuple[Principal, str | None, CaseFacts | None]:
        principal, session_id, held = await authenticate(token, case_id)
        if held is None:
            return principal, session_id, held
        assert held.committee_id == VILLAGE
        stale = held.model_copy(update={"committee_id": GRID, "committees_held": (GRID,)})
        return principal, session_id, stale

    monkeypatch.setattr(pages_services, "authenticate", read_before_the_handoff)
    before = await trace(pages_services, pages_services.door.client, case_id)
    sent = await page.request.post(f"/app/cases/{case_id}/do/accept", form=fields)
    assert sent.status == 409, await sent.text()
    assert f"acts for committee {GRID}, but case" in await sent.text()
    assert await trace(pages_services, pages_services.door.client, case_id) == before
    await context.close()


async def test_a_county_supervisor_finds_an_overdue_case_and_closes_it(
    browser: Browser, site: str, pages_services: Services
) -> None:
    fast = load_policy(str(POLICY))
    levels = [
        rule.model_copy(update={"acceptance": Span(amount=2, unit=Unit.SECONDS), "reminders_before": []})
        for rule in fast.levels
    ]
    opened = await open_case(  # no level accepts in time: it climbs to the county and is overdue there
        pages_services.door.client,
        pages_services.engine,
        intake(intake_ref=f"pages-{uuid.uuid4().hex[:8]}"),
        fast.model_copy(update={"levels": levels}),
        fields=FIELDS,
        task_queue=pages_services.door.task_queue,
    )
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "S-0001")
    await reload_until(page, "/app/supervise", f"[data-case='{opened.case_id}'].is-overdue")
    await check_page(page, "supervise-overdue")
    await page.click(f"[data-case='{opened.case_id}'] a")
    await expect(page.locator("[data-field=level]")).to_have_text("县(区)")
    await page.click("details:has(form[data-action='close_overdue']) summary")
    await page.fill("form[data-action='close_overdue'] textarea", "逾期未结，督导结案")
    await page.click("form[data-action='close_overdue'] button[type=submit]")
    await expect(page.locator("[data-field=status]")).to_have_text("已结案")
    await expect(page.locator("main")).to_contain_text("逾期案件经督导结案")
    await context.close()


async def test_a_grid_worker_takes_in_a_dispute_of_three_parties(
    browser: Browser, site: str, pages_services: Services
) -> None:
    """Two parties at first; "add a party" gives the form back one party longer (what was typed
    kept, nothing opened), and the third party's role is chosen."""
    summary = f"三户共用水渠纠纷 {uuid.uuid4().hex[:6]}"
    context = await new_phone(browser, site)
    page = await context.new_page()
    await page.goto("/app/login")  # a grid worker logs in with a code sent to the phone
    await page.fill("#phone", "19910000028")  # M-0028, grid worker of 王家村第1网格
    await page.click("form[action='/app/login/code'] button")
    await page.fill("#code", await last_code(pages_services.engine, "M-0028"))
    await page.click("form[action='/app/login/code/verify'] button")
    await expect(page).to_have_url(re.compile(r"/app/inbox$"))
    await page.goto("/app/intake")
    await page.fill("#summary", summary)
    for n, party in ((1, PARTIES[0]), (2, PARTIES[1])):
        await page.fill(f"#p{n}_name", party.name)
        await page.fill(f"#p{n}_id", party.id_number)
        await page.fill(f"#p{n}_phone", party.phone)
    async with pages_services.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM cases"))).scalar_one()
    await page.click("button[name=add_party]")
    await expect(page.locator("fieldset[data-party=P3]")).to_be_visible()
    await expect(page.locator("#p1_name")).to_have_value(PARTIES[0].name)
    await expect(page.locator("#summary")).to_have_value(summary)
    async with pages_services.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM cases"))).scalar_one() == before
    await page.select_option("#p3_role", "third_party")
    await page.fill("#p3_name", "张三")
    await page.fill("#p3_id", "431122198506120036")
    await page.fill("#p3_phone", "13700001111")
    await check_page(page)
    await page.click("form[action='/app/intake'] button[type=submit]:not([name=add_party])")
    await expect(page).to_have_url(re.compile(r"/receipt\?new=1"))
    case_no = await page.locator("[data-field=case_no]").inner_text()
    view = await wait_open(pages_services, f"case-{case_no}")
    assert [(p["party_id"], p["role"], p["name"]) for p in view.parties] == [
        ("P1", "applicant", "王**"),
        ("P2", "respondent", "李**"),
        ("P3", "third_party", "张*"),
    ]
    await context.close()
    # withdrawn, so it does not climb the ladder under the supervisor counts another test reads
    withdraw = {"actor": GRID_WORKER, "party_id": "P1", "reason": "双方已自行和解"}
    await pages_services.door.cases.act(view.case_id, Action.WITHDRAW, withdraw)
