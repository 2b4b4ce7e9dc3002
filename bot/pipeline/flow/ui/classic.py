"""The classic Flow UI (labs.google/fx/tools/flow, until September 2026; Feb-2026 fallbacks
included). Its steps live in `steps.py`, `create.py`, `tiles.py` and `download.py`, its selectors
in `bot/pipeline/flow/selectors.py`; this module is the `UiGeneration` face of them.

Only what the classic UI offered is driven: image-to-video with one start frame, 8-second 720p
clips of Veo 3.1 Fast/Quality. Anything else raises `UnsupportedOnClassicError` before a click.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from bot.errors import (
    RetryableFlowError,
    SessionExpiredError,
    UnknownPageStateError,
    UnsupportedOnClassicError,
)
from bot.pipeline.flow import create, steps
from bot.pipeline.flow.api import FlowHandle, GenerationRequest, TileStatus
from bot.pipeline.flow.download import DownloadIncompleteError, open_720p_item, save_download
from bot.pipeline.flow.locate import NotFound, find_any, probe
from bot.pipeline.flow.selectors import SELECTORS, SIGNIN_URL_MARK
from bot.pipeline.flow.tiles import read_tiles, scroll_grid_top, shows_prompt, state_of
from bot.pipeline.flow.ui import Candidate, PageTurn, Submitted, UiGeneration

log = logging.getLogger(__name__)
ALL = "__all_tiles__"  # a tile id that never exists: makes a scan read the whole grid
CLASSIC_MODELS = ("Veo 3.1 - Fast", "Veo 3.1 - Quality", "Veo 2 - Fast")


class ClassicUi(UiGeneration):
    """`UiGeneration` for the classic UI."""

    name = "classic"
    registry = SELECTORS

    async def signed_out_reason(self, page: Page) -> str | None:
        return await steps.signed_out_reason(page)

    async def ensure_page_ok(self, page: Page) -> None:
        await steps.ensure_signed_in(page)

    def check_url(self, page: Page) -> None:
        if SIGNIN_URL_MARK in page.url:
            raise SessionExpiredError(f"redirected to sign-in ({SIGNIN_URL_MARK})")

    async def dismiss_overlays(self, page: Page) -> None:
        await steps.dismiss_popups(page)

    async def open_home(self, page: Page, base_url: str) -> None:
        await page.goto(base_url, wait_until="domcontentloaded")

    async def create_project(self, page: Page, base_url: str) -> str:
        return await steps.create_project(page, base_url, self.timeout)

    async def goto_project(self, page: Page, project_url: str) -> None:
        await steps.goto_project(page, project_url, self.timeout)

    @staticmethod
    def check_supported(req: GenerationRequest) -> None:
        """Refuse, before any click, what the classic UI cannot make."""
        problems = []
        if req.kind != "i2v":
            problems.append(f"{req.kind} (only image-to-video)")
        if req.duration != 8:
            problems.append(f"{req.duration} s (only 8 s)")
        if req.resolution != "720p":
            problems.append(f"{req.resolution} (only 720p)")
        if req.model not in CLASSIC_MODELS:
            problems.append(f"model {req.model}")
        if problems:
            raise UnsupportedOnClassicError(
                "the classic Flow UI cannot make " + ", ".join(problems),
            )

    async def submit(self, page: Page, req: GenerationRequest, before_click,
                     turn: PageTurn | None = None) -> Submitted:
        self.check_supported(req)
        t = self.timeout
        marks = {"page_ready": time.monotonic()}
        await steps.choose_frames_mode(page, t)
        await steps.upload_start_frame(page, Path(req.image_path), t)  # type: ignore[arg-type]
        await steps.apply_settings(page, req.model, req.aspect, req.outputs, t)
        await create.fill_prompt(page, req.prompt, t)
        await scroll_grid_top(page)
        before = set(await read_tiles(page))
        before_click(before)
        await create.mark_toasts(page)
        await create.click_create(page, t)
        submitted_at = time.time()
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
        return Submitted(ids, submitted_at, {}, marks)

    async def statuses(self, page: Page, handle: FlowHandle, *, scan: bool = False,
                       reveal: bool = False) -> dict[str, TileStatus]:
        want = list(handle.tile_ids)
        tiles = await read_tiles(page, want, scan=scan, reveal=reveal)
        out = {}
        for tile_id in want:
            if tile_id in tiles:
                state, percent, video, error = state_of(tiles[tile_id], handle.prompt)
                out[tile_id] = TileStatus(tile_id, state, percent, video, error)
        return out

    async def candidates(self, page: Page, prompt: str,
                         request_ids: tuple[str, ...] = ()) -> list[Candidate]:
        tiles = await read_tiles(page, [ALL], scan=True)
        return [Candidate(t.tile_id, t.index if t.index is not None else 0)
                for t in tiles.values() if shows_prompt(t, prompt)]

    async def download(self, page: Page, handle: FlowHandle, tile_id: str, dest: Path,
                       size: str, ffprobe_bin: str) -> Path:
        if size != "720p":
            # The classic menu's upscale is not driven: the caller falls back to its own upscale.
            raise RetryableFlowError(f"{size} from Flow is not driven on the classic UI",
                                     code="upscale_timeout")
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
        return await save_download(page, item, dest, self.timeout, ffprobe_bin)

    async def session_info(self, page: Page) -> tuple[int | None, dict]:
        # The app renders after its own fetches: wait for something we know first.
        try:
            await find_any(page, ["credits", "new_project", "landing_start"], self.timeout)
        except NotFound:
            pass
        match = await probe(page, "credits")
        if match is None:
            return None, {}
        attr = await match.locator.get_attribute("data-credits")
        text = attr or await match.locator.inner_text()
        digits = "".join(ch for ch in text if ch.isdigit())
        return (int(digits) if digits else None), {}
