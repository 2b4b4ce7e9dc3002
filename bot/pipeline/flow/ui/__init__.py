"""UI generations of Flow: one replaceable module per generation of the page.

Google rewrites Flow every few months. The client (`PlaywrightFlowClient`: the lock, the ledger,
reattach, evidence) stays one; everything that touches the page lives in a `UiGeneration` subclass
with its selectors as data beside it. One generation is living:

* `flow2026/` (a package split by concern; its registry `flow2026/selectors.py`, its wire
  positions `flow2026/wire.py`): flow.google.com, since September 2026.

(The classic labs.google UI before it was retired in September 2026, its address redirecting to
flow.google.com; its driver was removed.)

Each generation implements the same small set of page steps (see `UiGeneration`). `detect()`
recognises a loaded page by structural markers only (custom element tags and icon markup, never
words); a page with none of them is an unknown (drifted) page, never guessed.
A new generation = a new package (or module) + its registry + one line in `GENERATIONS`,
`make()` and `detect()`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.async_api import Page

from bot.pipeline.flow.locate import NotFound

if TYPE_CHECKING:
    from bot.config import FlowSettings
    from bot.pipeline.flow.api import FlowHandle, GenerationRequest, TileStatus
    from bot.pipeline.flow.locate import Sel
    from bot.pipeline.flow.wire import Wire

# Google's sign-in host: where an expired session lands, whichever generation sent it there.
SIGNIN_URL_MARK = "accounts.google.com"

# One evaluate: which generation's structural markers the page carries (None: none of them).
_DETECT_JS = """() => {
  if (document.querySelector('flow-prompt-box, flow-grid-tile-container, mat-icon, '
      + '.header-user-button, flow-agent-panel, flow-creative-agent-prompt-box')) return 'flow2026';
  return null;
}"""


class PageTurn:
    """One operation's turn on the work page (the client's page lock), which the operation may
    hand back early, e.g. while it only waits for Flow's answer to a click, and take again."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self.held = False

    async def take(self) -> None:
        """Wait for the page (a cancelled wait leaves it not held)."""
        if not self.held:
            await self._lock.acquire()
            self.held = True

    def give_back(self) -> None:
        """Let others use the page; a no-op when not held."""
        if self.held:
            self.held = False
            self._lock.release()


@dataclass
class Submitted:
    """What a submit produced: the new tile ids and, where the page tells, the proof of billing."""

    tile_ids: list[str]
    submitted_at: float
    proof: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)


@dataclass
class Candidate:
    """A tile that may belong to an earlier submission (for `find_submission`)."""

    tile_id: str
    order: float  # smaller = earlier output of the same submission


class UiGeneration:
    """The page steps of one UI generation. Subclasses override every method.

    Steps raise `bot.errors` classes or `locate.NotFound` (which the client turns into
    `UnknownPageStateError` with evidence). Nothing is clicked that spends credits except in
    `submit`, and only after every check of the money guard passed.
    """

    name = "base"
    registry: dict[str, list[Sel]] = {}
    # Whether Flow keeps prompts beyond the render slots in a visible queue (queued tiles)
    # instead of refusing them.
    queues = False
    # Whether `submit` gives the page back while Flow answers, so that the next submit may
    # prepare meanwhile (its handle comes from that answer, never from tiles by prompt).
    overlaps_submits = False

    def __init__(self, settings: FlowSettings, wire: Wire | None = None) -> None:
        # Imported here: the listener reads through the living generation's wire positions
        # (`flow2026/wire.py`), so importing it at the top would make `import
        # bot.pipeline.flow.wire` circular.
        from bot.pipeline.flow.wire import Wire

        self.settings = settings
        self.wire = wire if wire is not None else Wire()

    @property
    def timeout(self) -> float:
        return self.settings.step_timeout_s

    def url(self, url: str) -> str:
        """The URL to navigate to (the UI language pinned with `hl=`, FLOW_2026 §1)."""
        return pin_language(url, self.settings.ui_lang)

    def attach(self, page: Page) -> None:
        """Hook listeners on a page the client opened (e.g. the page's own requests)."""

    async def signed_out_reason(self, page: Page) -> str | None:
        raise NotImplementedError

    async def ensure_page_ok(self, page: Page) -> None:
        """Raise `SessionExpiredError` (or another account-level error) for a page we cannot use."""
        raise NotImplementedError

    def check_url(self, page: Page) -> None:
        """Raise at once when the page's address alone shows it unusable (signed out, ...);
        cheap enough for every poll."""

    async def dismiss_overlays(self, page: Page) -> None:
        raise NotImplementedError

    async def create_project(self, page: Page, base_url: str) -> str:
        raise NotImplementedError

    async def goto_project(self, page: Page, project_url: str) -> None:
        raise NotImplementedError

    async def submit(self, page: Page, req: GenerationRequest, before_click,
                     turn: PageTurn | None = None) -> Submitted:
        """Configure, attach frames, type the prompt, guard, click Start; `before_click(ids)`
        receives the tile ids already in the grid right before the click. `turn`: the page
        lock held for this submit; a generation may give it back while it only waits for
        Flow's answer, and must take it again before touching the page."""
        raise NotImplementedError

    async def statuses(self, page: Page, handle: FlowHandle, *, scan: bool = False,
                       reveal: bool = False) -> dict[str, TileStatus]:
        """Status of the handle's tiles the page shows now (missing ids are left out)."""
        raise NotImplementedError

    def fresh(self, page: Page, handle: FlowHandle) -> bool:
        """Whether what `statuses` read can be trusted as current (False: reload the page)."""
        return True

    async def candidates(self, page: Page, prompt: str,
                         request_ids: tuple[str, ...] = ()) -> list[Candidate]:
        """Tiles in the open project of a submission of `prompt` (for reconciling a crash or a
        reply that was missed); `request_ids`: the page's client request ids of our clicks."""
        raise NotImplementedError

    async def download(self, page: Page, handle: FlowHandle, tile_id: str, dest: Path,
                       size: str, ffprobe_bin: str) -> Path:
        raise NotImplementedError

    async def retry(self, page: Page, handle: FlowHandle, tile_id: str) -> Submitted:
        """Flow's own Retry on a failed tile (same project and frame, billed again).

        Raises `RetryableFlowError(code="retry_unavailable")` where the generation cannot: the
        caller then submits the item again the normal way.
        """
        from bot.errors import RetryableFlowError

        raise RetryableFlowError(f"Flow's Retry is not driven on the {self.name} UI",
                                 code="retry_unavailable")

    async def session_info(self, page: Page) -> tuple[int | None, dict]:
        """(credits, extra) read from the signed-in page that `open_home` left open."""
        raise NotImplementedError

    async def open_home(self, page: Page, base_url: str) -> None:
        raise NotImplementedError


def make(name: str, settings: FlowSettings, wire: Wire | None = None) -> UiGeneration:
    """The generation called `name` (one of `GENERATIONS`)."""
    from bot.pipeline.flow.ui.flow2026 import Flow2026Ui

    return {"flow2026": Flow2026Ui}[name](settings, wire)


def pin_language(url: str, lang: str) -> str:
    """`url` with `hl=<lang>` set (unchanged when `lang` is empty: the account's language)."""
    if not lang:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "hl"]
    query.append(("hl", lang))
    return urlunsplit(parts._replace(query=urlencode(query)))


GENERATIONS = ("flow2026",)


async def detect(page: Page, timeout: float) -> str:
    """The generation the loaded page belongs to, waiting up to `timeout` for it to render.

    Signed-out pages count too (Google's sign-in host, flow.google.com's `/about`): the living
    generation tells the session expired there. A page with no generation's markers by then is
    an unknown page (Flow changed beyond the driver): `NotFound`.
    """
    deadline = time.monotonic() + timeout
    while True:
        if "/about" in page.url.split("?", 1)[0][-7:] or "/404" in page.url:
            return "flow2026"
        if SIGNIN_URL_MARK in page.url:
            return "flow2026"
        try:
            found = await page.evaluate(_DETECT_JS)
        except Exception:  # noqa: BLE001 - navigating: try again
            found = None
        if found:
            return found
        if time.monotonic() >= deadline:
            raise NotFound("UI generation markers")
        await asyncio.sleep(0.05)
