"""Pages of flow.google.com: the address checks (signed out, identity re-check, another
account's project), the UI language (a page the browser translated is opened again in
English), first-visit overlays, home and project navigation, and the account's plan and
credits (FLOW_2026 §2–§3)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from bot.errors import SessionExpiredError, UnknownPageStateError, WrongAccountError
from bot.pipeline.flow.locate import NotFound, click, find, find_any, probe
from bot.pipeline.flow.ui import pin_language
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026.base import (
    PROJECT_PATH,
    REG,
    Flow2026Base,
    project_id,
    strip_query,
)

log = logging.getLogger(__name__)


class PagesMixin(Flow2026Base):
    """Page checks, overlays, navigation and the session's account facts."""

    async def signed_out_reason(self, page: Page) -> str | None:
        """Why the page shows the account signed out (Google's sign-in, Flow's `/about`), or
        None."""
        url = page.url
        path = urlsplit(url).path
        if "accounts.google.com" in url:
            return "redirected to Google sign-in (accounts.google.com)"
        if path.rstrip("/").endswith("/about"):
            return "Flow shows its public /about page (signed out)"
        return None

    async def ensure_page_ok(self, page: Page) -> None:
        """Raise for a page we cannot use; on this UI its address tells it all (`check_url`)."""
        self.check_url(page)

    def check_url(self, page: Page) -> None:
        """Raise `SessionExpiredError` (sign-in, `/about`) or `WrongAccountError` (another
        account's project) when the address alone shows the page unusable."""
        url = page.url
        if "accounts.google.com" in url:
            raise SessionExpiredError(f"signed out: Flow shows {urlsplit(url).path or url}")
        if urlsplit(url).path.rstrip("/").endswith("/about"):
            # FLOW_2026 Dec. 7: /about is also Google's identity re-check, not only signed out.
            raise SessionExpiredError(
                "Flow shows its /about page: signed out, or Google wants the account's identity "
                "confirmed; open Flow in that account's browser, sign in or finish the check")
        parts = urlsplit(url)
        if parts.path.rstrip("/").endswith("/404") and "project" in parse_qs(parts.query).get("reason", []):
            raise WrongAccountError(
                "Flow answered /404?reason=project: the project belongs to another Google account; "
                "sign in with the account that made it (or clear the driver ledger)")

    def url(self, url: str) -> str:
        """The URL to open: English pinned once the browser translated a page (see below)."""
        return pin_language(url, self._force_lang or self.settings.ui_lang)

    async def _untranslated(self, page: Page) -> None:
        """Chrome's translator rewrote the page (FLOW_2026 Dec. 7; `translated-ltr` on <html>):
        its words are no longer Flow's. Playwright passes its own `--disable-features` list,
        which a second one of ours would replace, so the defence is on the page: English pages
        are never offered for translation, so reload in English (`hl=en`) and keep it."""
        try:
            translated = await page.evaluate(S.TRANSLATED_JS)
        except PlaywrightError:
            return
        if not translated:
            return
        if self._force_lang == "en":
            raise UnknownPageStateError(
                "the browser keeps translating Flow's page even in English; turn Chrome's "
                "translation off for flow.google.com", code="page_translated")
        log.warning("the browser translated Flow's page; reloading it in English")
        self._force_lang = "en"
        # Pages the app opens itself (a new project) carry no `hl=`: the header decides there.
        await page.context.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
        await page.goto(self.url(page.url), wait_until="domcontentloaded")
        await self.ensure_page_ok(page)
        # Home or a project: whichever it was, its own landmark.
        await find_any(page, ["prompt_box", "agent_prompt_box", "tile", "new_project"],
                       self.timeout, REG)
        if await page.evaluate(S.TRANSLATED_JS):
            raise UnknownPageStateError(
                "the browser translates Flow's page even in English; turn Chrome's translation "
                "off for flow.google.com", code="page_translated")

    async def dismiss_overlays(self, page: Page) -> None:
        """Cookie bar, agent side panel, changelog modals: one pass, no waiting; a page the
        browser translated is opened again in English."""
        await self._untranslated(page)
        for key in ("cookie_accept", "agent_panel_close", "changelog_close"):
            match = await probe(page, key, registry=REG)
            if match is not None:
                log.debug("closing overlay %s", key)
                try:
                    await match.locator.click(timeout=2000)
                except PlaywrightError:
                    await page.keyboard.press("Escape")

    async def open_home(self, page: Page, base_url: str) -> None:
        """Load Flow's home (the UI language pinned)."""
        await page.goto(self.url(base_url), wait_until="domcontentloaded")

    async def create_project(self, page: Page, base_url: str) -> str:
        """From home: `New project` (named by date and time) and wait for its page."""
        t = self.timeout
        if PROJECT_PATH in page.url or not strip_query(page.url).startswith(strip_query(base_url)):
            await self.open_home(page, base_url)
        await self.ensure_page_ok(page)
        await self.dismiss_overlays(page)
        button = await find(page, "new_project", t, registry=REG)
        await click(button, t, REG)
        await page.wait_for_url(re.compile(re.escape(PROJECT_PATH)), timeout=t * 1000)
        await self.ensure_page_ok(page)
        await self._wait_composer(page)
        await self.dismiss_overlays(page)
        url = strip_query(page.url)
        log.debug("project %s", url)
        return url

    async def goto_project(self, page: Page, project_url: str) -> None:
        """Open (or reload) a project; waits for the page's first poll reply after loading."""
        pid = project_id(project_url)
        t0 = time.monotonic()
        await page.goto(self.url(project_url), wait_until="domcontentloaded")
        await self.ensure_page_ok(page)
        deadline = t0 + self.timeout
        while self.wire.last_poll.get(pid or "", 0) < t0 and time.monotonic() < deadline:
            await self.ensure_page_ok(page)
            await asyncio.sleep(0.05)
        await self._wait_composer(page)
        await self.dismiss_overlays(page)

    async def _wait_composer(self, page: Page) -> None:
        await find_any(page, ["prompt_box", "agent_prompt_box", "tile"], self.timeout, REG)

    async def _scroll_top(self, page: Page) -> None:
        """The top bar hides once the grid is scrolled (FLOW_2026 §4)."""
        await page.evaluate("(sel) => { for (const g of document.querySelectorAll(sel)) g.scrollTop = 0; }",
                            S.GRID_CSS)

    async def session_info(self, page: Page) -> tuple[int | None, dict]:
        """Plan from the account button; credits from the account panel (then closed)."""
        t = self.timeout
        await self.dismiss_overlays(page)
        button = await find(page, "account_button", t, registry=REG)
        extra: dict = {}
        plan = re.search(S.PLAN_RE, await button.inner_text() or "", re.I)
        if plan:
            self.plan = plan.group(1).lower()
            extra["plan"] = self.plan
        credits = None
        await click(button, t, REG)
        try:
            link = await find(page, "credits_link", t, registry=REG)
            digits = re.sub(r"\D", "", (await link.inner_text()).split("credit")[0]) or \
                re.sub(r"\D", "", await link.inner_text())
            credits = int(digits) if digits else None
        except NotFound:
            log.warning("credits link not found in the account panel")
        finally:
            close = await probe(page, "account_panel_close", registry=REG)
            try:
                if close is None:
                    await page.keyboard.press("Escape")
                else:
                    await close.locator.click(timeout=2000)
            except PlaywrightError:
                # A late first-visit modal (the changelog) can land over the open panel.
                await self.dismiss_overlays(page)
                await page.keyboard.press("Escape")
        return credits, extra

    async def _read_plan(self, page: Page) -> str:
        if self.plan is None:
            match = await probe(page, "account_button", registry=REG)
            if match is not None:
                found = re.search(S.PLAN_RE, await match.locator.inner_text() or "", re.I)
                if found:
                    self.plan = found.group(1).lower()
        return self.plan or self.settings.plan
