"""`PlaywrightFlowClient`: the `FlowClient` that drives Google Flow (or flowsim) in Chromium.

One client = one account = one browser context with one working page, on which every
interaction (submit, download, navigation) runs under an `asyncio.Lock`. Several prompts can be
in flight: `submit` returns right after Create, and `poll` is a single read that needs no
lock when the handle's tiles are on screen. Only when they are not (virtualised grid, another
project, a restarted browser) does it take the lock to scroll, reload or navigate.

Everything that touches the page belongs to the UI generation (`bot/pipeline/flow/ui/`), detected
on the first page the client opens (`FLOW_UI=auto`) or forced (`flow2026`, the one living
generation). The client itself is the same for every generation: lock, ledger, reattach,
evidence, the wire.

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
from bot.pipeline.flow import ui as generations
from bot.pipeline.flow.api import FlowHandle, GenerationRequest, SessionInfo, TileStatus
from bot.pipeline.flow.ledger import Ledger, ledger_path, upload_key
from bot.pipeline.flow.locate import NotFound
from bot.pipeline.flow.session import BrowserSession
from bot.pipeline.flow.ui import SIGNIN_URL_MARK, PageTurn, UiGeneration
from bot.pipeline.flow.wire import Wire

log = logging.getLogger(__name__)


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
        self.ledger = Ledger(ledger_file or ledger_path(session_file))
        self.ffprobe_bin = ffprobe_bin
        # A page whose own refresh stalled shows frozen tiles: reload when an unfinished tile
        # has not changed for this long (tile id -> (state, percent), when it last changed).
        self.stale_reload_s = stale_reload_s
        self._last_change: dict[str, tuple[tuple, float]] = {}
        self._lock = asyncio.Lock()
        self._submits_waiting = 0
        self._project_url: str | None = None  # the project this client session submits into
        self._aux: dict[str, Page] = {}  # pages showing other projects (reattached handles)
        self._epoch = -1  # session.relaunches when _aux / _project_url were valid
        # The page's own batchexecute replies (2026 UI): proof of billing and tile states.
        self.wire = Wire()
        self._ui: UiGeneration | None = None
        # Monotonic marks of the last submit ("page_ready", "create_clicked", "handle"), for
        # the overhead benchmark and debugging slow steps.
        self.last_timings: dict[str, float] = {}

    @property
    def timeout(self) -> float:
        return self.settings.step_timeout_s

    @property
    def ui_name(self) -> str | None:
        """The UI generation in use ("flow2026"), None before the first page."""
        return self._ui.name if self._ui else None

    @property
    def queue_room(self) -> int:
        """Outputs that may wait in Flow's own queue beyond the render slots right now:
        `FLOW_QUEUE_AHEAD` once the page showed a UI generation with a queue, else 0."""
        return self.settings.queue_ahead if self._ui is not None and self._ui.queues else 0

    @property
    def overlaps_submits(self) -> bool:
        """Whether a second submit may start while one waits for Flow's answer (flow2026)."""
        return self._ui is not None and self._ui.overlaps_submits

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        page = await self.session.page()
        self.wire.attach(page)
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

    # --- UI generation --------------------------------------------------------------------
    def _make_ui(self, name: str) -> UiGeneration:
        if self._ui is None or self._ui.name != name:
            self._ui = generations.make(name, self.settings, self.wire)
            log.info("Flow UI generation: %s", name)
        return self._ui

    def _url(self, url: str) -> str:
        """A navigation URL: the UI language is pinned there (`hl=`)."""
        return generations.pin_language(url, self.settings.ui_lang)

    async def _ui_for(self, page: Page) -> UiGeneration:
        """The generation of the loaded `page` (forced by FLOW_UI, else detected once)."""
        if self.settings.ui != "auto":
            return self._make_ui(self.settings.ui)
        if self._ui is not None:
            return self._ui
        return self._make_ui(await generations.detect(page, self.timeout))

    async def _home(self, page: Page) -> UiGeneration:
        """Open Flow's home on `page` and return the generation it speaks."""
        await page.goto(self._url(self.base_url), wait_until="domcontentloaded")
        if self.settings.ui == "auto":
            # A redirect may have changed the host or the generation: look again.
            self._ui = None
        return await self._ui_for(page)

    # --- session --------------------------------------------------------------------------
    async def check_session(self) -> SessionInfo:
        """Open Flow's home in a side page and report whether we are signed in (and credits)."""
        async with self._lock:
            page = await self.session.new_page()
            self.wire.attach(page)
            try:
                try:
                    ui = await self._home(page)
                except NotFound:
                    return SessionInfo(False, None, "Flow did not render a page the bot knows",
                                       self.clock.now())
                reason = await ui.signed_out_reason(page)
                if reason is not None:
                    return SessionInfo(False, None, reason, self.clock.now())
                credits, extra = await ui.session_info(page)
                extra = {"ui": ui.name, **extra}
                await self.session.save_state()
                return SessionInfo(True, credits, "signed in", self.clock.now(), extra)
            except PlaywrightError as err:
                return SessionInfo(False, None, f"could not open Flow: {err.message}", self.clock.now())
            finally:
                await page.close()

    async def survey(self) -> dict:
        """Walk the page's menus and quotes as a submit would configure them, in a side page,
        spending nothing (`bot/pipeline/flow/survey.py`); the baseline is what the account can
        buy now (`catalog.learn`). Opens the bot's project when there is one."""
        from bot.pipeline.flow import survey

        async with self._lock:
            page = await self.session.new_page()
            self.wire.attach(page)
            try:
                return await self._guard("survey", lambda: survey.survey_page(
                    page, self._project_url or self.base_url, self.settings))
            finally:
                await page.close()

    async def screenshot(self) -> bytes:
        page = await self.session.page()
        return await page.screenshot()

    # --- submit ---------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest) -> FlowHandle:
        """Run the steps and click Start/Create; return the handle as soon as Flow answered.

        Before the click any error means nothing was submitted. After it: a refusal (slots
        full, too quickly, credits, unusual activity, ...) raises its class and nothing was
        queued; `UnknownPageStateError(code="outcome_unknown")` means the click happened but no
        answer was seen, so call `find_submission()` before submitting the prompt again;
        `WrongSubmissionError` carries the handle of what really went out (it was paid for).
        """
        turn = PageTurn(self._lock)
        self._submits_waiting += 1  # upload_ahead yields the page to a waiting submit
        try:
            await turn.take()
        finally:
            self._submits_waiting -= 1
        try:
            return await self._guard("submit", lambda: self._submit(request, turn))
        finally:
            turn.give_back()

    async def upload_ahead(self, paths) -> int:
        """Upload frames of later submits into the current project while renders run; returns
        how many were uploaded now.

        Only on flow2026, once the batch's project exists. Each upload is recorded in the
        ledger (a restart does not upload it again) and the next submit of that frame only
        picks it. One frame per page-lock turn, and none while a submit waits for the page: an
        upload never delays a submit that has a free slot by more than the one in progress.
        """
        done = 0
        for path in paths:
            project = self._project_url
            if project is None or self._ui is None or self._ui.name != "flow2026":
                break
            key = upload_key(path)
            if key in self.ledger.uploads_in(project):
                continue
            if self._submits_waiting > 0 or self._lock.locked():
                break
            async with self._lock:
                if self._project_url != project:
                    break
                await self._guard("upload_ahead",
                                  lambda p=Path(path), k=key, u=project: self._upload_ahead(p, k, u))
            done += 1
        return done

    async def _upload_ahead(self, path: Path, key: str, project: str) -> None:
        page = await self._work_page()
        if not _same_page(page.url, project):
            await self._goto(page, project)
        ui = await self._ui_for(page)
        await ui.ensure_page_ok(page)
        await ui.dismiss_overlays(page)
        mid, name = await ui.upload_ahead(page, path)
        self.ledger.add_upload(project, key, mid, name)
        log.debug("uploaded %s ahead as %s", path.name, name)

    async def _submit(self, req: GenerationRequest, turn: PageTurn) -> FlowHandle:
        page = await self._work_page()
        await self.session.save_state()  # cookies the last operation refreshed (if any)
        if self._project_url is None:
            ui = await self._home(page)
            await ui.ensure_page_ok(page)
            self._project_url = await ui.create_project(page, self.base_url)
            self.ledger.add_project(self._project_url)
        else:
            if page.url != self._project_url:
                await self._goto(page, self._project_url)
            ui = await self._ui_for(page)
        await ui.ensure_page_ok(page)
        await ui.dismiss_overlays(page)
        if hasattr(ui, "ahead"):
            ui.ahead = self.ledger.uploads_in(self._project_url)

        def record_uploads() -> None:
            # Frames this submit uploaded are stored in the project: a later submit of the same
            # frame (a retry, a restart) picks them instead of paying the upload again.
            stored = self.ledger.uploads_in(self._project_url)
            for key, (mid, name) in getattr(ui, "ahead", {}).items():
                if stored.get(key) != (mid, name):
                    self.ledger.add_upload(self._project_url, key, mid, name)

        clicked_at: list[float] = []

        def before_click(ids) -> None:
            now = self.clock.now()
            self.ledger.see(ids, now)
            # Written before the paid click: a submission of unknown outcome is then looked up
            # (and held), never submitted again blindly.
            self.ledger.add_click(self._project_url, req.prompt, now)
            clicked_at.append(now)
            # Now, while this submit holds the page: once it gives the page back during Flow's
            # answer, the next submit replaces `ui.ahead`.
            record_uploads()

        try:
            done = await ui.submit(page, req, before_click, turn)
        except UnknownPageStateError as err:
            request_id = getattr(err, "client_request_id", None)
            if clicked_at and request_id:
                self.ledger.name_click(req.prompt, clicked_at[-1], request_id)
            raise
        finally:
            if turn.held:  # failed before its click: what it uploaded is kept all the same
                record_uploads()
        if clicked_at and done.proof.get("client_request_id"):
            self.ledger.name_click(req.prompt, clicked_at[-1], done.proof["client_request_id"])
        self.last_timings = done.marks
        self.ledger.see(done.tile_ids, done.submitted_at)
        proof = done.proof
        handle = FlowHandle(
            self._project_url, tuple(done.tile_ids), done.submitted_at, req.prompt,
            kind=proof.get("kind"), frame_media_ids=tuple(proof.get("frame_media_ids", ())),
            model_key=proof.get("model_key"), duration=proof.get("duration"),
            count=proof.get("count"), credits=proof.get("credits"), ui=ui.name,
        )
        problem = proof.get("mismatch")
        if problem:
            from bot.errors import WrongSubmissionError

            log.error("Flow billed something else than requested: %s", problem)
            raise WrongSubmissionError(f"the page submitted {problem}", handle=handle)
        if done.marks:
            log.debug("submitted: %d tile(s); %.2f s to the click", len(done.tile_ids),
                      done.marks.get("create_clicked", 0) - done.marks.get("page_ready", 0))
        return handle  # at once: the caller records it before anything else happens

    async def _goto(self, page: Page, project_url: str) -> None:
        self.wire.attach(page)
        ui = self._ui
        if ui is None:
            await page.goto(self._url(project_url), wait_until="domcontentloaded")
            ui = await self._ui_for(page)
        await ui.goto_project(page, project_url)

    # --- poll -----------------------------------------------------------------------------
    async def poll(self, handle: FlowHandle) -> list[TileStatus]:
        want = list(handle.tile_ids)
        page = self._page_for_nowait(handle.project_url)
        if page is not None and self._ui is not None:
            # Fast path: one read, no lock (reads never disturb a submission in progress).
            try:
                if SIGNIN_URL_MARK in page.url:
                    raise SessionExpiredError(f"redirected to sign-in ({SIGNIN_URL_MARK})")
                self._ui.check_url(page)
                tiles = await self._ui.statuses(page, handle)
                if all(i in tiles for i in want) and self._ui.fresh(page, handle):
                    statuses = [tiles[i] for i in want]
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
        ui = await self._ui_for(page)
        tiles = {} if reload else await ui.statuses(page, handle, scan=True)
        if not all(i in tiles for i in want) or not ui.fresh(page, handle):
            log.debug("tiles not in the page (or stale); reloading the project")
            await ui.goto_project(page, handle.project_url)
            tiles = await ui.statuses(page, handle, scan=True)
        missing = [i for i in want if i not in tiles]
        if missing:
            raise NotFound(f"tiles {missing} in the project")
        now = time.monotonic()
        for tile_id in want:
            self._last_change.pop(tile_id, None)  # a fresh page: the clock starts again
        statuses = [tiles[i] for i in want]
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

    # --- reconcile ------------------------------------------------------------------------
    async def find_submission(self, prompt: str, after: float) -> FlowHandle | None:
        async with self._lock:
            return await self._guard("find_submission", lambda: self._find(prompt, after))

    def was_clicked(self, prompt: str, after: float) -> bool:
        """Whether a paid click for `prompt` happened at or after `after` (the driver's ledger,
        written before every click): an unfound submission is then held, never redone."""
        return bool(self.ledger.clicks_since(prompt, after))

    async def _find(self, prompt: str, after: float) -> FlowHandle | None:
        clicks = self.ledger.clicks_since(prompt, after)
        for project_url in reversed(self.ledger.projects):
            page = await self._page_for(project_url)
            ui = await self._ui_for(page)
            mine_clicks = [c for c in clicks if c.get("project") in (project_url, None)]
            request_ids = tuple(c["request"] for c in mine_clicks if c.get("request"))
            found = await ui.candidates(page, prompt, request_ids)
            if not found and mine_clicks:
                # We clicked here: the page lists the project's clips (with each one's client
                # request id) when it loads, so look once more on a fresh page.
                await ui.goto_project(page, project_url)
                found = await ui.candidates(page, prompt, request_ids)
            mine = [c for c in found if self.ledger.unclaimed(c.tile_id, after)]
            if mine:
                mine.sort(key=lambda c: c.order)
                now = self.clock.now()
                self.ledger.see([c.tile_id for c in mine], now)
                first = min(self.ledger.seen[c.tile_id] for c in mine)
                log.debug("found %d tile(s) of an earlier submission", len(mine))
                return FlowHandle(project_url, tuple(c.tile_id for c in mine), first, prompt,
                                  ui=ui.name)
        return None

    # --- Flow's Retry ----------------------------------------------------------------------
    async def retry_tile(self, handle: FlowHandle, tile_id: str) -> FlowHandle:
        """Flow's own `Retry` on a failed tile (same project and frame; billed again).

        Returns the handle of the new tile(s), to be recorded like a submission. Raises
        `RetryableFlowError(code="retry_unavailable")` when the UI cannot (the tile is not
        found failed, say): submit the item again instead.
        """
        async with self._lock:
            return await self._guard("retry", lambda: self._retry(handle, tile_id))

    async def _retry(self, handle: FlowHandle, tile_id: str) -> FlowHandle:
        page = await self._page_for(handle.project_url)
        ui = await self._ui_for(page)
        done = await ui.retry(page, handle, tile_id)
        self.ledger.see(done.tile_ids, done.submitted_at)
        p = done.proof
        return FlowHandle(handle.project_url, tuple(done.tile_ids), done.submitted_at,
                          handle.prompt, kind=p.get("kind"),
                          frame_media_ids=tuple(p.get("frame_media_ids", ())),
                          model_key=p.get("model_key"), duration=p.get("duration"),
                          count=p.get("count"), ui=ui.name)

    # --- download -------------------------------------------------------------------------
    async def download(self, handle: FlowHandle, tile_id: str, dest: Path,
                       size: str = "720p") -> Path:
        async with self._lock:
            return await self._guard(
                "download", lambda: self._download(handle, tile_id, Path(dest), size))

    async def _download(self, handle: FlowHandle, tile_id: str, dest: Path, size: str) -> Path:
        page = await self._page_for(handle.project_url)
        ui = await self._ui_for(page)
        return await ui.download(page, handle, tile_id, dest, size, self.ffprobe_bin)

    # --- pages ----------------------------------------------------------------------------
    async def _work_page(self) -> Page:
        page = await self.session.page()
        if self.session.relaunches != self._epoch:
            # A fresh browser: pages of the old one are gone; the project URL stays valid.
            self._aux.clear()
            self._epoch = self.session.relaunches
        self.wire.attach(page)
        return page

    def _page_for_nowait(self, project_url: str) -> Page | None:
        if not self.session.alive() or self.session.relaunches != self._epoch:
            return None
        page = self._aux.get(project_url)
        if page is None and self._project_url == project_url:
            page = self.session.current_page
        if page is None or page.is_closed() or not _same_page(page.url, project_url):
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
        if not _same_page(page.url, project_url):
            await self._goto(page, project_url)
        return page

    def _signed_out_now(self) -> SessionExpiredError | None:
        """A `SessionExpiredError` when one of our pages now shows a sign-in address."""
        if self._ui is None:
            return None
        pages = [self.session.current_page, *self._aux.values()]
        for page in pages:
            if page is not None and not page.is_closed():
                found = _expired(self._ui, page)
                if found is not None:
                    return found
        return None

    # --- evidence -------------------------------------------------------------------------
    async def _guard(self, label: str, op):
        """Run one locked operation inside a trace chunk; turn surprises into evidence."""
        await self.session.begin_chunk()
        try:
            result = await op()
        except UnknownPageStateError as err:
            expired = self._signed_out_now()
            if expired is not None and err.code != "outcome_unknown":
                # The page lost the session under us (it navigated to sign-in): that is what
                # the admin must hear, not an unknown page. A click of unknown outcome stays
                # unknown (it must be reconciled before anything is submitted again).
                await self.session.end_chunk()
                raise expired from err
            if err.screenshot is None:
                err.screenshot, err.trace = await self.session.capture(f"{label}-{err.code}")
            raise
        except FlowError:
            await self.session.end_chunk()
            raise
        except (NotFound, PlaywrightError) as err:
            if not self.session.alive():
                await self.session.end_chunk()
                crashed = RetryableFlowError(f"the browser went away during {label}",
                                             code="browser_crashed")
                crashed.answered = False  # a click before the crash may have been paid for
                raise crashed from err
            expired = self._signed_out_now()
            if expired is not None:
                await self.session.end_chunk()
                raise expired from err
            shot, trace = await self.session.capture(label)
            raise UnknownPageStateError(
                f"{label}: {err}", screenshot=shot, trace=trace
            ) from err
        except BaseException:
            await self.session.end_chunk()  # cancelled: drop the chunk so the next one starts
            raise
        await self.session.end_chunk()
        return result


def _expired(ui: UiGeneration, page: Page) -> SessionExpiredError | None:
    try:
        ui.check_url(page)
    except SessionExpiredError as err:
        return err
    except FlowError:
        return None
    return None


def _same_page(url: str, project_url: str) -> bool:
    """Whether the page shows `project_url` (ignoring the query, e.g. a pinned `hl=`)."""
    return url.split("?", 1)[0].split("#", 1)[0] == project_url.split("?", 1)[0]
