"""The submit (FLOW_2026 §7): the steps in order, then one trusted click on Start generation
while listening to the page's own submit request; the handle's tile ids from Flow's reply, and
a reply that was missed or unreadable confirmed from the page (client request id, new clips
with our prompt) before the outcome is called unknown. A refusal names its error class."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from bot.errors import (
    FirewallError,
    FlowError,
    InsufficientCreditsError,
    ModelNotOfferedError,
    RateLimitedError,
    RetryableFlowError,
    SessionExpiredError,
    SlotsFullError,
    UnknownPageStateError,
    UnusualActivityError,
)
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.classify import classify
from bot.pipeline.flow.ledger import upload_key
from bot.pipeline.flow.locate import NotFound, click, find, until
from bot.pipeline.flow.ui import PageTurn, Submitted
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import REG, Flow2026Base, project_id, strip_query
from bot.pipeline.flow.ui.flow2026.composer import FrameNotBound
from bot.pipeline.flow.ui.flow2026.guard import billing_proof
from bot.pipeline.flow.wire import request_payload, rpc_of

log = logging.getLogger(__name__)


# Flow answers a submit 4-5 s after the click (FLOW_2026 §7): allowed on top of the step time-out.
SUBMIT_REPLY_S = 10.0


class SubmitMixin(Flow2026Base):
    """One submission: configure, bind, type, guard, click, read what was billed."""

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
                await self.goto_project(page, strip_query(page.url))
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
        pid = project_id(page.url)
        button = await find(page, "submit", t, registry=REG)
        # Disabled while the page waits for the answer to an earlier submit.
        await until(button.is_enabled, t, "submit (enabled)")
        known = await self._known_ids(page, pid)
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
                await click(button, t, REG, before=lambda: before_click(known))
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
                raise refusal(reading)
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
        if proof["duration"] is None and not records:
            # Confirmed from the grid before any record of the clip arrived, and a Veo key names
            # no length: the duration is the one the settings read back before the paid click.
            proof["duration"] = req.duration
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
        pid = sent.project_id or project_id(page.url)
        for reload in (False, True):
            if reload:
                try:
                    await self.goto_project(page, strip_query(page.url))
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


def refusal(reading: W.Refusal) -> FlowError:
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
