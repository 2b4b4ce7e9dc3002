"""Downloads (FLOW_2026 §9): the grid tile whose thumbnail carries the media id, revealed by a
real mouse move (`More options → Download → size`); when no tile can be matched (opaque
`/asb/` thumbnails after a reload) the clip's edit view (`Download media`). 1080p and 4K are
Flow's own upscales, refused or late in their own ways; every file is verified before it
takes its name."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from bot.errors import DownloadIncompleteError, FinalFlowError, RetryableFlowError
from bot.pipeline.flow.api import FlowHandle
from bot.pipeline.flow.locate import (
    NotFound,
    clear_popups,
    click,
    find,
    find_any,
    pointer_away,
    until,
)
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import (
    PROJECT_PATH,
    REG,
    Flow2026Base,
    count_at_least,
    project_id,
    strip_query,
)
from bot.pipeline.flow.wire import rpc_of
from bot.pipeline.probe import verify_clip

log = logging.getLogger(__name__)


class TileGone(NotFound):
    """A revealed tile is no longer in the virtualised grid."""


# How long a tile just revealed may take to be found again before it counts as gone.
TILE_GONE_MS = 1500


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


class DownloadMixin(Flow2026Base):
    """One clip's file, at a size Flow offers."""

    async def download(self, page: Page, handle: FlowHandle, tile_id: str, dest: Path,
                       size: str, ffprobe_bin: str) -> Path:
        """Save clip `tile_id` at `size` ("720p", "1080p", "4K") to `dest`, verified with
        ffprobe: from its grid tile, else from the clip's edit view."""
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
            try:
                return await self._save(page, item, dest, wait, ffprobe_bin, seconds, size)
            finally:
                await pointer_away(page)
        if found:
            raise NotFound(f"tile {tile_id} (it leaves the grid each time it is revealed)")
        # No tile carries the id (opaque thumbnails after a reload): the clip's edit view.
        log.debug("tile %s not matched in the grid; using its edit view", tile_id)
        side = await page.context.new_page()
        self.wire.attach(side)
        try:
            pid = project_id(handle.project_url)
            base = strip_query(handle.project_url).split(PROJECT_PATH)[0]
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
        await until(lambda: count_at_least(items, 1), t, f"menu item {size}")
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
