"""Getting a Chromium for the driver, in one of three modes (`FlowSettings.browser_mode`).

* ``headless`` (default): Debian's Chromium launched by Playwright, no window.
* ``headed`` (``FLOW_HEADED=true``): the same Chromium with a window. Real Flow gives an
  invisible page no animation frames (FLOW_2026 §1), so a server runs it on a virtual display:
  when no ``DISPLAY`` is set the bot starts its own Xvfb on a free display number and stops it
  when the browser is closed (`VirtualDisplay`, an owned child process).
* ``cdp`` (``FLOW_CDP_URL``): attach to a Chrome the user runs and is signed in to, through the
  DevTools protocol. We use its default context (the user's cookies), open our own pages in it
  and close only those: the user's browser, context and tabs are never closed.

`open_browser()` returns an `OpenedBrowser` that knows what it owns; everything that needs a
browser (the driver's session, `flowbot flow check|survey`, `flowbot doctor`) goes through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

if TYPE_CHECKING:
    from bot.config import FlowSettings

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# Headed Chromium on a virtual display: keep rendering even when the window is covered/minimised.
HEADED_ARGS = [
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--window-size=1400,1000",
]
XVFB_START_TIMEOUT_S = 10.0


class BrowserModeError(RuntimeError):
    """The configured browser mode cannot start (no Xvfb, CDP endpoint not answering, ...).

    The message is one line that says what to do; it never contains a CDP address's path.
    """


async def launch(pw: Playwright, chromium_path: Path | str, *, headless: bool = True,
                 env: dict[str, str] | None = None) -> Browser:
    """Start Chromium at `chromium_path` with the flags this environment needs."""
    args = CHROMIUM_ARGS if headless else CHROMIUM_ARGS + HEADED_ARGS
    return await pw.chromium.launch(
        executable_path=str(chromium_path), headless=headless, args=args, env=env
    )


@asynccontextmanager
async def launch_chromium(
    chromium_path: Path | str, *, headless: bool = True
) -> AsyncIterator[Browser]:
    """A Playwright instance and one Chromium, both closed on exit."""
    async with async_playwright() as pw:
        browser = await launch(pw, chromium_path, headless=headless)
        try:
            yield browser
        finally:
            await browser.close()


# --- the virtual display -------------------------------------------------------------------

def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to SIGTERM Xvfb if the bot dies without closing it (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class VirtualDisplay:
    """An Xvfb server this process started; `display` is like ``:99``."""

    process: asyncio.subprocess.Process
    display: str

    @classmethod
    async def start(cls, xvfb_path: str = "Xvfb", screen: str = "1920x1080x24") -> VirtualDisplay:
        """Start Xvfb on a free display number (it picks one and reports it via -displayfd)."""
        exe = shutil.which(xvfb_path)
        if exe is None:
            raise BrowserModeError(
                f"FLOW_HEADED=true needs Xvfb and {xvfb_path!r} was not found: run "
                "`make run FLOW_HEADED=true` (or FLOW_HEADED=true bash scripts/install-system-deps.sh)"
                ", set DISPLAY to a running X server, or set FLOW_HEADED=false")
        read_fd, write_fd = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                exe, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp",
                "-noreset", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, pass_fds=(write_fd,),
                preexec_fn=_die_with_parent)
        finally:
            os.close(write_fd)
        try:
            number = await asyncio.wait_for(_read_display_number(read_fd), XVFB_START_TIMEOUT_S)
        except (TimeoutError, ValueError):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            code = await proc.wait()
            raise BrowserModeError(
                f"Xvfb did not start (exit status {code}): check that `{exe} :99` runs here, "
                "or set DISPLAY to a running X server") from None
        finally:
            os.close(read_fd)
        display = cls(proc, f":{number}")
        log.info("virtual display %s started (Xvfb pid %s)", display.display, proc.pid)
        return display

    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        """Stop Xvfb (TERM, then KILL after 5 s) and reap it."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        log.info("virtual display %s stopped", self.display)


async def _read_display_number(fd: int) -> int:
    """Xvfb writes the display number followed by a newline once it accepts connections."""
    loop = asyncio.get_running_loop()
    data = b""
    while not data.endswith(b"\n"):
        chunk = await loop.run_in_executor(None, os.read, fd, 16)
        if not chunk:
            raise ValueError("Xvfb exited before reporting a display")
        data += chunk
    return int(data.strip())


# --- opening a browser in the configured mode ----------------------------------------------

def cdp_endpoint_label(url: str) -> str:
    """`scheme://host:port` of a CDP address: its path (a ws:// browser id) is a capability."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class OpenedBrowser:
    """A browser in one of the three modes, and what of it we own.

    `context` is the user's default context in CDP mode (None otherwise: the caller makes its
    own). `close()` closes what we started: in CDP mode only the pages opened through
    `track_page`, then it disconnects, leaving the user's Chrome as it was.
    """

    browser: Browser
    mode: str
    display: VirtualDisplay | None = None
    context: BrowserContext | None = None
    _pages: list[Page] = field(default_factory=list)

    @property
    def owns_browser(self) -> bool:
        return self.mode != "cdp"

    def track_page(self, page: Page) -> Page:
        """Remember a page we opened in the user's context, so `close()` closes it."""
        self._pages.append(page)
        return page

    async def close(self) -> None:
        """Close our pages (CDP) or our browser (launched), then stop our Xvfb if any."""
        try:
            if self.mode == "cdp":
                for page in self._pages:
                    with contextlib.suppress(Exception):
                        if not page.is_closed():
                            await page.close()
                self._pages.clear()
            # For a CDP browser this only disconnects: Chrome and the user's tabs stay.
            with contextlib.suppress(Exception):
                await self.browser.close()
        finally:
            if self.display is not None:
                await self.display.stop()
                self.display = None


async def open_browser(pw: Playwright, settings: FlowSettings, *,
                       display: VirtualDisplay | None = None) -> OpenedBrowser:
    """Get a browser in `settings.browser_mode`.

    Headed without a DISPLAY starts an Xvfb (or reuses `display` when it still runs); the
    returned `OpenedBrowser.display` is then ours to stop (its `close()` does).
    Raises `BrowserModeError` with a one-line fix when the mode cannot start.
    """
    mode = settings.browser_mode
    if mode == "cdp":
        assert settings.cdp_url is not None
        try:
            browser = await pw.chromium.connect_over_cdp(settings.cdp_url, timeout=15_000)
        except Exception as err:  # noqa: BLE001 - any failure means "not answering"
            raise BrowserModeError(
                f"no browser answers at FLOW_CDP_URL ({cdp_endpoint_label(settings.cdp_url)}): "
                f"start Chrome with --remote-debugging-port=PORT and sign in to Flow there "
                f"({type(err).__name__})") from None
        context = browser.contexts[0] if browser.contexts else await browser.new_context()
        return OpenedBrowser(browser, mode, None, context)
    if mode == "headless":
        return OpenedBrowser(await launch(pw, settings.chromium_path, headless=True), mode)
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        if display is None or not display.alive():
            display = await VirtualDisplay.start(settings.xvfb_path, settings.xvfb_screen)
        env["DISPLAY"] = display.display
    else:
        display = None  # a real X server: nothing of ours to start or stop
    try:
        browser = await launch(pw, settings.chromium_path, headless=False, env=env)
    except BaseException:
        if display is not None:
            await display.stop()
        raise
    return OpenedBrowser(browser, mode, display)


@asynccontextmanager
async def browser_for(settings: FlowSettings) -> AsyncIterator[OpenedBrowser]:
    """Playwright + a browser in the configured mode, all closed (or detached) on exit."""
    async with async_playwright() as pw:
        opened = await open_browser(pw, settings)
        try:
            yield opened
        finally:
            await opened.close()
