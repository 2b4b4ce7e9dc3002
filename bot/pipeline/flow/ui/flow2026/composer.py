"""The composer (FLOW_2026 §4, §6): agent mode off, the prompt editor, and what the Start / End
frame chips hold (read and cleared here; bound from the library picker in `frames.py`)."""

from __future__ import annotations

import asyncio
import logging

from playwright.async_api import Locator, Page

from bot.errors import AgentOnlyError, UnknownPageStateError
from bot.pipeline.flow.locate import NotFound, click, find, find_any, probe, until
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026.base import REG, Flow2026Base, attr_is, count_at_least, norm

log = logging.getLogger(__name__)


class FrameNotBound(UnknownPageStateError):
    """The Start/End chip does not hold our image: submitting would bill something else."""

    code = "frame_not_bound"


_CHIPS_JS = """([chipSel, imgSel]) => [...document.querySelectorAll(chipSel)].slice(0, 2).map((c) => {
  const img = c.querySelector(imgSel);
  return img ? {src: img.getAttribute('src') || '', alt: img.getAttribute('alt') || ''} : null;
})"""


class ComposerMixin(Flow2026Base):
    """Agent mode, the prompt, the frame chips."""

    async def _agent_off(self, page: Page) -> None:
        """Agent mode must be off (its composer bills without our settings)."""
        t = self.timeout
        match = await find_any(page, ["agent_prompt_box", "prompt_box"], t, REG)
        chip = await probe(page, "agent_chip", registry=REG)
        if chip is None:
            if match.key == "agent_prompt_box":
                raise AgentOnlyError(
                    "this Flow account only has the agent composer (no per-request settings); "
                    "use an account with the normal prompt box")
            return
        if match.key == "agent_prompt_box" or await chip.locator.get_attribute("aria-pressed") == "true":
            log.info("agent mode is on: turning it off")
            for _ in range(3):
                await click(chip.locator, t, REG)
                try:
                    await until(lambda: attr_is(chip.locator, "aria-pressed", "false"), 2.0, "agent chip off")
                    break
                except NotFound:
                    continue
            if await chip.locator.get_attribute("aria-pressed") == "true":
                raise UnknownPageStateError("the agent chip stays pressed", code="agent_mode")
        await find(page, "prompt_box", t, registry=REG)

    async def _type_prompt(self, page: Page, prompt: str) -> None:
        """ProseMirror: select all + Backspace clears; insert_text types; Enter would submit."""
        t = self.timeout
        flat = norm(prompt)
        editor = await find(page, "editor", t, registry=REG)
        await click(editor, t, REG)
        await page.keyboard.press("ControlOrMeta+a")
        await page.keyboard.press("Backspace")
        await page.keyboard.insert_text(flat)

        async def kept() -> bool:
            return norm(await editor.inner_text()) == flat
        try:
            await until(kept, t, "prompt typed")
        except NotFound:
            raise UnknownPageStateError("the prompt box did not keep the prompt", code="prompt_mismatch") from None

    async def _chip(self, page: Page, index: int) -> Locator:
        chips = page.locator(S.SELECTORS["frame_chips"][0].value)
        await until(lambda: count_at_least(chips, 2), self.timeout, "frame chips")
        return chips.nth(index)

    async def _chip_src(self, chip: Locator) -> str | None:
        img = chip.locator(S.CHIP_IMAGE_CSS)
        if not await img.count():
            return None
        return await img.first.get_attribute("src") or ""

    async def _clear_chip(self, page: Page, chip: Locator) -> None:
        for _ in range(3):
            if await self._chip_src(chip) is None:
                return
            box = await chip.bounding_box()
            if box:
                await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            remove = chip.locator(S.CHIP_REMOVE_CSS)
            if await remove.count():
                await remove.first.click(timeout=2000)
            await asyncio.sleep(0.1)
        if await self._chip_src(chip) is not None:
            raise FrameNotBound("a frame chip keeps an old image", code="frame_not_cleared")

    async def _chips(self, page: Page) -> list[dict | None]:
        """What the Start and End chips hold now ({"src", "alt"} or None), in one read."""
        await until(lambda: count_at_least(page.locator(S.SELECTORS["frame_chips"][0].value), 2),
                    self.timeout, "frame chips")
        return await page.evaluate(_CHIPS_JS, [S.SELECTORS["frame_chips"][0].value, S.CHIP_IMAGE_CSS])


def holds(held: dict | None, mid: str, name: str) -> bool:
    """A bound chip holds our upload: its image src carries the media id, or its alt is our
    run-unique file name (the picker DOM has no ids; a chip's thumbnail URL usually does)."""
    if held is None:
        return False
    return mid in (held.get("src") or "") or (held.get("alt") or "") == name
