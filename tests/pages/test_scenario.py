"""The issue's scenario in a phone-sized browser: a grid worker opens a case, the grid lets it time
out, a village mediator accepts it, records a session and an agreement; a supervisor sees the
counts move and downloads the report; a refused action shows its reason and changes nothing; the
notice board lists the settled case without party data; a party follows the case by its number."""

from __future__ import annotations

import asyncio
import re

import pytest
import segno
from playwright.async_api import Browser, BrowserContext, Page, expect

from front.services import Services
from tests.api.steps import trace
from tests.factories import PARTIES
from tests.pages.conftest import check_page, last_code, login_password, new_phone, reload_until

pytestmark = pytest.mark.browser
GRID_WORKER_PHONE = "19910000028"  # M-0028, grid worker of 王家村第1网格
VILLAGE = "431199001001"
SUMMARY = "两户因围墙位置发生争执，要求调解"
TERMS = "围墙按原址重建，费用各半"


async def counts(page: Page) -> dict[str, int]:
    found = {}
    for item in await page.locator("[data-count]").all():
        key = await item.get_attribute("data-count")
        assert key is not None
        found[key] = int(await item.inner_text())
    return found


async def fill_intake(page: Page) -> None:
    await page.goto("/app/intake")
    await page.select_option("#dispute_type", "neighbour")
    await page.fill("#summary", SUMMARY)
    for n, party in ((1, PARTIES[0]), (2, PARTIES[1])):
        await page.fill(f"#p{n}_name", party.name)
        await page.fill(f"#p{n}_id", party.id_number)
        await page.fill(f"#p{n}_phone", party.phone)


async def grid_worker_opens_a_case(context: BrowserContext, services: Services) -> tuple[str, str]:
    page = await context.new_page()
    await page.goto("/app/inbox")  # not logged in: to the login page
    await expect(page).to_have_url(re.compile(r"/app/login\?next=/app/inbox"))
    await page.fill("#phone", GRID_WORKER_PHONE)
    await page.click("form[action='/app/login/code'] button")
    await expect(page.locator("#code")).to_be_visible()
    await check_page(page, "login-code")
    await page.fill("#code", await last_code(services.engine, "M-0028"))
    await page.click("form[action='/app/login/code/verify'] button")
    await expect(page).to_have_url(re.compile(r"/app/inbox$"))
    await fill_intake(page)
    await check_page(page, "intake")
    await page.fill("#p2_phone", PARTIES[1].phone[:-1])  # a digit short
    await page.click("form[action='/app/intake'] button[type=submit]:not([name=add_party])")
    await expect(page.locator("[role=alert]")).to_contain_text("当事人P2的手机号码：不是有效的手机号码")
    await expect(page.locator("#summary")).to_have_value(SUMMARY)  # nothing to type again
    for n, party in ((1, PARTIES[0]), (2, PARTIES[1])):
        await expect(page.locator(f"#p{n}_name")).to_have_value(party.name)
        await expect(page.locator(f"#p{n}_id")).to_have_value(party.id_number)
    await expect(page.locator("#p2_phone")).to_have_value(PARTIES[1].phone[:-1])
    await expect(page.locator("#dispute_type")).to_have_value("neighbour")
    await page.fill("#p2_phone", PARTIES[1].phone)
    await page.click("form[action='/app/intake'] button[type=submit]:not([name=add_party])")
    await expect(page).to_have_url(re.compile(r"/receipt\?new=1"))
    case_no = await page.locator("[data-field=case_no]").inner_text()
    target = f"{page.url.split('/app/')[0]}/track?case_no={case_no}"
    assert await page.locator(".qr figcaption").inner_text() == target
    qr = await page.locator(".qr svg").evaluate("e => e.outerHTML")
    expected = segno.make(target, error="m").svg_inline(scale=4, title="QR")
    assert _svg_paths(qr) == _svg_paths(expected)  # the code of the tracking address, nothing else
    await check_page(page, "receipt")
    await fill_intake(page)  # the same dispute entered again
    await page.click("form[action='/app/intake'] button[type=submit]:not([name=add_party])")
    await expect(page).to_have_url(re.compile(r"/receipt\?duplicate=1"))
    await expect(page.locator("[role=alert]")).to_contain_text(f"已经登记过，未重复立案： {case_no}")
    await expect(page.locator("[data-field=case_no]")).to_have_text(case_no)
    await page.close()
    return f"case-{case_no}", case_no


def _svg_paths(svg: str) -> list[str]:
    return re.findall(r' d="([^"]+)"', svg)


async def party_follows(context: BrowserContext, case_no: str, status: str, shot: str | None) -> None:
    page = await context.new_page()
    await page.goto(f"/track?case_no={case_no}")
    await page.fill("#last4", "0000")
    await page.click("form[action='/track'] button")
    await expect(page.locator("[role=alert]")).to_contain_text("不符")
    await page.fill("#last4", PARTIES[1].phone[-4:])
    await page.click("form[action='/track'] button")
    await expect(page.locator("[data-field=status]")).to_have_text(status)
    html = await page.content()
    for party in PARTIES:  # neither party's data, not even the one who asked
        for personal in (party.name, party.name[0] + "*", party.phone[-4:], party.id_number[-4:]):
            assert personal not in html
    if shot:
        await check_page(page, shot)
    await page.close()


async def mediator_prints_the_agreement_to_sign(village: Page, case_id: str) -> None:
    """While mediating: the terms agreed, printed from the file to be signed before it is recorded
    (a written agreement is recorded once every party has signed it); the date left to the signing."""
    await village.click("a[data-link=file]")
    await village.fill("form[data-form=draft] textarea", TERMS)
    await village.click("form[data-form=draft] button[type=submit]")
    await expect(village.locator("h1")).to_have_text("人民调解协议书")
    await expect(village.locator("[data-field=terms]")).to_have_text(TERMS)
    await expect(village.locator("[data-field=signed_on]")).to_have_text("____年____月____日")
    for party in PARTIES:
        row = village.locator(f"tr[data-party={party.party_id}]")
        await expect(row.locator("[data-field=id_number]")).to_have_text(party.id_number)
    await check_page(village, "agreement-draft")
    await village.goto(f"/app/cases/{case_id}")


async def mediator_reads_the_file_and_prints_the_agreement(village: Page, case_id: str) -> None:
    """The holding committee's case file: whom to call, what the dispute is, what the sessions
    found; and the written agreement to print, with each party's ID number and a line to sign."""
    await village.click("a[data-link=file]")
    await expect(village).to_have_url(re.compile(rf"/app/cases/{case_id}/file$"))
    for party in PARTIES:
        card = village.locator(f"[data-party={party.party_id}]")
        await expect(card.locator("[data-field=name]")).to_have_text(party.name)
        assert await card.locator("a.call").get_attribute("href") == f"tel:{party.phone}"
    await expect(village.locator("[data-field=summary]")).to_have_text(SUMMARY)
    await expect(village.locator("[data-field=notes]")).to_have_text("双方到场，分歧在围墙位置")
    await expect(village.locator("[data-field=terms]")).to_have_text(TERMS)
    await check_page(village, "case-file")
    await village.click("a[data-link=agreement]")
    await expect(village.locator("h1")).to_have_text("人民调解协议书")
    for party in PARTIES:
        row = village.locator(f"tr[data-party={party.party_id}]")
        await expect(row.locator("[data-field=id_number]")).to_have_text(party.id_number)
        await expect(row.locator("[data-field=name]")).to_have_text(party.name)
    await expect(village.locator("[data-field=terms]")).to_have_text(TERMS)
    await expect(village.locator("[data-field=copies]")).to_have_text(
        "本协议一式3份，当事人、人民调解委员会各持一份。"
    )
    await expect(village.locator("[data-field=committee]")).to_contain_text("（印）")
    await expect(village.locator("[data-field=signed_on]")).to_have_text(
        re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
    )
    await check_page(village, "agreement")
    await village.goto(f"/app/cases/{case_id}")


async def test_a_case_from_intake_to_the_notice_board(
    browser: Browser, site: str, pages_services: Services
) -> None:
    grid, mediator, supervisor, follower, public = [await new_phone(browser, site) for _ in range(5)]
    case_id, case_no = await grid_worker_opens_a_case(grid, pages_services)
    await party_follows(follower, case_no, "待受理", None)

    boss = await supervisor.new_page()
    await login_password(boss, "S-0002")
    await expect(boss.locator("[data-count]")).not_to_have_count(0)
    before = await counts(boss)
    await boss.goto("/app/supervise/report")
    agreed = int(await boss.locator("[data-agreed=village]").inner_text())  # other tests' cases too

    village = await mediator.new_page()
    await login_password(village, "M-0025")
    await reload_until(village, "/app/inbox", f"#awaiting_acceptance [data-case='{case_id}']")
    await check_page(village, "inbox")
    await village.click(f"[data-case='{case_id}'] a")
    await expect(village.locator("[data-field=level]")).to_have_text("村(社区)")
    await expect(village.locator(".stages")).to_contain_text("逾期未受理")
    await check_page(village, "case-awaiting")
    await village.click("details:has(form[data-action='accept']) summary")
    await village.check("form[data-action='accept'] input[value='M-0026']")
    await village.click("form[data-action='accept'] button[type=submit]")
    await expect(village.locator("[data-field=status]")).to_have_text("调解中")
    await village.click("details:has(form[data-action='record_session']) summary")
    await village.fill("form[data-action='record_session'] textarea", "双方到场，分歧在围墙位置")
    await village.click("form[data-action='record_session'] button[type=submit]")
    await expect(village.locator("[role=status]")).to_contain_text("记录调解")
    await check_page(village, "case-mediating")
    await mediator_prints_the_agreement_to_sign(village, case_id)

    stale = await mediator.new_page()  # a second tab, still showing the mediating case's forms
    await stale.goto(f"/app/cases/{case_id}")
    await village.click("details:has(form[data-action='record_agreement']) summary")
    await village.fill("form[data-action='record_agreement'] textarea", TERMS)
    for party_id in ("P1", "P2"):
        await village.check(f"form[data-action='record_agreement'] input[value='{party_id}']")
    await village.click("form[data-action='record_agreement'] button[type=submit]")
    await expect(village.locator("[data-field=status]")).to_have_text("协议履行回访中")
    await check_page(village, "case-follow-up")
    await mediator_reads_the_file_and_prints_the_agreement(village, case_id)

    history = await trace(pages_services, pages_services.door.client, case_id)
    await stale.click("details:has(form[data-action='record_failure']) summary")
    await stale.fill("form[data-action='record_failure'] textarea", "双方分歧太大")
    await stale.click("form[data-action='record_failure'] button[type=submit]")
    alert = stale.locator("[role=alert]")
    await expect(alert).to_contain_text("现在不能办理「记录调解不成」")
    await expect(stale.locator("[data-field=status]")).to_have_text("协议履行回访中")
    await check_page(stale, "case-refused")
    assert await trace(pages_services, pages_services.door.client, case_id) == history

    for _ in range(100):  # visibility catches up with the case
        await boss.goto("/app/supervise")
        after = await counts(boss)
        if after["follow_up"] == before["follow_up"] + 1:
            break
        await asyncio.sleep(0.2)
    assert after["follow_up"] == before["follow_up"] + 1
    assert after["village"] == before["village"] + 1  # the case climbed from the grid to the village
    await check_page(boss, "supervise")
    await boss.goto(f"/app/cases/{case_id}")
    await expect(boss.locator("[data-field=status]")).to_have_text("协议履行回访中")
    assert await boss.locator("a[data-link=file]").count() == 0  # the view, parties masked: no file
    refused = await boss.goto(f"/app/cases/{case_id}/file")
    assert refused is not None and refused.status == 403
    for party in PARTIES:
        assert party.phone not in await boss.content()
    await boss.goto("/app/supervise/report")
    await expect(boss.locator("[data-agreed=village]")).to_have_text(str(agreed + 1))
    await check_page(boss, "report")
    async with boss.expect_download() as download:
        await boss.click("a[download='report.csv']")
    csv = (await (await download.value).path()).read_text("utf-8")
    assert f"settling,village,agreed,{agreed + 1}" in csv

    board = await public.new_page()
    await board.goto(f"/board/{VILLAGE}")
    row = board.locator(f"tr[data-case='{case_no}']")
    await expect(row).to_contain_text("邻里纠纷")
    await expect(row).to_contain_text("村(社区)")
    await expect(row).to_contain_text("达成协议")
    html = await board.content()
    for party in PARTIES:
        for personal in (party.name, party.phone, party.phone[-4:], party.id_number):
            assert personal not in html
    assert SUMMARY not in html and TERMS not in html  # no free text either
    await check_page(board, "notice-board")

    await party_follows(follower, case_no, "协议履行回访中", "party-view")
    for context in (grid, mediator, supervisor, follower, public):
        await context.close()
