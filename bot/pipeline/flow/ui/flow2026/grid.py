"""Tile states (FLOW_2026 §8): from the page's own poll replies (per media id, exact and
locale-free), and where those say nothing of a clip, from the grid itself (the grid fallback:
a finished tile's poster carries its media id, a failed tile shows the clip's title); when a
page's reading is stale; and which clips belong to a submission whose answer was missed."""

from __future__ import annotations

import logging
import time

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from bot.pipeline.flow.api import FlowHandle, TileStatus
from bot.pipeline.flow.classify import classify_failure
from bot.pipeline.flow.ui import Candidate
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import Flow2026Base, norm, project_id, strip_query

log = logging.getLogger(__name__)


# An unfinished tile whose last poll reply is older than this is not trusted (reload the page).
POLL_STALE_S = 20.0


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


class GridMixin(Flow2026Base):
    """Reading tile states and a submission's clips."""

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
                out[mid] = TileStatus(mid, "done", 100, f"{strip_query(handle.project_url)}/edit/{mid}")
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
        pid = project_id(page.url)
        want = norm(prompt)
        for mid, seen in self.wire.records.items():
            r = seen.record
            if r.project_id == pid and norm(r.prompt or "") == want:
                out[mid] = Candidate(mid, r.created or 0.0)
        return list(out.values())

    def _ids_of_request(self, client_request_id: str | None) -> list[str]:
        if not client_request_id:
            return []
        return list(self.wire.by_request.get(client_request_id) or [])


def _status(r: W.Record, handle: FlowHandle) -> TileStatus:
    mid = r.media_id
    if r.state == "done":
        video = r.video_url or f"{strip_query(handle.project_url)}/edit/{mid}"
        return TileStatus(mid, "done", 100, video)
    if r.state == "failed":
        return TileStatus(mid, "failed", r.progress, None, classify_failure(r.error or ""))
    if r.state == "rendering":
        return TileStatus(mid, "running", r.progress)
    return TileStatus(mid, "pending")  # queued (submitted, no slot yet)
