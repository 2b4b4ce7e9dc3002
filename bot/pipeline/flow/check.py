"""The drift check behind `flowbot flow check`: which registry fallback matches each element.

It walks the app the way a submission would — home, a new project, the mode list, the settings
dialog, and (given a project URL with finished tiles) a tile's download menu — but never uploads,
clicks Create or downloads, so it spends no credits. Every element of the registry it can reach
gets one line: matched by the primary selector, matched only by a fallback (drift the driver
survives), or matched by nothing (broken: fix `selectors.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.async_api import Page

from bot.pipeline.flow import steps
from bot.pipeline.flow.locate import NotFound, click, find_any, probe
from bot.pipeline.flow.selectors import PROJECT_PATH, SELECTORS

OK, FALLBACK, BROKEN = 0, 3, 1  # exit codes: all primary / some only by fallback / some missing


@dataclass(frozen=True)
class ElementResult:
    stage: str
    key: str
    index: int | None  # which fallback matched; None: nothing did
    selector: str

    @property
    def status(self) -> str:
        if self.index is None:
            return "MISSING"
        return "ok" if self.index == 0 else "fallback"


async def _one(page: Page, stage: str, key: str, *, visible: bool = True,
               wait: float = 0.0) -> ElementResult:
    match = None
    if wait:
        try:
            match = await find_any(page, [key], wait)
        except NotFound:
            match = None
    else:
        match = await probe(page, key, visible=visible)
    if match is None:
        tried = "; ".join(s.describe() for s in SELECTORS[key])
        return ElementResult(stage, key, None, f"none of: {tried}")
    return ElementResult(stage, key, match.index, match.sel.describe())


async def run_check(page: Page, base_url: str, timeout: float = 10.0,
                    ui: str = "auto", lang: str = "en") -> list[ElementResult]:
    """Visit each stage and report every element; never submits anything.

    The UI generation is detected on the first page (or forced with `ui`); the 2026 UI has its
    own walk (`check2026.py`) over its own registry.
    """
    from bot.pipeline.flow import ui as generations

    out: list[ElementResult] = []
    project_url = base_url if PROJECT_PATH in base_url else None
    await page.goto(generations.pin_language(base_url, lang), wait_until="domcontentloaded")
    generation = ui
    if ui == "auto":
        try:
            generation = await generations.detect(page, timeout)
        except NotFound:
            # A page with no controls at all: report it against the generation its address
            # belongs to (the classic UI lived under /fx/tools/flow).
            generation = "classic" if "/fx/tools/flow" in page.url else "flow2026"
    if generation == "flow2026":
        from bot.config import FlowSettings
        from bot.pipeline.flow.check2026 import run_check_2026
        from bot.pipeline.flow.ui.flow2026 import Flow2026Ui

        settings = FlowSettings(_env_file=None, step_timeout_s=timeout, ui_lang=lang)  # type: ignore[call-arg]
        return await run_check_2026(page, Flow2026Ui(settings), base_url, timeout)
    if project_url is None:
        await steps.ensure_signed_in(page)
        try:  # whichever renders: the first-run landing or the home with "New project"
            await find_any(page, ["new_project", "landing_start"], timeout)
        except NotFound:
            pass
        await steps.ensure_signed_in(page)
        first = await _one(page, "home", "new_project")
        if first.index is None:
            landing = await _one(page, "home", "landing_start")
            out.append(landing)
            if landing.index is not None:
                await click((await probe(page, "landing_start")).locator, timeout)  # type: ignore[union-attr]
                first = await _one(page, "home", "new_project", wait=timeout)
        out.append(first)
        if first.index is None:
            return out
        await click((await probe(page, "new_project")).locator, timeout)  # type: ignore[union-attr]
        await page.wait_for_url(f"**{PROJECT_PATH}**", timeout=timeout * 1000)
        await steps.dismiss_popups(page)
    else:
        await steps.ensure_signed_in(page)

    stage = "project"
    out.append(await _one(page, stage, "prompt", wait=timeout))
    for key in ("mode_combobox", "create", "settings_button"):
        out.append(await _one(page, stage, key))
    out.append(await _one(page, stage, "toasts", visible=False))

    mode = await probe(page, "mode_combobox")
    if mode is not None:
        # Choosing the mode is free and shows the frame slots (nothing is uploaded).
        await click(mode.locator, timeout)
        frames = await _one(page, "mode list", "mode_frames", wait=timeout / 4)
        out.append(frames)
        option = await probe(page, "mode_frames")
        if option is not None:
            await click(option.locator, timeout)
            out.append(await _one(page, "frames", "start_slot", wait=timeout / 4))
        else:
            await page.keyboard.press("Escape")
        out.append(await _one(page, "frames", "file_input", visible=False))

    settings = await probe(page, "settings_button")
    if settings is not None:
        await click(settings.locator, timeout)
        stage = "settings dialog"
        out.append(await _one(page, stage, "settings_dialog", wait=timeout / 4))
        for key in ("model_combobox", "aspect_combobox", "outputs_combobox"):
            out.append(await _one(page, stage, key))
        model = await probe(page, "model_combobox")
        if model is not None:
            await click(model.locator, timeout)
            out.append(await _one(page, stage, "listbox_option", wait=timeout / 4))
            await page.keyboard.press("Escape")
        await page.keyboard.press("Escape")

    if project_url is not None:
        out.extend(await _check_tiles(page, timeout))
    return out


async def _check_tiles(page: Page, timeout: float) -> list[ElementResult]:
    stage = "tiles"
    out = [await _one(page, stage, "tile", visible=False),
           await _one(page, stage, "tile_wrapper", visible=False)]
    done = page.locator("[data-tile-id]:has(video)")
    if await done.count() == 0:
        return out
    tile = done.first
    await tile.hover()
    try:
        first = await find_any(tile, ["tile_download", "tile_more"], timeout / 4)
    except NotFound:
        out.append(ElementResult(stage, "tile_download|tile_more", None, "no download control"))
        return out
    if first.key == "tile_more":
        # The classic download button is gone; only the Feb-2026 more_vert path is left.
        out.append(ElementResult(stage, "tile_download", len(SELECTORS["tile_download"]),
                                 f"via tile_more: {first.sel.describe()}"))
    else:
        out.append(ElementResult(stage, first.key, first.index, first.sel.describe()))
    await click(first.locator, timeout)
    if first.key == "tile_more":
        out.append(await _one(page, "download menu", "menu_download", wait=timeout / 4))
        item = await probe(page, "menu_download")
        if item is not None:
            await click(item.locator, timeout)
    out.append(await _one(page, "download menu", "menu_720p", wait=timeout / 4))
    await page.keyboard.press("Escape")
    return out


def exit_code(results: list[ElementResult]) -> int:
    if any(r.index is None for r in results):
        return BROKEN
    if any(r.index for r in results):
        return FALLBACK
    return OK


def format_results(results: list[ElementResult]) -> str:
    width = max((len(r.key) for r in results), default=10)
    lines = [f"{r.stage:<16} {r.key:<{width}}  {r.status:<8} {r.selector}" for r in results]
    broken = [r.key for r in results if r.index is None]
    drift = [r.key for r in results if r.index]
    if broken:
        lines.append(f"BROKEN: {', '.join(broken)} (edit bot/pipeline/flow/selectors.py)")
    if drift:
        lines.append(f"DRIFT (covered by fallbacks): {', '.join(drift)}")
    if not broken and not drift:
        lines.append("all elements matched their primary selector")
    return "\n".join(lines)
