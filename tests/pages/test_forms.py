"""Every action form of the case page, filled in a phone's browser, does what it says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Browser, Page, expect

from front.services import Services
from tests.api.steps import COURT, VILLAGE, open_at
from tests.pages.conftest import login_password, new_phone

pytestmark = pytest.mark.browser
Fill = Callable[[Page, str], Awaitable[None]]


async def reason(page: Page, form: str) -> None:
    await page.fill(f"{form} textarea[name=reason]", "经双方确认")


async def extend(page: Page, form: str) -> None:
    await page.fill(f"{form} input[name=amount]", "2")
    for party in ("P1", "P2"):
        await page.check(f"{form} input[name=consenting_parties][value={party}]")
    await reason(page, form)


async def escalate(page: Page, form: str) -> None:
    await page.check(f"{form} input[name=intensifying]")
    await reason(page, form)


async def transfer(page: Page, form: str) -> None:
    await page.select_option(f"{form} select[name=committee_id]", "C-431199-MED")
    await reason(page, form)


async def party_p2(page: Page, form: str) -> None:
    await page.select_option(f"{form} select[name=party_id]", "P2")
    await reason(page, form)


async def visit(page: Page, form: str) -> None:
    await page.fill(f"{form} textarea[name=notes]", "协议履行中")


async def confirmation(page: Page, form: str) -> None:
    await page.fill(f"{form} input[name=court]", COURT)


# (action, the step of the case it needs, how its form is filled, what the page then shows)
FORMS: list[tuple[str, int, Fill, tuple[str, str]]] = [
    ("extend", 1, extend, ("status", "调解中")),
    ("escalate", 0, escalate, ("level", "乡镇(街道)")),
    ("transfer", 0, transfer, ("committee", "零陵示范县医疗纠纷人民调解委员会")),
    ("record_refusal", 0, party_p2, ("status", "已结案")),
    ("withdraw", 0, party_p2, ("status", "已结案")),
    ("record_visit", 2, visit, ("status", "协议履行回访中")),
    ("apply_confirmation", 2, confirmation, ("confirmation", COURT)),
]


@pytest.mark.parametrize(("action", "step", "fill", "shows"), FORMS, ids=[f[0] for f in FORMS])
async def test_the_form_of(
    action: str,
    step: int,
    fill: Fill,
    shows: tuple[str, str],
    browser: Browser,
    site: str,
    pages_services: Services,
) -> None:
    case_id = await open_at(pages_services, VILLAGE, step=step)
    context = await new_phone(browser, site)
    page = await context.new_page()
    await login_password(page, "M-0025")
    await page.goto(f"/app/cases/{case_id}")
    form = f"form[data-action='{action}']"
    await page.click(f"details:has({form}) summary")
    await fill(page, form)
    await page.click(f"{form} button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("已办理")
    field, text = shows
    await expect(page.locator(f"[data-field={field}]")).to_contain_text(text)
    await context.close()
