"""Browser, context and page lifecycle for one Flow account.

* Debian Chromium through `bot.browser.open_browser` in the configured mode (headless, headed on
  a virtual display it starts and stops, or attached over CDP to the user's own Chrome), or a
  Browser the caller already runs (tests share one per session; each client opens its own
  context in it).
* CDP mode works in the user's default context: no storage_state is loaded or saved (the user's
  Chrome holds the session and its other cookies are none of our business), no tracing, and
  only the pages we opened are ever closed.
* The account's Playwright `storage_state` is loaded at start and written back (mode 0600,
  atomically) whenever it changed. Cookie values are registered with `bot.logsafe` so they can
  never reach a log line, and they are scrubbed from saved traces.
* A crashed or killed browser is noticed on the next `page()` call and replaced transparently.
* Tracing runs on the context in chunks, one per driver operation; a chunk is written to disk
  only when the operation met a page we do not understand (`capture()`), otherwise dropped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from bot.browser import OpenedBrowser, VirtualDisplay, open_browser
from bot.config import FlowSettings
from bot.logsafe import register_secret

log = logging.getLogger(__name__)

VIEWPORT = {"width": 1280, "height": 900}


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600 (the session file is a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BrowserSession:
    """Owns (or borrows) the browser, owns the context and the working page."""

    def __init__(
        self,
        settings: FlowSettings,
        session_file: Path,
        artifacts_dir: Path,
        browser: Browser | None = None,
    ) -> None:
        self.settings = settings
        self.session_file = Path(session_file)
        self.artifacts_dir = Path(artifacts_dir)
        self._borrowed = browser
        self._pw: Playwright | None = None
        self._own: Browser | None = None
        self._opened: OpenedBrowser | None = None  # how _own was obtained (mode, CDP context)
        self._display: VirtualDisplay | None = None  # our Xvfb, kept across relaunches
        self._pages: list[Page] = []  # every page we opened (CDP: the only things we may close)
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._saved: bytes | None = None
        self._chunk_open = False
        self.relaunches = 0

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def browser(self) -> Browser | None:
        if self._borrowed is not None and self._borrowed.is_connected():
            return self._borrowed
        return self._own

    @property
    def current_page(self) -> Page | None:
        """The working page as it is now (None before start or after a crash was noticed)."""
        return self._page

    def alive(self) -> bool:
        b = self.browser
        return (
            b is not None and b.is_connected() and self._context is not None
            and self._page is not None and not self._page.is_closed()
        )

    @property
    def attached(self) -> bool:
        """True when working inside the user's own Chrome (FLOW_CDP_URL)."""
        return self._opened is not None and self._opened.mode == "cdp" and self._borrowed is None

    async def start(self) -> None:
        """Open a context with the saved session (launching Chromium unless one was given)."""
        browser = self.browser
        if browser is None or not browser.is_connected():
            if self._pw is None:
                self._pw = await async_playwright().start()
            log.debug("opening chromium (%s mode)", self.settings.browser_mode)
            self._opened = await open_browser(self._pw, self.settings, display=self._display)
            self._display = self._opened.display or self._display
            self._own = browser = self._opened.browser
        if self.attached:
            assert self._opened is not None and self._opened.context is not None
            self._context = self._opened.context
        else:
            state = self._load_state()
            # The UI language is pinned (FLOW_2026 §1: every label follows the account's).
            lang = self.settings.ui_lang
            self._context = await browser.new_context(
                storage_state=state, accept_downloads=True, viewport=VIEWPORT,
                extra_http_headers={"Accept-Language": f"{lang},{lang.split('-')[0]};q=0.9"} if lang else None,
            )
            await self._context.tracing.start(snapshots=True, screenshots=False)
        self._context.set_default_timeout(self.settings.step_timeout_s * 1000)
        self._chunk_open = False
        self._page = await self._context.new_page()
        self._pages.append(self._page)
        if self.attached:
            await self._page.set_viewport_size(VIEWPORT)
        log.debug("browser context ready")

    async def page(self) -> Page:
        """The working page; relaunches first when the browser or page died since last use."""
        if not self.alive():
            if self._context is not None or self._own is not None:
                log.warning("browser or page is gone; relaunching")
                self.relaunches += 1
            await self._discard()
            await self.start()
        assert self._page is not None
        return self._page

    async def new_page(self) -> Page:
        """An extra page in the same context (for looks that must not disturb the work page)."""
        await self.page()
        assert self._context is not None
        page = await self._context.new_page()
        self._pages = [p for p in self._pages if not p.is_closed()]
        self._pages.append(page)
        return page

    async def reopen(self) -> None:
        """A new context from the session file as it is now (an admin installed a new session);
        the old context's cookies are dropped, never saved over the new file."""
        ctx = self._context
        self._context = self._page = None
        self._chunk_open = False
        if self.attached:
            await self._close_pages()  # the user's context stays; only our pages go
        elif ctx is not None:
            try:
                await ctx.close()
            except Exception:  # noqa: BLE001 - a dead context is fine
                pass
        await self.start()

    async def close(self) -> None:
        """Save the session and close what we opened (never a borrowed browser)."""
        if self.alive():
            try:
                await self.save_state()
            except Exception as err:  # noqa: BLE001 - closing must not fail on a dying browser
                log.warning("could not save session on close: %s", type(err).__name__)
        await self._discard()
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None
        if self._display is not None:
            await self._display.stop()
            self._display = None

    async def _close_pages(self) -> None:
        pages, self._pages = self._pages, []
        for page in pages:
            try:
                if not page.is_closed():
                    await page.close()
            except Exception:  # noqa: BLE001 - already gone is fine
                pass

    async def _discard(self) -> None:
        ctx, own = self._context, self._own
        if self.attached:
            # The user's Chrome: close our pages, then only disconnect (Browser.close() on a
            # CDP connection leaves the browser and the user's tabs running).
            await self._close_pages()
            ctx = None
        self._pages = []
        self._context = self._page = None
        self._own = None
        self._opened = None
        self._chunk_open = False
        for closer in (ctx, own):
            if closer is None:
                continue
            try:
                await closer.close()
            except Exception:  # noqa: BLE001 - already dead is fine
                pass

    # --- storage_state --------------------------------------------------------------------
    def _load_state(self) -> dict | None:
        if not self.session_file.exists():
            return None
        state = json.loads(self.session_file.read_text())
        self._register(state)
        self._saved = json.dumps(state, sort_keys=True).encode()
        return state

    @staticmethod
    def _register(state: dict) -> None:
        for cookie in state.get("cookies", []):
            register_secret(cookie.get("value"))
        for origin in state.get("origins", []):
            for item in origin.get("localStorage", []):
                register_secret(item.get("value"))

    async def save_state(self) -> bool:
        """Write the context's storage_state back when it changed; True when written."""
        if self._context is None or self.attached:
            return False  # attached: the user's Chrome keeps its own session
        state = await self._context.storage_state()
        data = json.dumps(state, sort_keys=True).encode()
        if data == self._saved:
            return False
        self._register(state)
        write_private(self.session_file, data)
        self._saved = data
        log.debug("session saved to %s", self.session_file)
        return True

    # --- tracing and evidence -------------------------------------------------------------
    async def begin_chunk(self) -> None:
        if self._context is None or self._chunk_open or self.attached:
            return
        try:
            await self._context.tracing.start_chunk()
            self._chunk_open = True
        except Exception as err:  # noqa: BLE001 - tracing is evidence, never a reason to fail
            log.debug("trace chunk not started: %s", err)

    async def end_chunk(self, path: Path | None = None) -> Path | None:
        if self._context is None or not self._chunk_open:
            return None
        self._chunk_open = False
        try:
            await self._context.tracing.stop_chunk(path=str(path) if path else None)
        except Exception as err:  # noqa: BLE001
            log.debug("trace chunk not saved: %s", err)
            return None
        if path is not None:
            _scrub_trace(path)
            os.chmod(path, 0o600)
        return path

    async def capture(self, label: str) -> tuple[Path | None, Path | None]:
        """Save a screenshot and the current trace chunk for the admin; returns their paths."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{re.sub(r'[^a-z0-9]+', '-', label.lower())[:40]}"
        shot: Path | None = self.artifacts_dir / f"{stem}.png"
        try:
            assert self._page is not None
            await self._page.screenshot(path=str(shot), full_page=False)
            os.chmod(shot, 0o600)  # type: ignore[arg-type]
        except Exception as err:  # noqa: BLE001
            log.debug("no screenshot: %s", err)
            shot = None
        trace = await self.end_chunk(self.artifacts_dir / f"{stem}.trace.zip")
        log.warning("unknown page state (%s): evidence in %s, %s", label, shot, trace)
        return shot, trace


_COOKIE_HEADER = re.compile(
    r'(\{"name":\s*"(?:cookie|set-cookie)",\s*"value":\s*")((?:[^"\\]|\\.)*)(")', re.I
)


def _scrub_trace(path: Path) -> None:
    """Blank Cookie/Set-Cookie header values in a saved trace zip (it records network headers)."""
    from bot.logsafe import redact

    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith((".trace", ".network")):
                txt = data.decode("utf-8", "replace")
                txt = redact(_COOKIE_HEADER.sub(r"\1***\3", txt))
                data = txt.encode()
            dst.writestr(info, data)
    os.replace(tmp, path)
