"""Public pages answer with the security headers and pass axe (no login needed)."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext

from tests.pages.conftest import check_page

pytestmark = pytest.mark.browser


async def test_the_login_page_is_accessible_and_strict(phone: BrowserContext) -> None:
    page = await phone.new_page()
    answer = await page.goto("/app/login")
    assert answer is not None and answer.status == 200
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    await check_page(page, "login")
