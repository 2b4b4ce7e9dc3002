"""What the gallery page is sent: a batch as JSON (items, clips, states, signed links).

Everything comes from the services the chat uses (`BatchService.get`, `ReviewService`); clip
numbers are the review view's, so "clip 7" means the same clip in the chat and the gallery.
Texts are worded in the user's locale here (the caller sets it), never in the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from bot.clock import Clock
from bot.config import PRESETS, Settings
from bot.services.batches import BatchService, BatchSummary, BatchView
from bot.services.review import ClipMedia, ReviewService
from bot.telegram import texts
from bot.webapp.links import MediaSigner
from bot.webapp.posters import PosterCache

_TAG = re.compile(r"<[^>]+>")
# States in which the page keeps polling: something is still on its way.
_BUSY_ITEMS = ("pending", "queued", "submitting", "generating", "collecting", "paused")
_BUSY_FILES = ("queued", "running")


def plain(text: str) -> str:
    """A chat text (Telegram HTML) as plain text for the page (which never parses HTML)."""
    return unescape(_TAG.sub("", text))


@dataclass
class Gallery:
    """The services and helpers the page's JSON is made from."""

    settings: Settings
    batches: BatchService
    review: ReviewService
    signer: MediaSigner
    posters: PosterCache
    clock: Clock
    store: Any = None  # an R2Store when clips are kept in R2 (presigned links), else None

    async def batch(self, view: BatchView, *, may_act: bool) -> dict[str, Any]:
        """The batch as the page shows it (see the module docstring)."""
        now = self.clock.now()
        numbers = {c.id: c.number for c in await self.review.clips(view.id)}
        images = await self.review.images(view.id)
        media = await self.review.media(view.id)
        clips_of: dict[int, list[dict[str, Any]]] = {}
        ready_paths = []
        for c in view.clips:
            m = media.get(c.id)
            ready = c.status == "ready" and c.path_720 is not None
            if ready:
                ready_paths.append(c.path_720)
            clips_of.setdefault(c.item_id, []).append({
                "id": c.id, "n": numbers.get(c.id), "v": c.variant, "status": c.status,
                "sel": c.selected, "k4": c.status_4k, "hd": c.status_1080,
                "poster": self.signer.sign(c.id, "poster", now=now) if ready else None,
                "video": await self._link(m, "720", now) if ready else None,
            })
        self.posters.warm(ready_paths)  # the first open makes what is missing, in the background
        items = []
        for i in view.items:
            image = images.get(i.id, i.position)
            items.append({
                "id": i.id, "image": image, "again": image != i.position, "prompt": i.prompt,
                "status": i.status, "progress": i.progress,
                "reason": plain(texts.flow_reason(i.reason)) if i.status == "failed" and i.reason else None,
                "can_again": may_act and i.status == "done" and view.status != "cancelled",
                "clips": clips_of.get(i.id, []),
            })
        done = sum(1 for i in view.items if i.status in ("done", "failed", "cancelled"))
        live = (view.status in ("draft", "running")
                or any(i.status in _BUSY_ITEMS for i in view.items)
                or any(c.status_4k in _BUSY_FILES or c.status_1080 in _BUSY_FILES for c in view.clips)
                or any(e.status in ("queued", "running") for e in view.exports))
        return {
            "id": view.id, "status": view.status, "title": view.title, "aspect": view.aspect,
            "duration": view.duration, "model": view.model, "total": view.total, "done": done,
            "failed": view.counts.get("failed", 0), "live": live, "may_act": may_act,
            "status_label": texts.CARD_STATUS.get(view.status, view.status),
            "presets": [{"id": p, "label": texts.preset_label(p)} for p in PRESETS],
            "items": items,
        }

    async def _link(self, media: ClipMedia | None, kind: str, now: float) -> str | None:
        if media is None or kind not in media.paths:
            return None
        key = media.keys.get(kind)
        if self.store is not None and key:
            url = await self.store.presign(key, self.signer.ttl_s)
            if url:
                return url
        return self.signer.sign(media.clip_id, kind, now=now)


def summaries(rows: list[BatchSummary]) -> list[dict[str, Any]]:
    """/api/batches: the user's recent batches, newest first (drafts have nothing to show)."""
    return [{"id": b.id, "status": b.status, "total": b.total, "done": b.done, "failed": b.failed,
             "title": b.title, "created_at": b.created_at,
             "status_label": texts.CARD_STATUS.get(b.status, b.status)}
            for b in rows if b.status != "draft"]


def page_texts() -> dict[str, str]:
    """The page's words in the current locale."""
    return texts.GALLERY_PAGE
