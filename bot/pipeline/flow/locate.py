"""SELECTORS ARE DATA: a registry maps each UI element to ordered fallbacks (`Sel`); this module
resolves them to Playwright locators, trying the fallbacks in order. The living registry is
`ui/flow2026/selectors.py` (the default wherever no registry is passed).

`find()` polls every fallback with a cheap `count()` (no auto-wait per alternative) until one
has a visible match or the deadline passes, so a missing primary selector costs one round-trip,
not a full timeout. Which fallback matched is logged, and a non-primary match is logged once as
a warning: it is the earliest sign of UI drift.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

log = logging.getLogger(__name__)
_warned: set[tuple[str, int]] = set()

Scope = Page | Locator
Kind = Literal["role", "css", "icon", "text"]


@dataclass(frozen=True)
class Sel:
    """One way to find an element.

    kind "role": `role` + `name` regex; "css": a CSS (or `xpath=`) selector in `value`; "icon":
    a button-like element containing the ligature `value` (a `mat-icon` or `i.google-symbols`);
    "text": an element whose text matches regex `value`. `has` narrows any kind to elements
    whose text matches that regex (for comboboxes, which have no accessible name from their
    content).
    """

    kind: Kind
    value: str = ""
    role: str = ""
    name: str = ""
    has: str = ""

    def describe(self) -> str:
        base = f"role={self.role} name=/{self.name}/" if self.kind == "role" else f"{self.kind}={self.value}"
        return base + (f" has-text=/{self.has}/" if self.has else "")


def role(role_: str, name: str = "", *, has: str = "") -> Sel:
    return Sel("role", role=role_, name=name, has=has)


def css(value: str, *, has: str = "") -> Sel:
    return Sel("css", value, has=has)


def icon(ligature: str) -> Sel:
    return Sel("icon", ligature)


def text(pattern: str) -> Sel:
    return Sel("text", pattern)


Registry = dict[str, list[Sel]]


def _registry(registry: Registry | None) -> Registry:
    """`registry`, or the living UI's own (flow.google.com) when none is given."""
    if registry is not None:
        return registry
    from bot.pipeline.flow.ui.flow2026.selectors import SELECTORS

    return SELECTORS


class NotFound(LookupError):
    """No fallback of an element matched within the time given."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no selector matched for {key!r}")
        self.key = key


@dataclass(frozen=True)
class Match:
    key: str
    index: int
    sel: Sel
    locator: Locator


def build(scope: Scope, sel: Sel) -> Locator:
    """The Playwright locator for one fallback."""
    loc = _base(scope, sel)
    return loc.filter(has_text=re.compile(sel.has, re.I)) if sel.has else loc


def _base(scope: Scope, sel: Sel) -> Locator:
    if sel.kind == "role":
        if sel.name:
            return scope.get_by_role(sel.role, name=re.compile(sel.name, re.I))  # type: ignore[arg-type]
        return scope.get_by_role(sel.role)  # type: ignore[arg-type]
    if sel.kind == "css":
        return scope.locator(sel.value)
    if sel.kind == "icon":
        return scope.locator(
            "xpath=.//*[self::button or self::a or @role='button' or @role='option'"
            " or @role='menuitem' or @role='radio'][.//*[(self::i and contains(concat(' ', @class,"
            " ' '), ' google-symbols ')) or self::mat-icon]"
            f"[normalize-space()='{sel.value}']]"
        )
    return scope.get_by_text(re.compile(sel.value, re.I))


async def _first_visible(loc: Locator) -> Locator | None:
    # One round-trip: count only the visible matches.
    visible = loc.filter(visible=True)
    return visible.first if await visible.count() else None


async def _pass(scope: Scope, key: str, sels, visible: bool) -> Match | None:
    for index, sel in sels:
        loc = build(scope, sel)
        try:
            hit = await _first_visible(loc) if visible else (loc.first if await loc.count() else None)
        except Exception as err:  # noqa: BLE001 - a malformed/unsupported selector is a non-match
            log.debug("selector %s #%d failed: %s", key, index, err)
            continue
        if hit is not None:
            return Match(key, index, sel, hit)
    return None


async def probe(scope: Scope, key: str, *, visible: bool = True,
                registry: dict[str, list[Sel]] | None = None) -> Match | None:
    """One pass over the fallbacks of `key` (in `registry`, default the living UI's); the first
    that matches now, or None."""
    sels = list(enumerate(_registry(registry)[key]))
    match = await _pass(scope, key, sels, visible)
    if match is not None and match.index:
        # The page may have rendered between two alternatives: ask the better ones again
        # before calling it drift.
        match = await _pass(scope, key, sels[: match.index], visible) or match
        if match.index and (key, match.index) not in _warned:
            _warned.add((key, match.index))
            log.warning("UI drift: %s matched fallback #%d (%s)", key, match.index,
                        match.sel.describe())
    return match


async def find(scope: Scope, key: str, timeout: float, *, visible: bool = True,
               registry: dict[str, list[Sel]] | None = None) -> Locator:
    """The first matching fallback of `key`, waiting up to `timeout` seconds; `NotFound` else."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        match = await probe(scope, key, visible=visible, registry=registry)
        if match is not None:
            log.debug("found %s via #%d %s", key, match.index, match.sel.describe())
            return match.locator
        if time.monotonic() >= deadline:
            raise NotFound(key)
        await _clear_popup(scope, key, registry)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


async def _clear_popup(scope: Scope, key: str, registry: dict[str, list[Sel]] | None = None) -> None:
    """A welcome/promo popup may cover what we look for: close it (it can open late)."""
    if key != "popup_dismiss":
        await clear_popups(scope, registry=registry)


async def clear_popups(scope: Scope, rounds: int = 3,
                       registry: dict[str, list[Sel]] | None = None) -> int:
    """Close welcome/promo popups, topmost first (they can stack: a late promo over the
    welcome dialog); returns how many were closed."""
    closed = 0
    for _ in range(rounds):
        candidates: list[Locator] = []
        for sel in _registry(registry).get("popup_dismiss", []):
            loc = build(scope, sel).filter(visible=True)
            try:
                candidates += [loc.nth(i) for i in range(min(await loc.count(), 4))]
            except Exception:  # noqa: BLE001 - a selector the page cannot run is a non-match
                continue
        for candidate in candidates:
            if await click_if_on_top(candidate):
                closed += 1
                log.debug("closed a popup")
                break
        else:
            return closed
    return closed


async def click(loc: Locator, timeout: float,
                registry: dict[str, list[Sel]] | None = None,
                before: Callable[[], None] | None = None) -> None:
    """Click; if something covers the target (a popup that opened late), close the popup first.

    The short first look is a trial (actionability only, nothing clicked): a real click that
    ran out of a short time-out may still have landed (a busy page acknowledges the press
    late), and clicking again then pressed the target twice, e.g. a menu trigger whose menu
    had opened and whose backdrop took the second click.

    `before` runs after the trial and popups, right before the real click is sent: a record
    that must precede a paid click is then written as late as it can be, so a crash between
    the two (a click of unknown fate, held for an admin) has the smallest window.

    Popups are looked for again while the target stays covered (for half the time-out): on a
    loaded machine the first look can find the popup's own button not clickable yet."""
    looks_until = time.monotonic() + timeout / 2
    while True:
        try:
            await loc.click(trial=True, timeout=min(800, timeout * 1000))
            break
        except PlaywrightTimeoutError:
            if time.monotonic() >= looks_until:
                break  # the real click below waits out the time-out and says what covers it
            log.debug("click target covered; looking for a popup in the way")
            await clear_popups(loc.page, registry=registry)
    if before is not None:
        before()
    # A popup may also open during the click itself (the changelog dialog opens a moment after
    # a page loads): Playwright then retries the click until the popup goes, so it is closed
    # meanwhile. Nothing was clicked while it covered the target; the click lands once.
    clearing = asyncio.ensure_future(_clear_while_pending(loc.page, registry))
    try:
        await loc.click(timeout=timeout * 1000)
    finally:
        clearing.cancel()
        await asyncio.gather(clearing, return_exceptions=True)


async def _clear_while_pending(page: Page, registry: dict[str, list[Sel]] | None,
                               every_s: float = 1.0) -> None:
    """Close popups every `every_s` until cancelled (a click that is quick never sees it)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await clear_popups(page, rounds=1, registry=registry)
        except PlaywrightError as err:
            log.debug("popup look during a click failed: %s", err)


async def pointer_away(page: Page) -> None:
    """Park the pointer in the page's top-left corner once done with a tile: a tile plays its
    clip for as long as the pointer rests on it, a video decoder busy for nothing on a page
    that stays open for hours."""
    with contextlib.suppress(PlaywrightError):
        await page.mouse.move(0, 0)


async def click_if_on_top(loc: Locator) -> bool:
    """Click `loc` only if nothing covers it (a popup under another dialog must wait its turn:
    forcing it would hang until timeout). True when clicked."""
    try:
        await loc.click(trial=True, timeout=300)
        await loc.click(timeout=2000)
        return True
    except Exception as err:  # noqa: BLE001 - covered, or closed by itself meanwhile
        log.debug("popup not clickable now: %s", type(err).__name__)
        return False


async def find_any(scope: Scope, keys: list[str], timeout: float,
                   registry: dict[str, list[Sel]] | None = None) -> Match:
    """Whichever of several elements shows up first (e.g. a dialog or the image appearing)."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        for key in keys:
            match = await probe(scope, key, registry=registry)
            if match is not None:
                return match
        if time.monotonic() >= deadline:
            raise NotFound("|".join(keys))
        await _clear_popup(scope, keys[0], registry)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


async def until(check, timeout: float, what: str) -> None:
    """Poll the async predicate `check` until true; `NotFound(what)` after `timeout` seconds.

    Quickly at first (most states arrive within a few tenths), then at most every 0.15 s: each
    check is a round trip through Playwright's driver into the page, and a wait of seconds at a
    fixed 30 ms kept three processes busy for nothing."""
    deadline = time.monotonic() + timeout
    delay = 0.03
    while not await check():
        if time.monotonic() >= deadline:
            raise NotFound(what)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.15)

