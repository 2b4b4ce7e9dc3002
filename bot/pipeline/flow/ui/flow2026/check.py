"""The drift check's walk of flow.google.com (`flowbot flow check`, the pipeline's drift canary):
which fallback of `selectors.py` matches each element a submission touches, reached the way a
submission would reach it, without uploading, typing, submitting or downloading (nothing is
paid). The generic part (`ElementResult`, exit codes, the report) is `bot/pipeline/flow/check.py`.

Stages: home (New project, account button; overlays closed as a submission would), a new project
(composer, agent chip, Add media menu → Upload item, the settings popover with its groups, the
model menu and the live price, the Start/End chips), and, given a project URL with a finished
clip, its tile toolbar and the download size menu.
"""

from __future__ import annotations

import re
from functools import partial

from playwright.async_api import Locator, Page

from bot.errors import FlowError
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.check import ElementResult
from bot.pipeline.flow.locate import NotFound, click, find_any, pointer_away, probe, until
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026.base import PROJECT_PATH, REG
from bot.pipeline.flow.ui.flow2026.generation import Flow2026Ui

# Named in the report of a broken element: the one file a fix of the selectors touches.
REGISTRY_FILE = "bot/pipeline/flow/ui/flow2026/selectors.py"
_ANY = GenerationRequest(None, "")  # only its input mode (Frames) is used


async def walk(page: Page, base_url: str, timeout: float, lang: str) -> list[ElementResult]:
    """Report every element of the page already loaded at `base_url` (home or a project)."""
    from bot.config import FlowSettings

    settings = FlowSettings(_env_file=None, step_timeout_s=timeout, ui_lang=lang)  # type: ignore[call-arg]
    return await _walk(page, Flow2026Ui(settings), base_url, timeout)


async def one(page, stage: str, key: str, *, wait: float = 0.0, visible: bool = True) -> ElementResult:
    """Which fallback of `key` matches (waiting up to `wait`), as one result line."""
    match = None
    if wait:
        try:
            match = await find_any(page, [key], wait, REG)
        except NotFound:
            match = None
    else:
        match = await probe(page, key, visible=visible, registry=REG)
    if match is None:
        tried = "; ".join(s.describe() for s in REG[key])
        return ElementResult(stage, key, None, f"none of: {tried}")
    return ElementResult(stage, key, match.index, match.sel.describe())


def group(stage: str, name: str, found: bool) -> ElementResult:
    """A settings group told apart by its ligatures or numbers (FLOW_2026 §5)."""
    how = f"{S.SETTINGS_PANEL_CSS} {S.RADIOGROUP_CSS} ({name})"
    return ElementResult(stage, f"group_{name}", 0 if found else None, how)


async def _walk(page: Page, ui: Flow2026Ui, base_url: str, timeout: float) -> list[ElementResult]:
    """The page is already loaded at `base_url` (home or a project)."""
    out: list[ElementResult] = []
    project_url = base_url if PROJECT_PATH in base_url else None
    await ui.ensure_page_ok(page)
    await ui.dismiss_overlays(page)
    if project_url is None:
        out.append(await one(page, "home", "new_project", wait=timeout))
        out.append(await one(page, "home", "account_button"))
        if out[0].index is None:
            return out
        await ui.dismiss_overlays(page)
        await click((await probe(page, "new_project", registry=REG)).locator, timeout, REG)  # type: ignore[union-attr]
        await page.wait_for_url(re.compile(re.escape(PROJECT_PATH)), timeout=timeout * 1000)
        await ui.ensure_page_ok(page)
    stage = "project"
    out.append(await one(page, stage, "prompt_box", wait=timeout))
    await ui.dismiss_overlays(page)
    for key in ("editor", "settings_trigger", "submit", "add_media_menu"):
        out.append(await one(page, stage, key))
    chip = await probe(page, "agent_chip", registry=REG)
    out.append(await one(page, stage, "agent_chip"))
    if chip is not None and await chip.locator.get_attribute("aria-pressed") == "true":
        out.append(ElementResult(stage, "agent_mode_off", None, "the agent chip is pressed"))

    menu = await probe(page, "add_media_menu", registry=REG)
    if menu is not None:
        await click(menu.locator, timeout, REG)
        out.append(await one(page, "add media menu", "menu_upload", wait=timeout / 4))
        await page.keyboard.press("Escape")

    try:
        await ui._open_settings(page)  # noqa: SLF001 - the same trigger handling as a submit
    except (NotFound, FlowError):
        out.append(ElementResult("settings", "settings_panel", None,
                                 "; ".join(s.describe() for s in REG["settings_panel"])))
        return out
    stage = "settings"
    out.append(await one(page, stage, "settings_panel"))
    groups = await ui._groups(page)  # noqa: SLF001
    if "input" in groups:
        # Frames mode (free, as a submission sets it) shows the Start/End chips checked below.
        await ui._set_group(page, "input", _ANY)  # noqa: SLF001
    for name in ("media", "input", "aspect", "count"):
        out.append(group(stage, name, name in groups))
    out.append(await one(page, stage, "price", wait=timeout / 4))
    out.append(await one(page, stage, "model_trigger"))
    trigger = await probe(page, "model_trigger", registry=REG)
    if trigger is not None:
        await click(trigger.locator, timeout, REG)
        out.append(await one(page, "model menu", "model_menu", wait=timeout / 4))
        await page.keyboard.press("Escape")
    await ui._close_settings(page)  # noqa: SLF001
    out.append(await one(page, "frames", "frame_chips", wait=timeout / 4))

    if project_url is not None:
        out.extend(await _check_tiles(page, ui, timeout))
    return out


async def _check_tiles(page: Page, ui: Flow2026Ui, timeout: float) -> list[ElementResult]:
    stage = "tiles"
    out = [await one(page, stage, "tile", visible=False)]
    done = page.locator(S.TILE_CSS).filter(has=page.locator(S.THUMB_CSS))
    if await done.count() == 0:
        return out
    tile = done.first
    await tile.scroll_into_view_if_needed()
    box = await tile.bounding_box()
    if box:
        await page.mouse.move(box["x"] + 5, box["y"] + 5)
        await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    try:
        return out + await _walk_tile_menu(page, tile, stage, timeout)
    finally:
        await pointer_away(page)  # whichever way the walk ends: no hover clip plays on


async def _walk_tile_menu(page: Page, tile: Locator, stage: str,
                          timeout: float) -> list[ElementResult]:
    """The hovered tile's toolbar, its download menu and the 720p item (the menu is closed)."""
    try:
        more = await find_any(tile, ["tile_more"], timeout / 4, REG)
    except NotFound:
        return [await one(tile, stage, "tile_more")]
    out = [ElementResult(stage, "tile_more", more.index, more.sel.describe())]
    await click(more.locator, timeout, REG)
    out.append(await one(page, "download menu", "menu_download", wait=timeout / 4))
    item = await probe(page, "menu_download", registry=REG)
    if item is not None:
        await click(item.locator, timeout, REG)
        sizes = page.locator(S.MENUITEM_CSS).filter(has_text=re.compile(r"(?<!\d)720p\b"))  # after the ligature: no \b
        try:
            await until(partial(_has, sizes), timeout / 4, "menu_720p")
            ok = True
        except NotFound:
            ok = False
        shown = "" if ok else f" (the menu shows: {await page.locator(S.MENUITEM_CSS).all_inner_texts()})"
        out.append(ElementResult("download menu", "menu_720p", 0 if ok else None,
                                 f"{S.MENUITEM_CSS} has-text=/720p/{shown}"))
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    return out


async def _has(loc: Locator) -> bool:
    return await loc.count() > 0
