"""What every part of the flow.google.com driver shares: the state of one `Flow2026Ui`
(`Flow2026Base`, which each concern's mixin extends) and the small page helpers used by more
than one concern. Imports nothing else of this package but the data modules."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Locator, Page

from bot.pipeline.flow.locate import probe
from bot.pipeline.flow.ui import UiGeneration
from bot.pipeline.flow.ui.flow2026 import selectors as S

REG = S.SELECTORS
PROJECT_PATH = "/project/"


# An element's visible words without its icon ligatures.
TEXT_JS = """(el) => {
  const out = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement && n.parentElement.closest('mat-icon')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walk.nextNode()) { const t = walk.currentNode.textContent.trim(); if (t) out.push(t); }
  return out.join(' ');
}"""


class Flow2026Base(UiGeneration):
    """The state one driver of flow.google.com keeps between steps; the mixins of this
    package (pages, composer, settings, frames, guard, submit, retry, grid, download) extend it
    and call each other's steps through `self` (composed in `generation.Flow2026Ui`)."""

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


def norm(s: str) -> str:
    """`s` with its runs of whitespace made one space (the page's words as compared)."""
    return " ".join((s or "").split())


def project_id(url: str) -> str | None:
    """The project id in a Flow address (`/project/<id>/…`), None elsewhere."""
    path = urlsplit(url).path
    if PROJECT_PATH not in path:
        return None
    return path.split(PROJECT_PATH, 1)[1].split("/", 1)[0] or None


def strip_query(url: str) -> str:
    """`url` without its query and fragment (a project's address as the ledger keeps it)."""
    return url.split("?", 1)[0].split("#", 1)[0]


async def gone(page: Page, key: str) -> bool:
    """Whether no fallback of the registry's `key` matches now (an overlay closed)."""
    return await probe(page, key, registry=REG) is None


async def attr_is(loc: Locator, name: str, value: str) -> bool:
    """Whether `loc`'s attribute `name` reads `value` now (for `until`)."""
    return await loc.get_attribute(name) == value


async def count_at_least(loc: Locator, n: int) -> bool:
    """Whether `loc` matches at least `n` elements now (for `until`)."""
    return await loc.count() >= n
