"""`PlaywrightFlowClient`: the `FlowClient` that drives Google Flow (or flowsim) in Chromium.

One client = one account = one browser context with one working page, on which every
interaction (submit, download, navigation) runs under an `asyncio.Lock`. Several prompts can be
in flight: `submit` returns right after Create, and `poll` is a single DOM read that needs no
lock when the handle's tiles are on screen. Only when they are not (virtualised grid, another
project, a restarted browser) does it take the lock to scroll, reload or navigate.

Each locked operation records a Playwright trace chunk; the chunk is saved with a screenshot only
when the operation ends in a page state we do not understand (`UnknownPageStateError`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError

from bot.clock import Clock
from bot.config import FlowSettings
from bot.errors import (
    FlowError,
    RetryableFlowError,
    SessionExpiredError,
    UnknownPageStateError,
)
from bot.pipeline.flow import create, steps
from bot.pipeline.flow.api import FlowHandle, GenerationRequest, SessionInfo, TileStatus
from bot.pipeline.flow.download import DownloadIncompleteError, open_720p_item, save_download
from bot.pipeline.flow.ledger import Ledger
from bot.pipeline.flow.locate import NotFound, find_any, probe
from bot.pipeline.flow.selectors import SIGNIN_URL_MARK
from bot.pipeline.flow.session import BrowserSession
from bot.pipeline.flow.tiles import RawTile, read_tiles, scroll_grid_top, shows_prompt, state_of

log = logging.getLogger(__name__)
ALL = "__all_tiles__"  # a tile id that never exists: makes a scan read the whole grid


class PlaywrightFlowClient:
    """Drive Flow through Playwright. See `bot.pipeline.flow.api.FlowClient` for the contract.

    `browser`: an already running Playwright Browser to open this client's context in (it is
    never closed by the client; if it dies, the client launches its own Chromium).
    `ledger_file`: where projects and first-seen tile times live (default: next to the session).
    """

    def __init__(
        self,
        settings: FlowSettings,
        session_file: Path,
        clock: Clock,
        artifacts_dir: Path,
        *,
        browser: Browser | None = None,
        ledger_file: Path | None = None,
        ffprobe_bin: str = "ffprobe",
        stale_reload_s: float = 120.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.base_url = settings.base_url.rstrip("/")
        self.session = BrowserSession(settings, Path(session_file), Path(artifacts_dir), browser)
        self.ledger = Ledger(ledger_file or Path(session_file).with_suffix(".driver.json"))
        self.ffprobe_bin = ffprobe_bin
        # A page whose own refresh stalled shows frozen tiles: reload when an unfinished tile
        # has not changed for this long (tile id -> (state, percent), when it last changed).
        self.stale_reload_s = stale_reload_s
        self._last_change: dict[str, tuple[tuple, float]] = {}
        self._lock = asyncio.Lock()
        self._project_url: str | None = None  # the project this client session submits into
        self._aux: dict[str, Page] = {}  # pages showing other projects (reattached handles)
        self._epoch = -1  # session.relaunches when _aux / _project_url were valid
        # Monotonic marks of the last submit ("page_ready", "create_clicked", "handle"), for
        # the overhead benchmark and debugging slow steps.
        self.last_timings: dict[str, float] = {}

    @property
    def timeout(self) -> float:
        return self.settings.step_timeout_s

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        await self.session.page()
        self._epoch = self.session.relaunches

    async def close(self) -> None:
        async with self._lock:
            await self.session.close()
            self._aux.clear()

    async def reload_session(self) -> None:
        """Load the session file again (after an admin's new login), keeping handles valid."""
        async with self._lock:
            await self.session.reopen()
            self._aux.clear()
            log.info("Flow session reloaded from %s", self.session.session_file)

    async def __aenter__(self) -> PlaywrightFlowClient:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # --- session --------------------------------------------------------------------------
    async def check_session(self) -> SessionInfo:
        """Open Flow's home in a side page and report whether we are signed in."""
        async with self._lock:
            page = await self.session.new_page()
            try:
                await page.goto(self.base_url, wait_until="domcontentloaded")
                # The app renders after its own fetches: wait for something we know.
                try:
                    await find_any(page, ["credits", "new_project", "landing_start",
                                          "signin_marker"], self.timeout)
                except NotFound:
                    pass
                reason = await steps.signed_out_reason(page)
                if reason is not None:
                    return SessionInfo(False, None, reason, self.clock.now())
                credits = await _credits(page)
                await self.session.save_state()
                return SessionInfo(True, credits, "signed in", self.clock.now())
            except PlaywrightError as err:
                return SessionInfo(False, None, f"could not open Flow: {err.message}", self.clock.now())
            finally:
                await page.close()

    async def screenshot(self) -> bytes:
        page = await self.session.page()
        return await page.screenshot()

    # --- submit ---------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest) -> FlowHandle:
        """Run the steps and click Create; return the handle as soon as the new tiles show.

        Before the click any error means nothing was submitted. After it: a refusal notice
        (slots full, too quickly, credits, unusual activity, ...) raises its class and nothing
        was queued; `UnknownPageStateError(code="outcome_unknown")` means the click happened but
        no answer was seen, so call `find_submission()` before submitting the prompt again.
        """
        async with self._lock:
            return await self._guard("submit", lambda: self._submit(request))

    async def _submit(self, req: GenerationRequest) -> FlowHandle:
        page = await self._work_page()
        t = self.timeout
        await self.session.save_state()  # cookies the last operation refreshed (if any)
        if self._project_url is None:
            self._project_url = await steps.create_project(page, self.base_url, t)
            self.ledger.add_project(self._project_url)
        elif page.url != self._project_url:
            await steps.goto_project(page, self._project_url, t)
        await steps.ensure_signed_in(page)
        await steps.dismiss_popups(page)
        marks = {"page_ready": time.monotonic()}
        await steps.choose_frames_mode(page, t)
        await steps.upload_start_frame(page, Path(req.image_path), t)
        await steps.apply_settings(page, req.model, req.aspect, req.outputs, t)
        await create.fill_prompt(page, req.prompt, t)
        await scroll_grid_top(page)
        before = set(await read_tiles(page))
        self.ledger.see(before, self.clock.now())
        await create.mark_toasts(page)
        await create.click_create(page, t)
        submitted_at = self.clock.now()
        marks["create_clicked"] = time.monotonic()
        try:
            ids = await create.await_outcome(page, before, req.prompt, req.outputs, t)
        except (NotFound, PlaywrightError) as err:
            # Create was clicked: it may have been accepted (and paid). Never report this as
            # plainly retryable; the caller must reconcile with find_submission() first.
            raise UnknownPageStateError(
                f"Create was clicked but its outcome was not seen ({type(err).__name__}); "
                "reconcile with find_submission before submitting again",
                code="outcome_unknown",
            ) from err
        marks["handle"] = time.monotonic()
        self.last_timings = marks
        self.ledger.see(ids, submitted_at)
        handle = FlowHandle(self._project_url, tuple(ids), submitted_at, req.prompt)
        log.debug("submitted: %d tile(s); %.2f s to Create, %.2f s to handle", len(ids),
                  marks["create_clicked"] - marks["page_ready"], marks["handle"] - marks["page_ready"])
        return handle  # at once: the caller records it before anything else happens

    # --- poll -----------------------------------------------------------------------------
    async def poll(self, handle: FlowHandle) -> list[TileStatus]:
        want = list(handle.tile_ids)
        page = self._page_for_nowait(handle.project_url)
        if page is not None:
            # Fast path: one DOM read, no lock (reads never disturb a submission in progress).
            try:
                if SIGNIN_URL_MARK in page.url:
                    raise SessionExpiredError(f"redirected to sign-in ({SIGNIN_URL_MARK})")
                tiles = await read_tiles(page)
                if all(i in tiles for i in want):
                    statuses = [self._status(tiles[i], handle) for i in want]
                    if not self._stale(statuses):
                        return statuses
                    log.info("tiles unchanged for %.0f s; reloading the project page",
                             self.stale_reload_s)
                    async with self._lock:
                        return await self._guard("poll", lambda: self._poll_slow(handle, True))
            except PlaywrightError:
                pass  # navigating or crashed: the locked path sorts it out
        async with self._lock:
            return await self._guard("poll", lambda: self._poll_slow(handle))

    async def _poll_slow(self, handle: FlowHandle, reload: bool = False) -> list[TileStatus]:
        want = list(handle.tile_ids)
        page = await self._page_for(handle.project_url)
        tiles = {} if reload else await read_tiles(page, want, scan=True)
        if not all(i in tiles for i in want):
            log.debug("tiles not in the grid (or stale); reloading the project")
            await steps.goto_project(page, handle.project_url, self.timeout)
            tiles = await read_tiles(page, want, scan=True)
        missing = [i for i in want if i not in tiles]
        if missing:
            raise NotFound(f"tiles {missing} in the project")
        now = time.monotonic()
        for tile_id in want:
            self._last_change.pop(tile_id, None)  # a fresh page: the clock starts again
        statuses = [self._status(tiles[i], handle) for i in want]
        self._stale(statuses, now)
        return statuses

    def _stale(self, statuses: list[TileStatus], now: float | None = None) -> bool:
        """Record changes; True when an unfinished tile has not changed for `stale_reload_s`."""
        now = time.monotonic() if now is None else now
        stale = False
        for st in statuses:
            sig = (st.state, st.percent)
            seen = self._last_change.get(st.tile_id)
            if seen is None or seen[0] != sig:
                self._last_change[st.tile_id] = (sig, now)
            elif not st.terminal and now - seen[1] > self.stale_reload_s:
                stale = True
            if st.terminal:
                self._last_change.pop(st.tile_id, None)
        return stale

    def _status(self, tile: RawTile, handle: FlowHandle) -> TileStatus:
        state, percent, video, error = state_of(tile, handle.prompt)
        return TileStatus(tile.tile_id, state, percent, video, error)

    # --- reconcile ------------------------------------------------------------------------
    async def find_submission(self, prompt: str, after: float) -> FlowHandle | None:
        async with self._lock:
            return await self._guard("find_submission", lambda: self._find(prompt, after))

    async def _find(self, prompt: str, after: float) -> FlowHandle | None:
        for project_url in reversed(self.ledger.projects):
            page = await self._page_for(project_url)
            tiles = await read_tiles(page, [ALL], scan=True)
            mine = [t for t in tiles.values()
                    if shows_prompt(t, prompt) and self.ledger.unclaimed(t.tile_id, after)]
            if mine:
                mine.sort(key=lambda t: t.index if t.index is not None else 0)
                now = self.clock.now()
                self.ledger.see([t.tile_id for t in mine], now)
                first = min(self.ledger.seen[t.tile_id] for t in mine)
                log.debug("found %d tile(s) of an earlier submission", len(mine))
                return FlowHandle(project_url, tuple(t.tile_id for t in mine), first, prompt)
        return None

    # --- download -------------------------------------------------------------------------
    async def download(self, handle: FlowHandle, tile_id: str, dest: Path) -> Path:
        async with self._lock:
            return await self._guard("download", lambda: self._download(handle, tile_id, Path(dest)))

    async def _download(self, handle: FlowHandle, tile_id: str, dest: Path) -> Path:
        page = await self._page_for(handle.project_url)
        tiles = await read_tiles(page, [tile_id], scan=True, reveal=True)
        if tile_id not in tiles:
            await steps.goto_project(page, handle.project_url, self.timeout)
            tiles = await read_tiles(page, [tile_id], scan=True, reveal=True)
        if tile_id not in tiles:
            raise NotFound(f"tile {tile_id} in the project")
        state, *_ = state_of(tiles[tile_id], handle.prompt)
        if state != "done":
            raise DownloadIncompleteError(f"tile is {state}, not done")
        tile = page.locator(f'[data-tile-id="{tile_id}"]')
        await tile.scroll_into_view_if_needed()
        item = await open_720p_item(page, tile, self.timeout)
        return await save_download(page, item, dest, self.timeout, self.ffprobe_bin)

    # --- pages ----------------------------------------------------------------------------
    async def _work_page(self) -> Page:
        page = await self.session.page()
        if self.session.relaunches != self._epoch:
            # A fresh browser: pages of the old one are gone; the project URL stays valid.
            self._aux.clear()
            self._epoch = self.session.relaunches
        return page

    def _page_for_nowait(self, project_url: str) -> Page | None:
        if not self.session.alive() or self.session.relaunches != self._epoch:
            return None
        page = self._aux.get(project_url)
        if page is None and self._project_url == project_url:
            page = self.session.current_page
        if page is None or page.is_closed() or page.url != project_url:
            return None
        return page

    async def _page_for(self, project_url: str) -> Page:
        """A page showing `project_url`: the work page for our project, else a side page."""
        work = await self._work_page()
        if project_url == self._project_url or (self._project_url is None and not self._aux):
            if self._project_url is None:
                self._project_url = project_url  # reattach: keep submitting into the same project
            page = work
        else:
            page = self._aux.get(project_url)
            if page is None or page.is_closed():
                page = await self.session.new_page()
                self._aux[project_url] = page
        if page.url != project_url:
            await steps.goto_project(page, project_url, self.timeout)
        return page

    # --- evidence -------------------------------------------------------------------------
    async def _guard(self, label: str, op):
        """Run one locked operation inside a trace chunk; turn surprises into evidence."""
        await self.session.begin_chunk()
        try:
            result = await op()
        except UnknownPageStateError as err:
            if err.screenshot is None:
                err.screenshot, err.trace = await self.session.capture(f"{label}-{err.code}")
            raise
        except FlowError:
            await self.session.end_chunk()
            raise
        except (NotFound, PlaywrightError) as err:
            if not self.session.alive():
                await self.session.end_chunk()
                raise RetryableFlowError(
                    f"the browser went away during {label}", code="browser_crashed"
                ) from err
            shot, trace = await self.session.capture(label)
            raise UnknownPageStateError(
                f"{label}: {err}", screenshot=shot, trace=trace
            ) from err
        except BaseException:
            await self.session.end_chunk()  # cancelled: drop the chunk so the next one starts
            raise
        await self.session.end_chunk()
        return result


async def _credits(page: Page) -> int | None:
    match = await probe(page, "credits")
    if match is None:
        return None
    attr = await match.locator.get_attribute("data-credits")
    text = attr or await match.locator.inner_text()
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits else None
