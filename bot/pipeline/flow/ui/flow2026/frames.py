"""Start and end frames (FLOW_2026 §6): the upload into the project's library under a
run-unique name (the rights dialog, refusals, a lost reply looked up in the library), and the
binding of a stored upload to its chip from the library picker."""

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

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Response

from bot.errors import (
    FinalFlowError,
    FlowError,
    RetryableFlowError,
    UnknownPageStateError,
    UploadFaceError,
    UploadMinorError,
    UploadTermsError,
)
from bot.pipeline.flow.locate import NotFound, click, find, probe, until
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import (
    REG,
    TEXT_JS,
    Flow2026Base,
    count_at_least,
    gone,
    norm,
    strip_query,
)
from bot.pipeline.flow.ui.flow2026.composer import FrameNotBound, holds
from bot.pipeline.flow.wire import rpc_of

log = logging.getLogger(__name__)


SEARCH_TRIES = 3       # picker searches per opening (FLOW_2026 §6: search is server-side, lags)


PICKER_OPENINGS = 5    # picker reopenings before giving up


class FramesMixin(Flow2026Base):
    """Uploads into the library, and the picker that binds them to the frame chips."""

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
                await self.goto_project(page, strip_query(page.url))
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
            await until(lambda: gone(page, "consent_dialog"), t, "rights dialog closed")
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

    async def _bind_frames(self, page: Page, frames: list[tuple[str, str]]) -> None:
        """Start (and End) chip hold exactly our uploads; both empty for text-to-video."""
        now = await self._chips(page)
        for index in (0, 1):
            want = frames[index] if index < len(frames) else None
            held = now[index] if index < len(now) else None
            if want is None and held is None or want is not None and holds(held, *want):
                continue
            chip = await self._chip(page, index)
            await self._clear_chip(page, chip)
            if want is None:
                continue
            await self._pick(page, chip, want[0], want[1])
            held = (await self._chips(page))[index]
            if not holds(held, *want):
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
                if await gone(page, "picker"):
                    return
                add = await probe(page, "add_to_prompt", registry=REG)
                if add is not None and await add.locator.is_enabled():
                    await until(ready, t, "asset stored (not Uploading…)")
                    await click(add.locator, t, REG)
                    await until(lambda: gone(page, "picker"), t, "picker closed")
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
            await until(partial(count_at_least, options, 1), 1.0, "picker option")
            return options.first
        except NotFound:
            pass
        for attempt in range(SEARCH_TRIES):
            box = await find(page, "picker_search", t, registry=REG)
            await box.fill(name)
            options = page.locator(S.SELECTORS["picker_option"][0].value).filter(has_text=name)
            try:
                await until(partial(count_at_least, options, 1), 1.0 + attempt, "picker option")
                return options.first
            except NotFound:
                log.debug("picker search for %s missed (try %d)", name, attempt + 1)
        return None

    async def _close_picker(self, page: Page) -> None:
        for _ in range(3):
            if await gone(page, "picker"):
                return
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)


def _upload_refusal(reading: W.Refusal) -> FlowError:
    code = S.UPLOAD_REFUSALS.get(reading.reason or "")
    message = reading.message or reading.reason or f"status {reading.status}"
    if code == "upload_minor":
        return UploadMinorError(message)
    if code == "upload_face":
        return UploadFaceError(message)
    return FinalFlowError(f"Flow refused the image: {message}", code="upload_refused")


async def _ready(option: Locator) -> bool:
    """An asset option that no longer reads Uploading… (nor a percentage)."""
    words = norm(await option.evaluate(TEXT_JS))
    return re.search(S.UPLOADING_RE, words, re.I) is None
