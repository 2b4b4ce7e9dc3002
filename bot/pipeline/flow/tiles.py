"""Reading the tile grid: one JavaScript call per look, and what each tile means.

The grid is virtualised (only tiles near the viewport exist in the DOM). A look first reads the
rendered tiles; only when a wanted tile id is missing does it scroll the grid's scroll container
from the top in steps of most of a screen, reading after each frame, then puts the scroll position
back. New tiles appear at the top (newest first), so the common case never scrolls. When even the
scan misses a tile, the caller reloads the project page once and scans again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Page

from bot.pipeline.flow.classify import classify_failure
from bot.pipeline.flow.selectors import PERCENT_RE, SELECTORS, TILE_MARKERS

_READ_JS = r"""
async ({tileSel, wrapSel, want, scan, reveal, top}) => {
  const textOf = (el) => {
    // Visible words without icon ligatures (they are data, not text).
    const out = [];
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement && n.parentElement.closest('i.google-symbols, script, style')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    while (walk.nextNode()) { const t = walk.currentNode.textContent.trim(); if (t) out.push(t); }
    return out.join(' ');
  };
  const read = (acc) => {
    for (const t of document.querySelectorAll(tileSel)) {
      const w = t.closest(wrapSel);
      const v = t.querySelector('video');
      acc[t.getAttribute('data-tile-id')] = {
        id: t.getAttribute('data-tile-id'),
        index: w ? Number(w.getAttribute('data-index')) : null,
        text: textOf(t),
        icons: [...t.querySelectorAll('i.google-symbols')].map((i) => i.textContent.trim()),
        video: v ? (v.src || v.currentSrc || null) : null,
      };
    }
    return acc;
  };
  const scroller = () => {
    const first = document.querySelector(wrapSel) || document.querySelector(tileSel);
    let sc = first ? first.parentElement : null;
    while (sc && sc !== document.body && sc !== document.documentElement) {
      const s = getComputedStyle(sc);
      if (/(auto|scroll)/.test(s.overflowY) && sc.scrollHeight > sc.clientHeight) return sc;
      sc = sc.parentElement;
    }
    return document.scrollingElement;
  };
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)));
  if (top) {
    const sc = scroller();
    if (sc.scrollTop > 0) { sc.scrollTop = 0; await frame(); }
    return {tiles: [], scanned: false};
  }
  const found = read({});
  const missing = () => want.some((id) => !(id in found));
  if (!scan || !missing()) return {tiles: Object.values(found), scanned: false};
  const sc = scroller();
  const start = sc.scrollTop;
  const step = Math.max(120, sc.clientHeight * 0.8);
  sc.scrollTop = 0; await frame(); read(found);
  let guard = 0;
  while (missing() && sc.scrollTop + sc.clientHeight < sc.scrollHeight - 1 && guard++ < 500) {
    sc.scrollTop = sc.scrollTop + step; await frame(); read(found);
  }
  if (!(reveal && !missing())) { sc.scrollTop = start; await frame(); }
  return {tiles: Object.values(found), scanned: true};
}
"""


@dataclass(frozen=True)
class RawTile:
    """A tile as the DOM shows it (text without icon ligatures)."""

    tile_id: str
    index: int | None
    text: str
    icons: tuple[str, ...]
    video: str | None


def _norm(s: str) -> str:
    return " ".join(s.split())


def _args(want, scan: bool, reveal: bool, top: bool) -> dict:
    return {
        "tileSel": SELECTORS["tile"][0].value,
        "wrapSel": SELECTORS["tile_wrapper"][0].value,
        "want": list(want or []),
        "scan": scan,
        "reveal": reveal,
        "top": top,
    }


async def scroll_grid_top(page: Page) -> None:
    """Scroll the grid to its top, where new tiles appear (so they are rendered to be read)."""
    await page.evaluate(_READ_JS, _args(None, False, False, True))


async def read_tiles(
    page: Page, want: list[str] | None = None, *, scan: bool = False, reveal: bool = False
) -> dict[str, RawTile]:
    """Tiles in the DOM now; with `scan`, also those of `want` found by scrolling the grid
    (with `reveal`, the grid stays scrolled to where they were found)."""
    result = await page.evaluate(_READ_JS, _args(want, scan, reveal, False))
    return {
        t["id"]: RawTile(t["id"], t["index"], t["text"], tuple(t["icons"]), t["video"])
        for t in result["tiles"]
    }


def shows_prompt(tile: RawTile, prompt: str) -> bool:
    """Whether the tile is one of `prompt`'s outputs (long prompts may be cut in the tile)."""
    return _norm(prompt)[:80] in _norm(tile.text)


def state_of(tile: RawTile, prompt: str = ""):
    """(state, percent, video_url, error) of a tile; the prompt is removed before reading words
    so that a prompt saying "failed" or "50%" cannot be mistaken for the tile's status."""
    words = _norm(tile.text).replace(_norm(prompt), " ") if prompt else _norm(tile.text)
    failed = re.search(TILE_MARKERS["failed_text"], words, re.I) or TILE_MARKERS["retry_icon"] in tile.icons
    pct_match = re.search(PERCENT_RE, words)
    percent = int(pct_match.group(1)) if pct_match else None
    if failed:
        reason = re.sub(TILE_MARKERS["strip_from_reason"], " ", words, flags=re.I)
        return "failed", percent, None, classify_failure(reason)
    if tile.video:
        return "done", 100, tile.video, None
    if percent is not None or TILE_MARKERS["spinner_icon"] in tile.icons:
        return "running", percent, None, None
    return "pending", None, None, None
