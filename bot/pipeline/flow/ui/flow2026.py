"""flow.google.com (the Angular UI since September 2026, FLOW_2026.md) as a `UiGeneration`.

A submit, in order: agent mode off → upload the start (and end) frame to the project library
under a run-unique name (rights dialog only with FLOW_ACCEPT_UPLOAD_TERMS=true) → settings
popover: media, Frames, model first, then aspect/resolution/duration/count, everything read back
→ bind the frames from the picker and verify the chips → type the prompt → the money guard →
one trusted click on Start generation while listening to the page's own submit request.

Sources of truth, decided here:
* The handle's tile ids are the media ids of the page's submit reply (never titles or counts),
  and the proof of billing is the submit request itself (`wire.py`).
* Tile states come from the page's own poll replies (`jwpduf`: PENDING/QUEUED/ACTIVE with
  progress/SUCCESSFUL/FAILED with the reason). They are per media id, exact and locale-free;
  the DOM is used to act (download, Retry), not to read states. A page whose poll replies stop
  (older than `POLL_STALE_S` for an unfinished tile) is reloaded, which polls at once.
* Downloads: the grid tile whose thumbnail carries the media id, revealed by a real mouse move
  (`More options → Download → 720p`); when the tile cannot be matched (opaque `/asb/`
  thumbnails after a reload) the clip's edit view `/project/<id>/edit/<media>` (`Download media`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from bot.errors import (
    AgentOnlyError,
    DownloadIncompleteError,
    FinalFlowError,
    FirewallError,
    FlowError,
    InsufficientCreditsError,
    ModelNotOfferedError,
    ModelPickerHiddenError,
    OverCapError,
    PriceMismatchError,
    RateLimitedError,
    RetryableFlowError,
    SessionExpiredError,
    SlotsFullError,
    UnknownPageStateError,
    UnusualActivityError,
    UploadFaceError,
    UploadMinorError,
    UploadTermsError,
    WrongAccountError,
)
from bot.pipeline import catalog
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.api import FlowHandle, GenerationRequest, TileStatus
from bot.pipeline.flow.classify import classify, classify_failure
from bot.pipeline.flow.ledger import upload_key
from bot.pipeline.flow.locate import NotFound, clear_popups, click, find, find_any, probe, until
from bot.pipeline.flow.ui import Candidate, PageTurn, Submitted, UiGeneration
from bot.pipeline.flow.ui import flow2026_selectors as S
from bot.pipeline.flow.ui import flow2026_wire as W
from bot.pipeline.flow.wire import request_payload, rpc_of
from bot.pipeline.probe import verify_clip

log = logging.getLogger(__name__)
REG = S.SELECTORS
PROJECT_PATH = "/project/"
# An unfinished tile whose last poll reply is older than this is not trusted (reload the page).
POLL_STALE_S = 20.0
SEARCH_TRIES = 3       # picker searches per opening (FLOW_2026 §6: search is server-side, lags)
PICKER_OPENINGS = 5    # picker reopenings before giving up


class SettingsMismatch(UnknownPageStateError):
    """A settings group did not keep (or does not show) what we chose: nothing was clicked."""

    code = "settings_mismatch"


class TileGone(NotFound):
    """A revealed tile is no longer in the virtualised grid."""


# Flow answers a submit 4-5 s after the click (FLOW_2026 §7): allowed on top of the step time-out.
SUBMIT_REPLY_S = 10.0

# How long a tile just revealed may take to be found again before it counts as gone.
TILE_GONE_MS = 1500


class FrameNotBound(UnknownPageStateError):
    """The Start/End chip does not hold our image: submitting would bill something else."""

    code = "frame_not_bound"


# An element's visible words without its icon ligatures.
_TEXT_JS = """(el) => {
  const out = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement && n.parentElement.closest('mat-icon')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walk.nextNode()) { const t = walk.currentNode.textContent.trim(); if (t) out.push(t); }
  return out.join(' ');
}"""

_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return null;
  const ligs = (el) => [...el.querySelectorAll('mat-icon')].map((m) => m.textContent.trim());
  const words = """ + _TEXT_JS + """;
  const groups = [...root.querySelectorAll('[role=radiogroup]')].map((g) =>
    [...g.querySelectorAll('[role=radio]')].map((r) => ({
      text: words(r), ligs: ligs(r), checked: r.getAttribute('aria-checked') === 'true',
      disabled: r.disabled || r.getAttribute('aria-disabled') === 'true'})));
  const trig = root.querySelector('.model-select-trigger-content');
  const shown = (el) => !!el && el.getClientRects().length > 0 && !el.closest('[hidden]')
    && getComputedStyle(el).visibility !== 'hidden';
  const range = root.querySelector('mat-slider input[type=range], input[type=range]');
  const slider = range ? {min: Number(range.min), max: Number(range.max),
    step: Number(range.step) || 1, value: Number(range.value)} : null;
  return {groups, model: trig ? words(trig) : null, modelShown: shown(trig), slider};
}"""

# A model change re-renders the model's own groups (resolution, duration, count) some time later
# (FLOW_2026 §5); a JS property (not a DOM attribute) marks the groups present before the change.
_MARK_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return 0;
  const groups = root.querySelectorAll('[role=radiogroup]');
  groups.forEach((g) => { g.__flowbotBeforeModel = true; });
  return groups.length;
}"""
# Per group of the panel, in _GROUPS_JS order: whether it is still one from before the change.
_STALE_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return null;
  return [...root.querySelectorAll('[role=radiogroup]')].map((g) => g.__flowbotBeforeModel === true);
}"""
_MODEL_GROUPS = ("resolution", "duration", "count")
MODEL_RERENDER_LIMIT_S = 3.0
# Angular writes a slider's own value back about every 100 ms: a set value is read after this.
SLIDER_SETTLE_S = 0.25  # a UI that updates the groups in place is waited for this long

_CHIPS_JS = """([chipSel, imgSel]) => [...document.querySelectorAll(chipSel)].slice(0, 2).map((c) => {
  const img = c.querySelector(imgSel);
  return img ? {src: img.getAttribute('src') || '', alt: img.getAttribute('alt') || ''} : null;
})"""

# A point inside `el` that the pointer would really hit (not the composer or the top bar over it).
_POINT_JS = """(el) => {
  const r = el.getBoundingClientRect();
  for (const [fx, fy] of [[0.5, 0.35], [0.5, 0.2], [0.3, 0.3], [0.7, 0.3], [0.5, 0.6], [0.5, 0.8]]) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit && el.contains(hit)) return [x, y];
  }
  return null;
}"""


# Scroll the grid until the tile whose thumbnail carries `mid` is rendered; leave it there.
_REVEAL_JS = """async ({grid, tile, thumb, mid}) => {
  const find = () => [...document.querySelectorAll(tile)].find((t) =>
    [...t.querySelectorAll(thumb + ', img, video')].some((i) => (i.src || '').includes(mid)));
  const sc = document.querySelector(grid) || document.scrollingElement;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 40)));
  let hit = find();
  if (hit) return true;
  sc.scrollTop = 0; await frame(); hit = find();
  let guard = 0;
  while (!hit && sc.scrollTop + sc.clientHeight < sc.scrollHeight - 1 && guard++ < 300) {
    sc.scrollTop += Math.max(120, sc.clientHeight * 0.8); await frame(); hit = find();
  }
  if (hit) { hit.scrollIntoView({block: 'center'}); await frame(); return true; }
  sc.scrollTop = 0;
  return false;
}"""


# What the grid shows without the wire: media ids on finished tiles' posters, and the title and
# reason of each failed tile (failed tiles carry no media id).
_GRID_STATE_JS = """({tile, attr, error, reason}) => {
  const done = [...document.querySelectorAll(`${tile} [${attr}]`)]
    .filter((e) => !e.closest(error)).map((e) => e.getAttribute(attr));
  const failed = [...document.querySelectorAll(tile)].filter((t) => t.querySelector(error))
    .map((t) => ({title: t.getAttribute('aria-label') || '',
                  reason: ((t.querySelector(reason) || {}).textContent || '').trim()}));
  return {done, failed};
}"""


def _norm(s: str) -> str:
    return " ".join((s or "").split())


def _project_id(url: str) -> str | None:
    path = urlsplit(url).path
    if PROJECT_PATH not in path:
        return None
    return path.split(PROJECT_PATH, 1)[1].split("/", 1)[0] or None


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]


class Flow2026Ui(UiGeneration):
    """`UiGeneration` for flow.google.com (see the module docstring)."""

    name = "flow2026"
    queues = True  # FLOW_2026 §8: `flow-pending-tile.queued`
    overlaps_submits = True  # the page is given back while Flow answers a submit
    registry = REG

    def __init__(self, settings, wire=None) -> None:
        super().__init__(settings, wire)
        self.plan: str | None = None  # seen on the account button (PRO/ULTRA)
        self._quote_seen: int | None = None  # the popover's quote of the current submit
        # Frames stored in the current project (`upload_key` → (media id, run-unique name)),
        # set by the client from its ledger before each submit: the submit only picks them.
        self.ahead: dict[str, tuple[str, str]] = {}
        # Clips whose state was last read from the grid (their poll replies said nothing).
        self._grid_read: dict[str, float] = {}
        self._grid_done: set[str] = set()
        self._force_lang: str | None = None  # "en" once the browser translated a page

    # --- page checks --------------------------------------------------------------------------
    async def signed_out_reason(self, page: Page) -> str | None:
        url = page.url
        path = urlsplit(url).path
        if "accounts.google.com" in url:
            return "redirected to Google sign-in (accounts.google.com)"
        if path.rstrip("/").endswith("/about"):
            return "Flow shows its public /about page (signed out)"
        return None

    async def ensure_page_ok(self, page: Page) -> None:
        self.check_url(page)

    def check_url(self, page: Page) -> None:
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
        from bot.pipeline.flow.ui import pin_language

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

    # --- home and projects ----------------------------------------------------------------------
    async def open_home(self, page: Page, base_url: str) -> None:
        await page.goto(self.url(base_url), wait_until="domcontentloaded")

    async def create_project(self, page: Page, base_url: str) -> str:
        """From home: `New project` (named by date and time) and wait for its page."""
        t = self.timeout
        if PROJECT_PATH in page.url or not _strip_query(page.url).startswith(_strip_query(base_url)):
            await self.open_home(page, base_url)
        await self.ensure_page_ok(page)
        await self.dismiss_overlays(page)
        button = await find(page, "new_project", t, registry=REG)
        await click(button, t, REG)
        await page.wait_for_url(re.compile(re.escape(PROJECT_PATH)), timeout=t * 1000)
        await self.ensure_page_ok(page)
        await self._wait_composer(page)
        await self.dismiss_overlays(page)
        url = _strip_query(page.url)
        log.debug("project %s", url)
        return url

    async def goto_project(self, page: Page, project_url: str) -> None:
        """Open (or reload) a project; waits for the page's first poll reply after loading."""
        pid = _project_id(project_url)
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

    # --- session -------------------------------------------------------------------------------
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

    # --- submit --------------------------------------------------------------------------------
    async def submit(self, page: Page, req: GenerationRequest, before_click,
                     turn: PageTurn | None = None) -> Submitted:
        """All steps and the click; "unusual activity" → reload, pause, again (bounded).

        The page is given back (`turn`) between the click and Flow's answer (4-5 s, FLOW_2026
        §7): the next submit prepares meanwhile, and its own click waits until the button is
        enabled again, i.e. until this answer came."""
        uploads: dict[Path, tuple[str, str]] = {}
        tries = self.settings.unusual_activity_retries
        for attempt in range(tries + 1):
            if turn is not None:
                await turn.take()
            try:
                return await self._submit_once(page, req, before_click, uploads, turn)
            except UnusualActivityError as err:
                if attempt >= tries:
                    log.error("unusual activity %d times in a row: pausing the account", attempt + 1)
                    raise UnusualActivityError(
                        f"{err.text} (still after {attempt + 1} tries with a reload and a pause)") from err
                log.warning("unusual activity (try %d of %d): reload, wait %.0f s, submit again",
                            attempt + 1, tries + 1, self.settings.unusual_activity_wait_s)
                await asyncio.sleep(self.settings.unusual_activity_wait_s)
                if turn is not None:
                    await turn.take()
                await self.goto_project(page, _strip_query(page.url))
        raise AssertionError("unreachable")

    async def _submit_once(self, page: Page, req: GenerationRequest, before_click,
                           uploads: dict[Path, tuple[str, str]],
                           turn: PageTurn | None = None) -> Submitted:
        t = self.timeout
        marks = {"page_ready": time.monotonic()}
        self._quote_seen = None
        await self._scroll_top(page)
        await self._agent_off(page)
        frames: list[tuple[str, str]] = []
        ahead_before = dict(self.ahead)
        paths = [Path(p) for p in (req.image_path, req.end_image_path) if p is not None]
        for path in paths:
            if path not in uploads:
                key = upload_key(path)
                uploads[path] = self.ahead.get(key) or await self._upload(page, path)
                self.ahead[key] = uploads[path]  # stored now: the client records it
            frames.append(uploads[path])
        marks["uploaded"] = time.monotonic()
        await self._configure(page, req)
        marks["configured"] = time.monotonic()
        try:
            await self._bind_frames(page, frames)
        except FrameNotBound as err:
            early = [p for p in paths if uploads[p] == ahead_before.get(upload_key(p))]
            if err.code != "picker_missing" or not early:
                raise
            # An asset uploaded ahead is not in the picker (deleted, another library): upload
            # the frame now, as a submit without it would.
            log.info("a frame uploaded ahead is not in the picker; uploading it again")
            for path in early:
                uploads[path] = self.ahead[upload_key(path)] = await self._upload(page, path)
            frames = [uploads[p] for p in paths]
            await self._bind_frames(page, frames)
        marks["bound"] = time.monotonic()
        await self._type_prompt(page, req.prompt)
        marks["typed"] = time.monotonic()
        quote = await self._money_guard(page, req, frames)
        marks["guarded"] = time.monotonic()
        pid = _project_id(page.url)
        button = await find(page, "submit", t, registry=REG)
        # Disabled while the page waits for the answer to an earlier submit.
        await until(button.is_enabled, t, "submit (enabled)")
        known = await self._known_ids(page, pid)
        before_click(known)
        unseen = UnknownPageStateError(
            "Start generation was clicked but the page's submit was not seen; "
            "reconcile with find_submission before submitting again", code="outcome_unknown")
        try:
            # The request, not the response: answers of two submits may be in flight at once.
            async with page.expect_request(lambda r: rpc_of(r.url) in W.SUBMIT_KINDS,
                                           timeout=t * 1000) as info:
                marks["create_clicked"] = time.monotonic()
                # A trusted click (FLOW_2026 §7), through `click`: a modal that opened late
                # over the button is closed first instead of waiting out the step time-out.
                await click(button, t, REG)
            request = await info.value
        except PlaywrightTimeoutError as err:
            raise unseen from err
        sent = W.read_submit_request(rpc_of(request.url) or "", request_payload(request))
        # From here on Flow may have billed: whatever goes wrong names the request, so that a
        # reconcile finds its clips by the client request id (the project listing has it).
        unseen.client_request_id = sent.client_request_id
        if turn is not None:
            turn.give_back()  # nothing below touches the page until the reconcile
        try:
            response = await asyncio.wait_for(request.response(), t + SUBMIT_REPLY_S)
        except (TimeoutError, PlaywrightError):
            response = None
        submitted_at = time.time()
        ids, proof = await self._read_submit(page, response, sent, req, frames, known, turn, unseen)
        proof["credits"] = quote
        marks["handle"] = time.monotonic()
        return Submitted(ids, submitted_at, proof, marks)

    async def _known_ids(self, page: Page, pid: str | None) -> set[str]:
        """Media ids the project had before a click: from the wire and the grid's posters."""
        ids = {m for m, s in self.wire.records.items() if s.record.project_id == pid}
        ids |= {m for m, it in self.wire.items.items() if it.project_id == pid}
        try:
            ids |= set(await page.eval_on_selector_all(
                S.TILE_ID_CSS, "(els, a) => els.map((e) => e.getAttribute(a))", S.TILE_ID_JS_ATTR))
        except PlaywrightError:
            pass
        ids.discard(None)
        return ids

    async def _read_submit(self, page: Page, response: Response | None, sent: W.SubmitRequest,
                           req: GenerationRequest, frames: list[tuple[str, str]], known: set[str],
                           turn: PageTurn | None,
                           unseen: UnknownPageStateError) -> tuple[list[str], dict]:
        """The new media ids and the proof of what was billed, from the page's own exchange.

        A refusal (a status row, an HTTP error) raises its class: nothing was billed. A reply
        that was missed or cannot be read does not end in "unknown" while the page can tell:
        the submission is confirmed from the page's traffic and grid (its client request id,
        new media ids with our prompt) before the driver gives up."""
        reading: W.Reading | None = None
        if response is not None:
            if response.status == 401:
                raise SessionExpiredError("Flow answered the submit with 401 (signed out)")
            reading = (await self.wire.ingest(response)).reading
            if isinstance(reading, W.Refusal):
                raise _refusal(reading)
        records: tuple[W.Record, ...] = ()
        if isinstance(reading, W.SubmitReply) and reading.media_ids:
            ids = reading.media_ids
            records = reading.records
        else:
            why = reading.why if isinstance(reading, W.Unreadable) else "no reply was seen"
            log.warning("the submit reply could not be read (%s): confirming from the page", why)
            if turn is not None:
                await turn.take()
            ids = await self._confirm_from_page(page, sent, req.prompt, known)
            if not ids:
                raise unseen
            records = tuple(self.wire.records[m].record for m in ids if m in self.wire.records)
        proof = billing_proof(sent, records, req, [mid for mid, _ in frames])
        if isinstance(reading, W.SubmitReply) and reading.credits_after is not None:
            proof["credits_after"] = reading.credits_after
        log.info("billed: %s %s x%d %ss, frames %s", proof["kind"], proof["model_key"],
                 proof["count"], proof["duration"], proof["frame_media_ids"])
        return ids, proof

    async def _confirm_from_page(self, page: Page, sent: W.SubmitRequest, prompt: str,
                                 known: set[str]) -> list[str]:
        """The media ids of a submission whose reply was missed: by its client request id in
        what the page learnt since (listing, items), else new clips showing our prompt; the
        page is reloaded once (it lists the project's clips on load) before giving up."""
        pid = sent.project_id or _project_id(page.url)
        for reload in (False, True):
            if reload:
                try:
                    await self.goto_project(page, _strip_query(page.url))
                except (PlaywrightError, NotFound) as err:
                    log.warning("reload to confirm a submission failed: %s", err)
                    return []
            deadline = time.monotonic() + (self.timeout if reload else SUBMIT_REPLY_S)
            while True:
                ids = self._ids_of_request(sent.client_request_id)
                if not ids:
                    ids = [c.tile_id for c in await self.candidates(page, prompt)
                           if c.tile_id not in known and self.wire.project_of(c.tile_id) in (pid, None)]
                if ids:
                    log.info("submission confirmed from the page: %s", ids)
                    return ids
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.25)
        return []

    def _ids_of_request(self, client_request_id: str | None) -> list[str]:
        if not client_request_id:
            return []
        return list(self.wire.by_request.get(client_request_id) or [])

    # --- steps ---------------------------------------------------------------------------------
    async def _scroll_top(self, page: Page) -> None:
        """The top bar hides once the grid is scrolled (FLOW_2026 §4)."""
        await page.evaluate("(sel) => { for (const g of document.querySelectorAll(sel)) g.scrollTop = 0; }",
                            S.GRID_CSS)

    async def _agent_off(self, page: Page) -> None:
        """Agent mode must be off (its composer bills without our settings)."""
        t = self.timeout
        match = await find_any(page, ["agent_prompt_box", "prompt_box"], t, REG)
        chip = await probe(page, "agent_chip", registry=REG)
        if chip is None:
            if match.key == "agent_prompt_box":
                raise AgentOnlyError(
                    "this Flow account only has the agent composer (no per-request settings); "
                    "use an account with the normal prompt box")
            return
        if match.key == "agent_prompt_box" or await chip.locator.get_attribute("aria-pressed") == "true":
            log.info("agent mode is on: turning it off")
            for _ in range(3):
                await click(chip.locator, t, REG)
                try:
                    await until(lambda: _attr_is(chip.locator, "aria-pressed", "false"), 2.0, "agent chip off")
                    break
                except NotFound:
                    continue
            if await chip.locator.get_attribute("aria-pressed") == "true":
                raise UnknownPageStateError("the agent chip stays pressed", code="agent_mode")
        await find(page, "prompt_box", t, registry=REG)

    # upload --------------------------------------------------------------------------------------
    async def upload_ahead(self, page: Page, image: Path) -> tuple[str, str]:
        """Upload `image` into the open project's library now, for a later submit to pick
        (the composer is left as it was: nothing is bound); (media id, run-unique name)."""
        await self._scroll_top(page)
        return await self._upload(page, image)

    async def _upload(self, page: Page, image: Path) -> tuple[str, str]:
        """Upload `image` to the project library under a run-unique name; (media id, name)."""
        t = self.timeout
        name = f"flowbot-{uuid.uuid4().hex[:12]}{image.suffix.lower() or '.png'}"
        tmpdir = Path(tempfile.mkdtemp(prefix="flowbot-upload-"))
        try:
            copy = tmpdir / name  # the file chooser names the asset after the file
            shutil.copyfile(image, copy)
            replies: list[W.Reading] = []

            async def on_response(resp: Response) -> None:
                if rpc_of(resp.url) == W.UPLOAD:
                    try:
                        replies.append((await self.wire.ingest(resp)).reading)
                    except PlaywrightError:
                        pass

            def on_failed(request) -> None:
                if rpc_of(request.url) == W.UPLOAD:  # the connection dropped: no reply at all
                    replies.append(W.Unreadable(W.UPLOAD, f"request failed: {request.failure}"))

            page.on("response", on_response)
            page.on("requestfailed", on_failed)
            try:
                await self._scroll_top(page)
                await click(await find(page, "add_media_menu", t, registry=REG), t, REG)
                item = await find(page, "menu_upload", t, registry=REG)
                async with page.expect_file_chooser(timeout=t * 1000) as chooser:
                    await click(item, t, REG)
                await (await chooser.value).set_files(str(copy))
                log.debug("upload %s chosen", name)
                mid = await self._await_upload(page, replies, name)
            finally:
                page.remove_listener("response", on_response)
                page.remove_listener("requestfailed", on_failed)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        await self._await_stored(page, mid)
        return mid, name

    async def _find_in_library(self, page: Page, name: str) -> str | None:
        """The media id of our upload `name` as the project's library shows it (an image tile
        whose thumbnail is named after the file): on the page as it is, then once more on a
        fresh load of the project (which lists its library), a step time-out each."""
        for reload in (False, True):
            if reload:
                await self.goto_project(page, _strip_query(page.url))
            deadline = time.monotonic() + (self.timeout if reload else min(self.timeout, 3.0))
            while time.monotonic() < deadline:
                mid = await page.evaluate(
                    "([css, name]) => { const img = [...document.querySelectorAll(css)]"
                    ".find((i) => i.getAttribute('alt') === name);"
                    " return img ? img.getAttribute('data-media-id') : null; }",
                    [S.UPLOAD_IMG_ANY_CSS, name])
                if mid:
                    return mid
                await asyncio.sleep(0.2)
        return None

    async def _await_upload(self, page: Page, replies: list[W.Reading], name: str) -> str:
        """The upload's media id, handling the rights dialog and refusals on the way."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for reading in replies:
                if isinstance(reading, W.Refusal):
                    if S.UPLOAD_REFUSALS.get(reading.reason or "") == "upload_consent_required":
                        continue  # the page shows the rights dialog: handled below
                    raise _upload_refusal(reading)
                if isinstance(reading, W.UploadReply):
                    log.debug("uploaded %s as %s", name, reading.media_id)
                    return reading.media_id
                if isinstance(reading, W.Unreadable):
                    # FLOW_2026 Dec. 7: a reply lost although the asset was saved. Look in the
                    # library before anything uploads it again.
                    log.warning("the upload reply of %s was lost (%s); looking in the library",
                                name, reading.why)
                    mid = await self._find_in_library(page, name)
                    if mid is None:
                        raise RetryableFlowError(
                            f"the upload of {name} got no answer and is not in the library",
                            code="upload_lost")
                    log.info("upload %s found in the library as %s", name, mid)
                    return mid
            dialog = await probe(page, "consent_dialog", registry=REG)
            if dialog is not None:
                # Forget the refusal before agreeing: the page re-sends the upload the moment
                # the dialog closes, and its reply may land while _consent still waits.
                replies.clear()
                await self._consent(page)
            await asyncio.sleep(0.05)
        raise NotFound(f"upload reply for {name}")

    async def _consent(self, page: Page) -> None:
        t = self.timeout
        if not self.settings.accept_upload_terms:
            cancel = await probe(page, "consent_cancel", registry=REG)
            if cancel is not None:
                await cancel.locator.click(timeout=2000)
            raise UploadTermsError(
                "Flow asks to accept its image-upload rights terms (once per account). "
                + UploadTermsError.admin_hint)
        log.warning("accepting Flow's upload rights dialog (FLOW_ACCEPT_UPLOAD_TERMS=true)")
        agree = await find(page, "consent_agree", t, registry=REG)
        await click(agree, t, REG)  # a late first-visit modal over the dialog is closed first
        try:
            await until(lambda: _gone(page, "consent_dialog"), t, "rights dialog closed")
        except NotFound:
            raise UnknownPageStateError("the rights dialog stays open", code="upload_terms_stuck") from None

    async def _await_stored(self, page: Page, mid: str) -> None:
        """Wait until the upload is stored (the picker lists only stored assets)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if await page.locator(S.UPLOAD_IMG_CSS.format(mid=mid)).count():
                return
            await asyncio.sleep(0.1)
        raise NotFound(f"upload {mid} stored")

    # settings ------------------------------------------------------------------------------------
    async def _open_settings(self, page: Page) -> None:
        t = self.timeout
        if await probe(page, "settings_panel", registry=REG) is not None:
            return
        trigger = await find(page, "settings_trigger", t, registry=REG)
        for _ in range(4):  # the first click is sometimes swallowed (FLOW_2026 §5)
            await click(trigger, t, REG)
            try:
                await find(page, "settings_panel", 1.0, registry=REG)
                return
            except NotFound:
                log.debug("settings trigger click swallowed; again")
        raise NotFound("settings_panel")

    async def _close_settings(self, page: Page) -> None:
        for _ in range(4):  # Escape closes one overlay per press
            if await _gone(page, "settings_panel") and await _gone(page, "model_menu"):
                return
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)
        await until(lambda: _gone(page, "settings_panel"), self.timeout, "settings closed")

    async def _groups(self, page: Page) -> dict:
        """{"media"|"input"|"aspect"|"resolution"|"duration"|"count": (group index, radios),
        "model": trigger text} read in one evaluate."""
        raw = await page.evaluate(_GROUPS_JS, S.SETTINGS_PANEL_CSS)
        if raw is None:
            raise NotFound("settings_panel")
        out: dict = {"model": _norm(raw["model"] or ""), "model_shown": bool(raw.get("modelShown")),
                     "slider": raw.get("slider")}
        for gi, radios in enumerate(raw["groups"]):
            ligs = {lg for r in radios for lg in r["ligs"]}
            texts = [r["text"] for r in radios]
            if ligs & set(S.MEDIA_LIGATURES.values()):
                name = "media"
            elif ligs & set(S.INPUT_LIGATURES.values()):
                name = "input"
            elif ligs & set(S.ASPECT_LIGATURES.values()):
                name = "aspect"
            elif texts and all(re.match(S.RESOLUTION_RE, x) for x in texts):
                name = "resolution"
            elif texts and all(re.match(S.COUNT_RE, x) for x in texts):
                name = "count"
            elif texts and all(re.match(S.DURATION_RE, x) for x in texts):
                name = "duration"
            else:
                continue
            out[name] = (gi, radios)
        return out

    @staticmethod
    def _want(req: GenerationRequest) -> dict[str, callable]:
        """Per group: does a radio (its text, ligatures) stand for what `req` asks?"""
        return {
            "media": lambda r: S.MEDIA_LIGATURES["video"] in r["ligs"],
            "input": lambda r: S.INPUT_LIGATURES["frames"] in r["ligs"],
            "aspect": lambda r: S.ASPECT_LIGATURES[req.aspect] in r["ligs"],
            "resolution": lambda r: _num(S.RESOLUTION_RE, r["text"]) == int(req.resolution.rstrip("p")),
            "duration": lambda r: _num(S.DURATION_RE, r["text"]) == req.duration,
            "count": lambda r: _num(S.COUNT_RE, r["text"]) == req.outputs,
        }

    async def _set_group(self, page: Page, name: str, req: GenerationRequest,
                         groups: dict | None = None) -> None:
        groups = groups if groups is not None else await self._groups(page)
        if name not in groups:
            return
        gi, radios = groups[name]
        want = self._want(req)[name]
        idx = next((i for i, r in enumerate(radios) if want(r)), None)
        if idx is None:
            raise SettingsMismatch(f"Flow offers no {name} option for this request "
                                   f"(options: {[r['text'] or r['ligs'] for r in radios]})")
        if radios[idx]["checked"]:
            return
        radio = (page.locator(S.SETTINGS_PANEL_CSS).locator(S.RADIOGROUP_CSS).nth(gi)
                 .locator(S.RADIO_CSS).nth(idx))
        for _ in range(3):  # a radio sometimes ignores a click (FLOW_2026 §5): click again
            # Every attempt through `click`: a first-visit modal that opens late (between two
            # attempts) covers the popover, and a raw mouse click would land on its backdrop.
            await click(radio, self.timeout, REG)
            try:
                await until(lambda: _attr_is(radio, "aria-checked", "true"), 1.0, f"{name} checked")
                return
            except NotFound:
                log.debug("%s radio ignored a click", name)
        raise SettingsMismatch(f"the {name} option does not stay selected")

    async def _set_slider(self, page: Page, seconds: int) -> None:
        """The duration slider (Omni 1.2, FLOW_2026 Dec. 3) to `seconds`, by real key presses
        on its focused thumb (the component ignores a value written without events), then read
        back after the component had its chance to write its own value again."""
        loc = await find(page, "duration_slider", self.timeout, registry=REG)

        async def value() -> int:
            return int(float(await loc.input_value() or 0))

        lo, hi = int(await loc.get_attribute("min") or 0), int(await loc.get_attribute("max") or 0)
        if not lo <= seconds <= hi:
            raise SettingsMismatch(f"Flow's duration slider goes from {lo} to {hi} s here, "
                                   f"not to {seconds} s")
        for _ in range(3):
            now = await value()
            if now == seconds:
                break
            await loc.focus()
            key = "ArrowRight" if seconds > now else "ArrowLeft"
            for _ in range(abs(seconds - now)):
                await page.keyboard.press(key)
            await asyncio.sleep(SLIDER_SETTLE_S)  # a value that did not stick is written back
        if await value() != seconds:
            raise SettingsMismatch(f"the duration slider does not stay at {seconds} s "
                                   f"(it shows {await value()} s)")

    async def _set_model(self, page: Page, model: str) -> None:
        t = self.timeout
        if _norm((await self._groups(page))["model"]) == model:
            return
        await page.evaluate(_MARK_GROUPS_JS, S.SETTINGS_PANEL_CSS)
        await click(await find(page, "model_trigger", t, registry=REG), t, REG)
        menu = await find(page, "model_menu", t, registry=REG)
        items = menu.locator(S.MENUITEM_CSS)
        labels = [_norm(await items.nth(i).evaluate(_TEXT_JS)) for i in range(await items.count())]
        if model not in labels:
            await page.keyboard.press("Escape")
            # A retirement (or a plan without it) is a product event, not drift: nothing was
            # clicked; the pipeline learns the menu again and holds the work for its owner.
            raise ModelNotOfferedError(f"Flow's model menu has no {model!r} (it offers {labels})",
                                       model=model)
        await click(items.nth(labels.index(model)), t, REG)
        # A model change re-renders duration, resolution and count: wait until it settled.
        await until(lambda: self._model_is(page, model), t, "model selected")
        # The menu may stay open over the pane (two overlays stacked): close only the menu.
        for _ in range(3):
            if await _gone(page, "model_menu"):
                break
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)
        await self._open_settings(page)
        # Not a fixed pause: the re-render comes model_rerender_ms (about 300 ms) later, and a
        # click on a group before it lands on an element about to be replaced.
        await self._until_rerendered(page, min(t, MODEL_RERENDER_LIMIT_S))
        await _settle(lambda: self._groups(page))

    async def _until_rerendered(self, page: Page, limit: float) -> bool:
        """Wait (at most `limit` s) until the model's own groups (resolution, duration, count)
        are all new elements, i.e. the re-render after a model change has happened."""
        deadline = time.monotonic() + limit
        while True:
            # Both reads list the panel's radiogroups in the same document order.
            stale = await page.evaluate(_STALE_GROUPS_JS, S.SETTINGS_PANEL_CSS) or []
            try:
                groups = await self._groups(page)
            except NotFound:
                groups = {}
            own = [groups[name][0] for name in _MODEL_GROUPS if name in groups]
            if own and all(gi < len(stale) and not stale[gi] for gi in own):
                return True
            if time.monotonic() >= deadline:
                log.debug("model groups not re-rendered within %.1f s; read as they are", limit)
                return False
            await asyncio.sleep(0.05)

    async def _model_is(self, page: Page, model: str) -> bool:
        try:
            return (await self._groups(page))["model"] == model
        except NotFound:
            return False

    async def _configure(self, page: Page, req: GenerationRequest) -> None:
        """Media, Frames, model first, then the rest; read everything back (FLOW_2026 §5)."""
        try:
            offer = catalog.offer(req.model, await self._read_plan(page))  # type: ignore[arg-type]
        except catalog.UnknownOffer as err:
            raise SettingsMismatch(str(err)) from err
        await self._open_settings(page)
        try:
            groups = await self._groups(page)
            for name in ("media", "input"):  # they decide which other rows exist
                if await self._wrong(groups, name, req):
                    await self._set_group(page, name, req, groups)
                    groups = await self._groups(page)
            if not groups["model_shown"]:
                # FLOW_2026 Dec. 7: some pages hide the model picker. Its text then only says
                # the project's default: refuse rather than guess what would be billed.
                raise ModelPickerHiddenError(
                    f"Flow's settings show no model picker on this page; {req.model} cannot be "
                    "chosen or checked, so nothing was submitted")
            if groups["model"] != req.model:
                await self._set_model(page, req.model)
                groups = await self._groups(page)
            for name in ("aspect", "resolution", "duration", "count"):
                if await self._wrong(groups, name, req):
                    await self._set_group(page, name, req, groups)
            if groups.get("slider") is not None:
                await self._set_slider(page, req.duration)
            got, problems = await self._readback(page, req, offer)
            # The live quote of exactly these settings, read while the popover shows it.
            self._quote_seen = await self._panel_quote(page) if not problems else None
        finally:
            await self._close_settings(page)
        if problems:
            raise SettingsMismatch(
                f"settings read back {got}, wanted {req.model} {req.aspect} {req.resolution} "
                f"{req.duration}s x{req.outputs}; wrong: {', '.join(problems)}")
        await self._summary_agrees(page, req)

    async def _wrong(self, groups: dict, name: str, req: GenerationRequest) -> bool:
        """Whether group `name` exists and its checked radio is not what `req` asks."""
        if name not in groups:
            return False
        want = self._want(req)[name]
        checked = [r for r in groups[name][1] if r["checked"]]
        return len(checked) != 1 or not want(checked[0])

    async def _panel_quote(self, page: Page) -> int | None:
        match = await probe(page, "price", registry=REG)
        return await self._price_of(match.locator) if match is not None else None

    async def _readback(self, page: Page, req: GenerationRequest,
                        offer: catalog.Offer) -> tuple[dict, list[str]]:
        """Every group's checked option and the model, against the request (popover open)."""
        groups = await self._groups(page)
        got, problems = {"model": groups["model"]}, []
        want = self._want(req)
        for name in ("media", "input", "aspect", "resolution", "duration", "count"):
            if name not in groups:
                got[name] = None
                continue
            checked = [r for r in groups[name][1] if r["checked"]]
            got[name] = (checked[0]["text"] or checked[0]["ligs"]) if checked else None
            if len(checked) != 1 or not want[name](checked[0]):
                problems.append(name)
        if groups["model"] != req.model or not groups["model_shown"]:
            problems.append("model")
        slider = groups.get("slider")
        if slider is not None:
            got["duration"] = slider["value"]
            if slider["value"] != req.duration:
                problems.append("duration (slider)")
        # A group without a row is fixed by the model: it must be what we ask.
        if "resolution" not in groups and offer.resolutions != (req.resolution,):
            problems.append("resolution (no row)")
        if "duration" not in groups and slider is None and offer.durations != (req.duration,):
            problems.append("duration (no row)")
        for name in ("media", "input", "aspect", "count"):
            if name not in groups:
                problems.append(f"{name} (no row)")
        log.debug("settings read back: %s", got)
        return got, problems

    async def _summary_agrees(self, page: Page, req: GenerationRequest) -> None:
        """The closed trigger's summary lags the popover: poll until it agrees."""
        async def ok() -> bool:
            match = await probe(page, "settings_summary", registry=REG)
            if match is None:
                return False
            summary = _norm(await match.locator.evaluate(_TEXT_JS))
            return (re.search(rf"[x×]\s*{req.outputs}\b", summary) is not None
                    and re.search(rf"(?<!\d){req.duration}\s*\D", summary + " ") is not None)
        try:
            await until(ok, self.timeout, "settings summary")
        except NotFound:
            raise SettingsMismatch("the settings summary never showed the chosen duration and count") from None

    # frames ---------------------------------------------------------------------------------------
    async def _chip(self, page: Page, index: int) -> Locator:
        chips = page.locator(S.SELECTORS["frame_chips"][0].value)
        await until(lambda: _count_at_least(chips, 2), self.timeout, "frame chips")
        return chips.nth(index)

    async def _chip_src(self, chip: Locator) -> str | None:
        img = chip.locator(S.CHIP_IMAGE_CSS)
        if not await img.count():
            return None
        return await img.first.get_attribute("src") or ""

    async def _clear_chip(self, page: Page, chip: Locator) -> None:
        for _ in range(3):
            if await self._chip_src(chip) is None:
                return
            box = await chip.bounding_box()
            if box:
                await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            remove = chip.locator(S.CHIP_REMOVE_CSS)
            if await remove.count():
                await remove.first.click(timeout=2000)
            await asyncio.sleep(0.1)
        if await self._chip_src(chip) is not None:
            raise FrameNotBound("a frame chip keeps an old image", code="frame_not_cleared")

    async def _chips(self, page: Page) -> list[dict | None]:
        """What the Start and End chips hold now ({"src", "alt"} or None), in one read."""
        await until(lambda: _count_at_least(page.locator(S.SELECTORS["frame_chips"][0].value), 2),
                    self.timeout, "frame chips")
        return await page.evaluate(_CHIPS_JS, [S.SELECTORS["frame_chips"][0].value, S.CHIP_IMAGE_CSS])

    async def _bind_frames(self, page: Page, frames: list[tuple[str, str]]) -> None:
        """Start (and End) chip hold exactly our uploads; both empty for text-to-video."""
        now = await self._chips(page)
        for index in (0, 1):
            want = frames[index] if index < len(frames) else None
            held = now[index] if index < len(now) else None
            if want is None and held is None or want is not None and _holds(held, *want):
                continue
            chip = await self._chip(page, index)
            await self._clear_chip(page, chip)
            if want is None:
                continue
            await self._pick(page, chip, want[0], want[1])
            held = (await self._chips(page))[index]
            if not _holds(held, *want):
                raise FrameNotBound(f"the {'start' if index == 0 else 'end'} chip does not hold "
                                    f"{want[1]} after picking it ({held!r})")

    async def _pick(self, page: Page, chip: Locator, mid: str, name: str) -> None:
        """Open the picker from `chip`, find `name` (search retries, reopenings), bind it."""
        t = self.timeout
        for opening in range(PICKER_OPENINGS):
            await click(chip, t, REG)
            await find(page, "picker", t, registry=REG)
            option = await self._search(page, name)
            if option is None:
                log.debug("picker: %s not listed (opening %d); reopening", name, opening + 1)
                await self._close_picker(page)
                continue
            ready = partial(_ready, option)
            await until(ready, t, "asset stored (not Uploading…)")
            await click(option, t, REG)
            # Either the click bound it and closed the picker, or it only previews.
            deadline = time.monotonic() + t
            while time.monotonic() < deadline:
                if await _gone(page, "picker"):
                    return
                add = await probe(page, "add_to_prompt", registry=REG)
                if add is not None and await add.locator.is_enabled():
                    await until(ready, t, "asset stored (not Uploading…)")
                    await click(add.locator, t, REG)
                    await until(lambda: _gone(page, "picker"), t, "picker closed")
                    return
                await asyncio.sleep(0.05)
            raise NotFound("picker closing after a pick")
        raise FrameNotBound(f"the picker never listed the upload {name}", code="picker_missing")

    async def _search(self, page: Page, name: str) -> Locator | None:
        t = self.timeout
        options = page.locator(S.SELECTORS["picker_option"][0].value).filter(has_text=name)
        try:
            # The picker lists the library as it opens: a fresh upload is often there already,
            # which saves the search's debounce and round trip.
            await until(partial(_count_at_least, options, 1), 1.0, "picker option")
            return options.first
        except NotFound:
            pass
        for attempt in range(SEARCH_TRIES):
            box = await find(page, "picker_search", t, registry=REG)
            await box.fill(name)
            options = page.locator(S.SELECTORS["picker_option"][0].value).filter(has_text=name)
            try:
                await until(partial(_count_at_least, options, 1), 1.0 + attempt, "picker option")
                return options.first
            except NotFound:
                log.debug("picker search for %s missed (try %d)", name, attempt + 1)
        return None

    async def _close_picker(self, page: Page) -> None:
        for _ in range(3):
            if await _gone(page, "picker"):
                return
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)

    # prompt ----------------------------------------------------------------------------------------
    async def _type_prompt(self, page: Page, prompt: str) -> None:
        """ProseMirror: select all + Backspace clears; insert_text types; Enter would submit."""
        t = self.timeout
        flat = _norm(prompt)
        editor = await find(page, "editor", t, registry=REG)
        await click(editor, t, REG)
        await page.keyboard.press("ControlOrMeta+a")
        await page.keyboard.press("Backspace")
        await page.keyboard.insert_text(flat)

        async def kept() -> bool:
            return _norm(await editor.inner_text()) == flat
        try:
            await until(kept, t, "prompt typed")
        except NotFound:
            raise UnknownPageStateError("the prompt box did not keep the prompt", code="prompt_mismatch") from None

    # money guard -----------------------------------------------------------------------------------
    async def _money_guard(self, page: Page, req: GenerationRequest,
                           frames: list[tuple[str, str]]) -> int:
        """Every check before the one click that spends; returns the live quote."""
        t = self.timeout
        warning = await probe(page, "prompt_warning", registry=REG)
        if warning is not None:
            raise InsufficientCreditsError(_norm(await warning.locator.inner_text()) or "insufficient credits")
        chip = await probe(page, "agent_chip", registry=REG)
        if chip is not None and await chip.locator.get_attribute("aria-pressed") == "true":
            raise UnknownPageStateError("agent mode came back on before the click", code="agent_mode")
        if await probe(page, "agent_prompt_box", registry=REG) is not None:
            raise UnknownPageStateError("the agent composer is showing", code="agent_mode")
        chips = await self._chips(page)
        for index in (0, 1):
            held = chips[index] if index < len(chips) else None
            want = frames[index] if index < len(frames) else None
            if want is None and held is not None:
                raise FrameNotBound(f"{'start' if index == 0 else 'end'} chip holds an image we did not ask for")
            if want is not None and not _holds(held, *want):
                raise FrameNotBound(f"{'start' if index == 0 else 'end'} chip does not hold our image")
        plan = await self._read_plan(page)
        try:
            offer = catalog.offer(req.model, plan)  # type: ignore[arg-type]
            per = catalog.credits_per_output(req.model, plan, req.duration, req.resolution)  # type: ignore[arg-type]
            known = catalog.is_known_price(req.model, plan, req.duration, req.resolution)  # type: ignore[arg-type]
        except catalog.UnknownOffer as err:
            raise SettingsMismatch(str(err)) from err
        quote = await self._quote(page, req, offer)
        caps = [c for c in (req.max_credits, self.settings.max_credits_per_item or None) if c]
        refusal = price_verdict(quote, per * req.outputs, known, min(caps) if caps else None,
                                f"{req.model} {req.duration}s {req.resolution} x{req.outputs} on {plan}")
        if refusal is not None:
            raise refusal
        # Last: the button must be the submit control, not a warning or an agent stop button.
        await find(page, "submit", t, registry=REG)
        return quote

    async def _quote(self, page: Page, req: GenerationRequest, offer: catalog.Offer) -> int:
        """The live price `a.credit-cost-link`: next to the submit button where the page shows
        it there; else the one the settings popover showed for exactly the settings read back
        in this submit (nothing that changes the price happened since, and the closed summary
        was checked again); else the popover is opened for it (and read back once more)."""
        match = await probe(page, "price", registry=REG)
        if match is not None:
            return await self._price_of(match.locator)
        if self._quote_seen is not None:
            await self._summary_agrees(page, req)
            return self._quote_seen
        await self._open_settings(page)
        try:
            got, problems = await self._readback(page, req, offer)
            if problems:
                raise SettingsMismatch(f"settings changed before the click: {got}; wrong: {problems}")
            try:
                link = await find(page, "price", min(self.timeout, 3.0), registry=REG)
            except NotFound:
                raise UnknownPageStateError("no price quote on the page", code="no_quote") from None
            return await self._price_of(link)
        finally:
            await self._close_settings(page)

    async def _price_of(self, link: Locator) -> int:
        deadline = time.monotonic() + min(self.timeout, 3.0)
        while True:
            found = re.search(S.PRICE_RE, await link.inner_text() or "")
            if found:
                return int(re.sub(r"\D", "", found.group(1)))
            if time.monotonic() >= deadline:
                raise UnknownPageStateError("the price quote shows no number", code="no_quote")
            await asyncio.sleep(0.05)

    # --- tiles ---------------------------------------------------------------------------------
    async def statuses(self, page: Page, handle: FlowHandle, *, scan: bool = False,
                       reveal: bool = False) -> dict[str, TileStatus]:
        """From the page's poll replies; where they say nothing of a clip (a reply that could
        not be read), from the grid itself: a finished tile's poster carries its media id, a
        failed tile shows the clip's title."""
        out = {}
        missing = []
        now = time.monotonic()
        for mid in handle.tile_ids:
            seen = self.wire.records.get(mid)
            # A scan does not trust an unfinished state that no poll reply renewed lately.
            stale = seen is not None and scan and seen.record.state not in ("done", "failed") \
                and now - seen.at > POLL_STALE_S
            if seen is not None and seen.record.state != "unknown" and not stale:
                out[mid] = _status(seen.record, handle)
            else:
                missing.append(mid)
        if missing and scan:
            out.update(await self._grid_statuses(page, handle, missing))
        return out

    async def _grid_statuses(self, page: Page, handle: FlowHandle,
                             ids: list[str]) -> dict[str, TileStatus]:
        """States the grid shows for `ids` (those it cannot tell are left out)."""
        try:
            seen = await page.evaluate(_GRID_STATE_JS, {
                "tile": S.TILE_CSS, "attr": S.TILE_ID_JS_ATTR, "error": S.ERROR_TILE_CSS,
                "reason": S.ERROR_REASON_CSS})
        except PlaywrightError:
            return {}
        done = set(seen.get("done") or [])
        failed = {(f.get("title") or ""): f.get("reason") or "" for f in seen.get("failed") or []}
        out = {}
        now = time.monotonic()
        for mid in ids:
            self._grid_read[mid] = now
            if mid in done:
                self._grid_done.add(mid)
                out[mid] = TileStatus(mid, "done", 100, f"{_strip_query(handle.project_url)}/edit/{mid}")
                continue
            title = self.wire.title_of(mid)
            if title and title in failed:
                out[mid] = TileStatus(mid, "failed", None, None, classify_failure(failed[title]))
            elif mid in self.wire.records or mid in self.wire.items:
                # Flow named it (a reply, the listing) and the grid shows it unfinished: still
                # at work; the generation time-out bounds how long. An id Flow never named is
                # left out: the project does not have it (an unknown page state, not pending).
                out[mid] = TileStatus(mid, "pending")
        if out:
            log.info("states read from the grid (the poll replies said nothing of them): %s",
                     {m: st.state for m, st in out.items()})
        return out

    def fresh(self, page: Page, handle: FlowHandle) -> bool:
        """Every clip was reported lately by a poll reply, or (replies unreadable) read from
        the grid lately; else the page is reloaded."""
        now = time.monotonic()
        for mid in handle.tile_ids:
            seen = self.wire.records.get(mid)
            grid = self._grid_read.get(mid)
            if grid is not None and now - grid <= POLL_STALE_S and (
                    seen is None or seen.record.state == "unknown" or seen.at < grid):
                continue
            if seen is None:
                return False
            if seen.record.state not in ("done", "failed") and now - seen.at > POLL_STALE_S:
                return False
        return True

    async def candidates(self, page: Page, prompt: str,
                         request_ids: tuple[str, ...] = ()) -> list[Candidate]:
        """Clips of the open project that belong to a submission of `prompt`: first by the
        client request ids of our clicks (the project listing and submit replies name them),
        then by the prompt the records carry."""
        out: dict[str, Candidate] = {}
        for crid in request_ids:
            for i, mid in enumerate(self._ids_of_request(crid)):
                rec = self.wire.records.get(mid)
                out[mid] = Candidate(mid, (rec.record.created or 0.0) if rec else float(i))
        if out:
            return list(out.values())
        pid = _project_id(page.url)
        want = _norm(prompt)
        for mid, seen in self.wire.records.items():
            r = seen.record
            if r.project_id == pid and _norm(r.prompt or "") == want:
                out[mid] = Candidate(mid, r.created or 0.0)
        return list(out.values())

    # --- Flow's Retry ---------------------------------------------------------------------------
    async def retry(self, page: Page, handle: FlowHandle, tile_id: str) -> Submitted:
        """Click `Retry` on the failed tile `tile_id`. Error tiles carry no media id, so the
        page's own retry request is vetted before it leaves: one for another tile is aborted
        (nothing billed) and the next candidate is tried."""
        t = self.timeout
        seen = self.wire.records.get(tile_id)
        if seen is None or seen.record.state != "failed":
            raise RetryableFlowError("the tile is not shown as failed", code="retry_unavailable")
        title = self.wire.title_of(tile_id)
        await self._scroll_top(page)
        tiles = page.locator(S.TILE_CSS).filter(has=page.locator(S.ERROR_TILE_CSS))
        count = await tiles.count()
        order = [i for i in range(count)
                 if not title or (await tiles.nth(i).get_attribute("aria-label") or "") == title]
        vetoed: list[str] = []

        def retried(request) -> str | None:
            payload = request_payload(request)
            if rpc_of(request.url) != W.OPS or not isinstance(payload, dict):
                return None
            return str(payload.get("mediaId")) if payload.get("op") == "retry" else None

        async def gate(route, request) -> None:
            target = retried(request)
            if target is not None and target != tile_id:
                vetoed.append(target)
                await route.abort()
                return
            await route.continue_()

        await page.route(S.WIRE_GLOB, gate)
        try:
            for i in order:
                tile = tiles.nth(i)
                await tile.scroll_into_view_if_needed()
                button = await find(tile, "tile_retry", t, registry=REG)
                async with page.expect_request(lambda r: retried(r) is not None,
                                               timeout=t * 1000) as info:
                    await click(button, t, REG)
                request = await info.value
                if retried(request) != tile_id:
                    log.debug("Retry of another failed tile vetoed; trying the next one")
                    continue
                submitted_at = time.time()
                response = await request.response()
                if response is None:
                    raise UnknownPageStateError("Retry was clicked but no answer came",
                                                code="outcome_unknown")
                reading = (await self.wire.ingest(response)).reading
                if isinstance(reading, W.Refusal):
                    raise _refusal(reading)
                ids = reading.media_ids if isinstance(reading, W.SubmitReply) else []
                if not ids:
                    raise UnknownPageStateError("the retry reply lists no media", code="outcome_unknown")
                record = seen.record
                proof = {"kind": handle.kind, "frame_media_ids": list(handle.frame_media_ids),
                         "model_key": record.model_key or handle.model_key,
                         "duration": record.duration_s or handle.duration, "count": len(ids)}
                return Submitted(ids, submitted_at, proof)
        finally:
            await page.unroute(S.WIRE_GLOB, gate)
        raise RetryableFlowError(f"no Retry on the page belongs to {tile_id} "
                                 f"({len(vetoed)} other tile(s) vetoed)", code="retry_unavailable")

    # --- download ------------------------------------------------------------------------------
    async def download(self, page: Page, handle: FlowHandle, tile_id: str, dest: Path,
                       size: str, ffprobe_bin: str) -> Path:
        seen = self.wire.records.get(tile_id)
        if seen is not None and seen.record.state not in ("done", "unknown") \
                and tile_id not in self._grid_done:
            raise DownloadIncompleteError(f"tile is {seen.record.state}, not done")
        seconds = (seen.record.duration_s if seen else None) or handle.duration
        wait = self.timeout if size == "720p" else self.settings.upscale_1080_timeout_s
        found = False
        for attempt in range(3):
            await self._scroll_top(page)
            found = await page.evaluate(_REVEAL_JS, {"grid": S.GRID_CSS, "tile": S.TILE_CSS,
                                                     "thumb": S.THUMB_CSS, "mid": tile_id})
            if not found:
                break
            tile = page.locator(S.TILE_CSS).filter(
                has=page.locator(f'img[src*="{tile_id}"], video[src*="{tile_id}"]')).first
            try:
                item = await self._tile_menu(page, tile, size)
            except TileGone:
                # The virtualised grid re-rendered (new tiles on top, a poll) and dropped the
                # row it had just revealed: reveal it again.
                log.debug("tile %s left the grid after it was revealed (%d)", tile_id, attempt + 1)
                continue
            return await self._save(page, item, dest, wait, ffprobe_bin, seconds, size)
        if found:
            raise NotFound(f"tile {tile_id} (it leaves the grid each time it is revealed)")
        # No tile carries the id (opaque thumbnails after a reload): the clip's edit view.
        log.debug("tile %s not matched in the grid; using its edit view", tile_id)
        side = await page.context.new_page()
        self.wire.attach(side)
        try:
            pid = _project_id(handle.project_url)
            base = _strip_query(handle.project_url).split(PROJECT_PATH)[0]
            await side.goto(self.url(f"{base}{PROJECT_PATH}{pid}/edit/{tile_id}"),
                            wait_until="domcontentloaded")
            await self.ensure_page_ok(side)
            await self.dismiss_overlays(side)
            button = await find(side, "download_media", self.timeout, registry=REG)
            await click(button, self.timeout, REG)
            item = await self._size_item(side, size)
            return await self._save(side, item, dest, wait, ffprobe_bin, seconds, size)
        finally:
            await side.close()

    async def _tile_menu(self, page: Page, tile: Locator, size: str) -> Locator:
        """A real mouse move onto the tile reveals its toolbar (`hover()` does not). The point
        must hit the tile itself: the composer and the top bar float over the grid."""
        t = self.timeout
        for attempt in range(6):
            try:
                point = await tile.evaluate(_POINT_JS, timeout=TILE_GONE_MS)
            except PlaywrightTimeoutError as err:
                raise TileGone("tile (it left the virtualised grid)") from err
            if point is None:
                await tile.evaluate("(el, start) => el.scrollIntoView({block: start ? 'start' : 'center'})",
                                    attempt % 2 == 1)
                await asyncio.sleep(0.1)
                continue
            x, y = point
            await page.mouse.move(x - 12, y - 9)
            await page.mouse.move(x, y, steps=4)
            try:
                more = await find(tile, "tile_more", 1.0, registry=REG)
            except NotFound:
                # A modal that opened late takes the pointer: no hotbar. Close it, move again.
                await clear_popups(page, registry=REG)
                continue
            await click(more, t, REG)
            return await self._size_item(page, size)
        raise NotFound("tile_more")

    async def _size_item(self, page: Page, size: str) -> Locator:
        t = self.timeout
        first = await find_any(page, ["menu_download", "menu_items"], t, REG)
        if first.key == "menu_download":
            await click(first.locator, t, REG)
        items = page.locator(S.MENUITEM_CSS).filter(has_text=re.compile(rf"(?<!\d){re.escape(size)}\b", re.I))
        await until(lambda: _count_at_least(items, 1), t, f"menu item {size}")
        item = items.first
        if await item.is_disabled():
            await page.keyboard.press("Escape")
            raise FinalFlowError(f"{size} is not offered on this account", code="size_unavailable")
        return item

    async def _save(self, page: Page, item: Locator, dest: Path, wait: float, ffprobe_bin: str,
                    seconds, size: str) -> Path:
        """Click the size item, save the download to a temp name, verify, rename to `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        refused: asyncio.Future = asyncio.get_running_loop().create_future()

        async def on_response(resp: Response) -> None:
            # Flow may refuse its own upscale (FLOW_2026 Dec. 7: "unusual activity" on 1080p):
            # say so at once instead of waiting out the upscale time-out.
            if rpc_of(resp.url) == W.UPSCALE and not refused.done():
                try:
                    reading = (await self.wire.ingest(resp)).reading
                except PlaywrightError:
                    return
                if isinstance(reading, W.Refusal) and not refused.done():
                    refused.set_result(reading)

        arrived: asyncio.Future | None = None
        if size != "720p":
            page.on("response", on_response)
        try:
            try:
                arrived = asyncio.ensure_future(page.wait_for_event("download", timeout=wait * 1000))
                await click(item, self.timeout, REG)
                done, _ = await asyncio.wait({arrived, refused}, return_when=asyncio.FIRST_COMPLETED)
                if refused in done:
                    arrived.cancel()
                    why = refused.result()
                    await page.keyboard.press("Escape")
                    raise RetryableFlowError(
                        f"Flow refused its {size} upscale: {why.message or why.reason or why.status}",
                        code="upscale_refused")
                download = arrived.result()
            except PlaywrightTimeoutError:
                await page.keyboard.press("Escape")
                if size != "720p":
                    raise RetryableFlowError(
                        f"Flow's {size} upscale did not arrive within {wait:.0f} s",
                        code="upscale_timeout") from None
                raise DownloadIncompleteError("the download never started") from None
            failure = await download.failure()
            if failure:
                raise DownloadIncompleteError(f"download failed: {failure}")
            await download.save_as(str(tmp))
            await verify_clip(tmp, ffprobe_bin, float(seconds) if seconds else None)
            tmp.replace(dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            if size != "720p":
                page.remove_listener("response", on_response)
            if arrived is not None and not arrived.done():
                arrived.cancel()
        log.debug("downloaded %s %s (%d bytes)", size, dest.name, dest.stat().st_size)
        return dest


# --- helpers ----------------------------------------------------------------------------------
def billing_proof(sent: W.SubmitRequest, records, req: GenerationRequest,
                  frame_ids: list[str]) -> dict:
    """What the page's submit billed, and `mismatch` (text) where it is not `req`.

    Compared with what we asked: the kind (by rpc id and by each model key's grammar), the
    family and Veo tier of every key (request and records), the duration (the record's, else the
    key's), the resolution (the key's; none named = 720p), the count of outputs (requests and
    records), the input media in order and, where the records name them, their roles. A key of a
    known family with tokens we do not know passes with a warning; an unknown family is a
    mismatch.
    """
    records = tuple(records or ())
    keys = list(sent.model_keys) + [r.model_key for r in records if r.model_key]
    first = records[0] if records else None
    key = (first.model_key if first else None) or sent.model_key
    parsed = modelkeys.parse(key)
    duration = (first.duration_s if first else None) or parsed.duration_s
    proof = {
        "kind": sent.kind, "frame_media_ids": sent.frame_media_ids, "model_key": key,
        "duration": duration, "count": sent.count, "resolution": parsed.resolution or "720p",
        "family": parsed.family, "client_request_id": sent.client_request_id,
    }
    problems = []
    if sent.unreadable:
        problems.append(f"the submit request could not be read ({sent.unreadable})")
    if sent.kind != req.kind:
        problems.append(f"{sent.kind} instead of {req.kind}")
    if sent.frame_media_ids != list(frame_ids):
        problems.append(f"frames {sent.frame_media_ids} instead of {list(frame_ids)}")
    if sent.count != req.outputs or (records and len(records) != req.outputs):
        problems.append(f"{max(sent.count, len(records))} outputs instead of {req.outputs}")
    family, tier = modelkeys.family_of_model(req.model)
    lower = "lower priority" in req.model.lower()
    for k in sorted(set(keys)):
        mk = modelkeys.parse(k)
        wrong = (mk.family is None or mk.family != family or mk.kind != req.kind
                 or (mk.tier is not None and tier is not None and mk.tier != tier)
                 or mk.low_priority != lower
                 or (mk.duration_s is not None and mk.duration_s != req.duration)
                 or (mk.resolution or "720p") != req.resolution)
        if wrong:
            problems.append(f"model key {k!r} for {req.model} {req.kind} {req.duration}s {req.resolution}")
        elif mk.unknown_tokens:
            log.warning("model key %r has tokens the grammar does not know %s; accepted as %s",
                        k, list(mk.unknown_tokens), mk.family)
    if duration is not None and duration != req.duration:
        problems.append(f"{duration} s instead of {req.duration} s")
    want_roles = {"t2v": [], "i2v": ["start"], "interpolation": ["start", "end"]}.get(req.kind, [])
    known_roles = set(W.INPUT_ROLES.values())
    for r in records:
        wrong_ids = [i.media_id for i in r.inputs] != list(frame_ids)
        wrong_roles = [(i.role, want) for i, want in zip(r.inputs, want_roles, strict=False)
                       if i.role in known_roles and i.role != want]
        if wrong_ids or wrong_roles:
            problems.append(f"inputs {[(i.media_id, i.role) for i in r.inputs]} instead of "
                            f"{list(zip(frame_ids, want_roles, strict=False))}")
            break
        odd = [i.role for i in r.inputs if i.role not in known_roles]
        if odd:
            log.warning("input roles %s are not known (the media ids match)", odd)
    if problems:
        proof["mismatch"] = "; ".join(problems)
    return proof


def price_verdict(quote: int, expected: int, known: bool, cap: int | None,
                  what: str = "this request") -> FlowError | None:
    """The money guard's price rule; None = the quote may be spent.

    Above the item's cap → `OverCapError` (final for the item). A measured price (`known`) must
    equal the table → else `PriceMismatchError` (pause: the table or Flow changed). A guessed
    price is accepted up to the cap, or up to our guess when no cap is set.
    """
    if cap is not None and quote > cap:
        return OverCapError(f"Flow quotes {quote} credits for {what}, above the cap of {cap}")
    if known and quote != expected:
        return PriceMismatchError(
            f"Flow quotes {quote} credits for {what}; the price table says {expected}")
    if not known and quote > (cap if cap is not None else expected):
        return PriceMismatchError(
            f"Flow quotes {quote} credits for {what}; the table only guesses {expected} "
            "and no cap allows more")
    return None


def _holds(held: dict | None, mid: str, name: str) -> bool:
    """A bound chip holds our upload: its image src carries the media id, or its alt is our
    run-unique file name (the picker DOM has no ids; a chip's thumbnail URL usually does)."""
    if held is None:
        return False
    return mid in (held.get("src") or "") or (held.get("alt") or "") == name


def _num(pattern: str, value: str) -> int | None:
    m = re.match(pattern, value or "")
    return int(m.group(1)) if m else None


def _status(r: W.Record, handle: FlowHandle) -> TileStatus:
    mid = r.media_id
    if r.state == "done":
        video = r.video_url or f"{_strip_query(handle.project_url)}/edit/{mid}"
        return TileStatus(mid, "done", 100, video)
    if r.state == "failed":
        return TileStatus(mid, "failed", r.progress, None, classify_failure(r.error or ""))
    if r.state == "rendering":
        return TileStatus(mid, "running", r.progress)
    return TileStatus(mid, "pending")  # queued (submitted, no slot yet)


def _refusal(reading: W.Refusal) -> FlowError:
    """The error of a refused submit (nothing was billed): by the reason code Flow names, else
    by its status, else by the message text (SPEC §1.2 texts)."""
    code = S.REFUSAL_REASONS.get(reading.reason or "") or S.REFUSAL_STATUSES.get(reading.status or -1)
    text = reading.message or reading.reason or f"status {reading.status}"
    if reading.http_status is not None and reading.http_status >= 500:
        # A server error may come after the work was taken: the outcome is not known.
        return UnknownPageStateError(f"Flow answered the page's submit with HTTP {reading.http_status}",
                                     code="outcome_unknown")
    if reading.http_status == 403:
        return FirewallError(f"Google's front end refused the submit with HTTP 403: {text}")
    if reading.http_status is not None:
        return RetryableFlowError(f"Flow refused the page's submit with HTTP {reading.http_status}",
                                  code="submit_rejected")
    if code == "unusual_activity":
        return UnusualActivityError(text)
    if code == "slots_full":
        return SlotsFullError(text)
    if code == "too_quickly":
        return RateLimitedError(text)
    if code == "credits":
        return InsufficientCreditsError(text)
    if code == "model_denied":
        return ModelNotOfferedError(f"Flow does not offer this model to the account: {text}")
    return classify(text) or RetryableFlowError(text, code=(reading.reason or "refused").lower())


def _upload_refusal(reading: W.Refusal) -> FlowError:
    code = S.UPLOAD_REFUSALS.get(reading.reason or "")
    message = reading.message or reading.reason or f"status {reading.status}"
    if code == "upload_minor":
        return UploadMinorError(message)
    if code == "upload_face":
        return UploadFaceError(message)
    return FinalFlowError(f"Flow refused the image: {message}", code="upload_refused")


async def _gone(page: Page, key: str) -> bool:
    return await probe(page, key, registry=REG) is None


async def _attr_is(loc: Locator, name: str, value: str) -> bool:
    return await loc.get_attribute(name) == value


async def _count_at_least(loc: Locator, n: int) -> bool:
    return await loc.count() >= n


async def _ready(option: Locator) -> bool:
    """An asset option that no longer reads Uploading… (nor a percentage)."""
    words = _norm(await option.evaluate(_TEXT_JS))
    return re.search(S.UPLOADING_RE, words, re.I) is None


async def _settle(read, quiet: float = 0.15, limit: float = 3.0) -> None:
    """Wait until two reads `quiet` seconds apart agree (a re-render finished)."""
    deadline = time.monotonic() + limit
    last = await read()
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = await read()
        if now == last:
            return
        last = now
