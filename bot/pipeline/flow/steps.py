"""The submission steps up to the prompt, each short, logged at debug, built only on the
selector registry (the prompt, Create and its answer are in `create.py`).

Every step raises a `bot.errors` class or `locate.NotFound`; the client turns `NotFound` into
`UnknownPageStateError` with evidence. Nothing here sleeps for a fixed time: each wait is a
poll for the element or state that proves the step worked.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

from playwright.async_api import Locator, Page

from bot.errors import FinalFlowError, SessionExpiredError, UnknownPageStateError
from bot.pipeline.flow.locate import NotFound, clear_popups, click, find, find_any, probe, until
from bot.pipeline.flow.selectors import ASPECT_LABELS, FRAMES_MODE, PROJECT_PATH, SIGNIN_URL_MARK

log = logging.getLogger(__name__)


# --- signed in ------------------------------------------------------------------------------
async def signed_out_reason(page: Page) -> str | None:
    """Why the page is a sign-in page (text shown), or None when it is not."""
    if SIGNIN_URL_MARK in page.url:
        return f"redirected to sign-in ({SIGNIN_URL_MARK})"
    match = await probe(page, "signin_marker")
    if match is not None:
        return (await match.locator.inner_text()).strip() or "sign-in page"
    return None


async def ensure_signed_in(page: Page) -> None:
    reason = await signed_out_reason(page)
    if reason is not None:
        raise SessionExpiredError(reason)


async def dismiss_popups(page: Page) -> None:
    """Close welcome/promo popups ("Got it", "Close", "Skip") that would cover the controls."""
    if await clear_popups(page):
        log.debug("dismissed popups")


# --- project --------------------------------------------------------------------------------
async def open_home(page: Page, base_url: str, timeout: float) -> None:
    log.debug("opening Flow home")
    await page.goto(base_url, wait_until="domcontentloaded")
    await ensure_signed_in(page)


async def create_project(page: Page, base_url: str, timeout: float) -> str:
    """From home, make a new project and return its URL."""
    await open_home(page, base_url, timeout)
    match = await find_any(page, ["new_project", "landing_start", "signin_marker"], timeout)
    if match.key == "signin_marker":
        await ensure_signed_in(page)
    if match.key == "landing_start":
        log.debug("first-run landing: Create with Flow")
        await click(match.locator, timeout)
        match = await find_any(page, ["new_project", "popup_dismiss"], timeout)
        if match.key == "popup_dismiss":
            await dismiss_popups(page)
            match = await find_any(page, ["new_project"], timeout)
    log.debug("new project")
    await click(match.locator, timeout)
    await page.wait_for_url(re.compile(re.escape(PROJECT_PATH)), timeout=timeout * 1000)
    await ensure_signed_in(page)
    await dismiss_popups(page)
    log.debug("project %s", page.url)
    return page.url


async def goto_project(page: Page, project_url: str, timeout: float) -> None:
    """Open a project page (after a restart, or to look at another project's tiles)."""
    log.debug("navigating to project")
    await page.goto(project_url, wait_until="domcontentloaded")
    await ensure_signed_in(page)
    await find_any(page, ["prompt", "tile"], timeout)
    await ensure_signed_in(page)
    await dismiss_popups(page)


# --- mode -----------------------------------------------------------------------------------
async def choose_frames_mode(page: Page, timeout: float) -> None:
    box = await find(page, "mode_combobox", timeout)
    if FRAMES_MODE in (await box.inner_text()):
        log.debug("mode already %s", FRAMES_MODE)
        return
    log.debug("choosing %s", FRAMES_MODE)
    await click(box, timeout)
    await click(await find(page, "mode_frames", timeout), timeout)
    await until(lambda: _text_has(box, FRAMES_MODE), timeout, "mode_combobox")


# --- start frame ----------------------------------------------------------------------------
async def _image_src(page: Page) -> str | None:
    match = await probe(page, "start_frame_image")
    return None if match is None else await match.locator.get_attribute("src")


async def upload_start_frame(page: Page, image: Path, timeout: float) -> None:
    """Put `image` into the start slot, handling the crop and first-upload Notice dialogs.

    Success means a start-frame image with a new `src` shows; Flow silently drops images it
    rejects, so an image that never appears is a final error for this request.
    """
    before = await _image_src(page)
    log.debug("uploading start frame %s", image.name)
    chooser_ok = False
    slot = await probe(page, "start_slot")
    if slot is not None:
        try:
            async with page.expect_file_chooser(timeout=min(timeout, 3) * 1000) as fc:
                await click(slot.locator, timeout)
            await (await fc.value).set_files(str(image))
            chooser_ok = True
        except Exception as err:  # noqa: BLE001 - fall back to the file input below
            log.debug("no file chooser from start slot: %s", type(err).__name__)
    if not chooser_ok:
        await (await find(page, "file_input", timeout, visible=False)).set_input_files(str(image))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            match = await find_any(page, ["crop_save", "notice_agree", "start_frame_image"],
                                   max(0.1, deadline - time.monotonic()))
        except NotFound:
            break
        if match.key == "start_frame_image":
            src = await match.locator.get_attribute("src")
            if src and src != before:
                log.debug("start frame shows")
                return
            await asyncio.sleep(0.05)
            continue
        log.debug("dialog: %s", match.key)
        await click(match.locator, timeout)
        # The dialog closes asynchronously (the crop is encoded first); never click it twice.
        await match.locator.wait_for(state="hidden", timeout=timeout * 1000)
    raise FinalFlowError(
        f"Flow did not accept the start frame {image.name} (it never appeared after upload)",
        code="image_rejected",
    )


# --- settings -------------------------------------------------------------------------------
async def _combo_value(box: Locator) -> str:
    return " ".join((await box.inner_text()).split())


def _aspect_ok(value: str, aspect: str) -> bool:
    return aspect in value


def _outputs_ok(value: str, outputs: int) -> bool:
    return re.search(rf"(?<![\d.]){outputs}(?![\d.:])", value) is not None


def _model_ok(value: str, model: str) -> bool:
    return model in value


async def _choose(page: Page, box: Locator, label: str, timeout: float) -> None:
    await click(box, timeout)
    options = await find(page, "listbox_option", timeout)
    del options  # the list is open; pick by exact name
    pattern = re.compile(rf"^(?:\S+ )?{re.escape(label)}$")
    option = page.get_by_role("option", name=pattern)
    if await option.count() == 0:
        option = page.locator("[role=option]").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    await click(option.first, timeout)


async def apply_settings(page: Page, model: str, aspect: str, outputs: int, timeout: float) -> None:
    """Model first (it may reset the others), then aspect and outputs, then read all back."""
    await click(await find(page, "settings_button", timeout), timeout)
    await find(page, "settings_dialog", timeout)
    model_box = await find(page, "model_combobox", timeout)
    if not _model_ok(await _combo_value(model_box), model):
        log.debug("setting model %s", model)
        await _choose(page, model_box, model, timeout)
        await until(lambda: _combo_has(model_box, model), timeout, "model_combobox")
    aspect_box = await find(page, "aspect_combobox", timeout)
    if not _aspect_ok(await _combo_value(aspect_box), aspect):
        log.debug("setting aspect %s", aspect)
        await _choose(page, aspect_box, ASPECT_LABELS[aspect], timeout)
    outputs_box = await find(page, "outputs_combobox", timeout)
    if not _outputs_ok(await _combo_value(outputs_box), outputs):
        log.debug("setting outputs %d", outputs)
        await _choose(page, outputs_box, str(outputs), timeout)
    got = {
        "model": await _combo_value(model_box),
        "aspect": await _combo_value(aspect_box),
        "outputs": await _combo_value(outputs_box),
    }
    ok = (_model_ok(got["model"], model) and _aspect_ok(got["aspect"], aspect)
          and _outputs_ok(got["outputs"], outputs))
    log.debug("settings read back: %s", got)
    await page.keyboard.press("Escape")
    await until(lambda: _gone(page, "settings_dialog"), timeout, "settings dialog closed")
    if not ok:
        raise SettingsMismatch(
            f"settings read back {got}, wanted model={model} aspect={aspect} outputs={outputs}"
        )


class SettingsMismatch(UnknownPageStateError):
    """The settings dialog did not keep what we chose."""

    code = "settings_mismatch"


# --- helpers --------------------------------------------------------------------------------
async def _gone(page: Page, key: str) -> bool:
    return await probe(page, key) is None


async def _text_has(loc: Locator, needle: str) -> bool:
    return needle in await loc.inner_text()


async def _combo_has(loc: Locator, needle: str) -> bool:
    return needle in await _combo_value(loc)
