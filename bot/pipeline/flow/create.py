"""Filling the prompt, clicking Create, and reading Flow's answer: new tiles or a refusal.

Notices already on screen are tagged before the click so only new ones count as the answer.
Tiles win over notices: once tiles showing our prompt appear the prompt was accepted (and paid
for), so a handle is returned whatever notice shows next to them.
"""

from __future__ import annotations

import asyncio
import logging
import time

from playwright.async_api import Page

from bot.errors import (
    FlowError,
    InsufficientCreditsError,
    SessionExpiredError,
    UnknownPageStateError,
)
from bot.pipeline.flow.classify import classify
from bot.pipeline.flow.locate import NotFound, click, find, probe, until
from bot.pipeline.flow.selectors import SELECTORS, SIGNIN_URL_MARK
from bot.pipeline.flow.tiles import read_tiles, shows_prompt

log = logging.getLogger(__name__)
# After a refusal notice, how long tiles may still show up (then the notice was not the answer).
REFUSAL_GRACE_S = 0.3


async def fill_prompt(page: Page, prompt: str, timeout: float) -> None:
    box = await find(page, "prompt", timeout)
    log.debug("filling prompt (%d chars)", len(prompt))
    await box.fill(prompt)
    tag = await box.evaluate("e => e.tagName")
    shown = await box.input_value() if tag in ("TEXTAREA", "INPUT") else await box.inner_text()
    if " ".join(shown.split()) != " ".join(prompt.split()):
        raise UnknownPageStateError("the prompt box did not keep the prompt", code="prompt_mismatch")


async def credits_warning(page: Page) -> str | None:
    match = await probe(page, "prompt_warning")
    return None if match is None else " ".join((await match.locator.inner_text()).split())


_NOTICES_JS = """([sel, mark]) => {
  // Outermost notice elements only (a toast's inner parts are not notices of their own).
  const all = [...document.querySelectorAll(sel)];
  const items = all.filter((el) => !all.some((o) => o !== el && o.contains(el)));
  const out = [];
  for (const el of items) {
    if (el.closest('[data-tile-id]')) continue;  // tile texts are read by the grid poll
    if (!el.dataset.flowbotSeen) out.push(el.innerText);
    if (mark) el.dataset.flowbotSeen = '1';
  }
  return out;
}"""


def _notice_selector() -> str:
    return ", ".join(s.value for s in SELECTORS["notice_items"])


async def mark_toasts(page: Page) -> None:
    """Tag the notices already shown so only the ones after our click are read as answers."""
    await page.evaluate(_NOTICES_JS, [_notice_selector(), True])


async def new_toasts(page: Page) -> list[str]:
    """Texts of notices that appeared since `mark_toasts` (they stay unmarked)."""
    texts = await page.evaluate(_NOTICES_JS, [_notice_selector(), False])
    return [" ".join(t.split()) for t in texts if t and t.strip()]


async def click_create(page: Page, timeout: float) -> None:
    warning = await credits_warning(page)
    if warning:
        raise InsufficientCreditsError(warning)
    button = await find(page, "create", timeout)
    await until(button.is_enabled, timeout, "create (enabled)")
    log.debug("clicking Create")
    await click(button, timeout)


async def await_outcome(
    page: Page, before: set[str], prompt: str, outputs: int, timeout: float
) -> list[str]:
    """After Create: the new tile ids, or the refusal as an error (then nothing was queued).

    Tiles are "new" when their id was not in the grid before the click and they show our prompt
    (page interactions are serialised, so no other submission can add tiles meanwhile).
    """
    deadline = time.monotonic() + timeout
    seen_at: float | None = None
    refusal: FlowError | None = None
    refusal_at = 0.0
    delay = 0.02
    while True:
        # Tiles first: once our tiles exist the prompt was accepted (and paid for), whatever
        # notice shows next to them; a handle must never be lost to a notice.
        tiles = await read_tiles(page)
        fresh = [t for t in tiles.values() if t.tile_id not in before and shows_prompt(t, prompt)]
        fresh.sort(key=lambda t: (t.index if t.index is not None else 1_000_000))
        ids = [t.tile_id for t in fresh][:outputs]
        now = time.monotonic()
        if len(ids) >= outputs:
            return ids
        if ids and seen_at is None:
            seen_at = now
        # Some outputs showed but not all: give the rest a moment, then go with what we have.
        if ids and now - seen_at > 2.0:
            log.warning("only %d of %d tiles appeared", len(ids), outputs)
            return ids
        if SIGNIN_URL_MARK in page.url:
            raise SessionExpiredError(f"redirected to sign-in ({SIGNIN_URL_MARK})")
        if refusal is None:
            refusal = refusal_of(await new_toasts(page))
            refusal_at = now
        elif not ids and now - refusal_at > REFUSAL_GRACE_S:
            log.debug("refused after Create: %s", refusal.code)
            raise refusal
        if now >= deadline:
            warning = await credits_warning(page)
            if warning:
                raise InsufficientCreditsError(warning)
            raise NotFound("new tiles after Create")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)


def refusal_of(texts: list[str]) -> FlowError | None:
    for text in texts:
        err = classify(text)
        if err is not None:
            return err
    return None
