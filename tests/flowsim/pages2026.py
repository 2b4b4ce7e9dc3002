"""Page helpers for the flow2026 variant's browser tests: careful, real-input steps the way a
tool that survives today's flow.google.com would take them (FLOW_2026 §2–§9). Naive steps live
in the tests themselves, where they are shown to fail."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

WAIT_MS = 90_000  # a ceiling, not a target: renders crawl when other runs share the 2 cores

# Fast page defaults for tests: short polls, short blank gap, no lag unless a test wants it.
FAST = {"poll_ms": 300, "blank_gap_ms": [50, 100], "summary_lag_ms": 50,
        "model_rerender_ms": 100, "upload_store_seconds": 0.2,
        "submit_reply_ms": 200}
# Every first-visit overlay off, for tests about something else.
QUIET = {**FAST, "cookie_bar": "off", "agent_panel": False, "changelog": False}


def ffprobe(path: Path) -> dict:
    """Streams and format of a media file, as ffprobe reports them."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,width,height,r_frame_rate:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


async def open_context(chromium: Browser, sim, *, locale: str | None = None,
                       accept_language: str | None = None) -> tuple[BrowserContext, Page]:
    """A fresh context signed in to the simulator (optionally in another language)."""
    kwargs = {}
    if locale:
        kwargs["locale"] = locale
    if accept_language:
        kwargs["extra_http_headers"] = {"Accept-Language": accept_language}
    context = await chromium.new_context(
        storage_state=await sim.storage_state(), accept_downloads=True,
        viewport={"width": 1280, "height": 800}, **kwargs,
    )
    return context, await context.new_page()


async def dismiss_overlays(page: Page, *, changelog: bool = True) -> None:
    """Cookie bar, agent panel and the changelog modal, each if present (by class or icon)."""
    if changelog:
        dialog = page.locator("mat-dialog-container.changelog-dialog")
        await expect(dialog).to_be_visible()
        await dialog.locator("button:has(mat-icon:text-is('close'))").click()
        await expect(dialog).to_have_count(0)
    accept = page.locator("button.glue-cookie-notification-bar__accept")
    if await accept.count():
        await accept.click()
        await expect(page.locator("#glue-cookie-notification-bar-1")).to_have_count(0)
    panel = page.locator("flow-agent-panel")
    if await panel.count():
        await panel.locator("button:has(mat-icon:text-is('close'))").click()
        await expect(panel).to_have_count(0)


async def new_project(page: Page, base: str, *, changelog: bool = True) -> str:
    """Home → overlays → New project; returns the project URL."""
    await page.goto(f"{base}/")
    await dismiss_overlays(page, changelog=changelog)
    await page.locator("button.new-project-button").click()
    await page.wait_for_url(re.compile(r".*/project/[0-9a-f-]{36}$"))
    await expect(page.locator("flow-prompt-box")).to_be_visible()
    return page.url


async def upload(page: Page, path: Path, *, rights: bool = True, accepted: bool = True) -> None:
    """Add media menu → Upload → file chooser → (first time) the rights dialog's I agree; then
    (unless the image is meant to be refused) the grid's upload tile."""
    await page.get_by_role("button", name="Add media menu").click()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("menuitem", name="Upload").click()
    await (await chooser.value).set_files(path)
    if rights:
        dialog = page.locator("flow-upload-consent-dialog")
        await expect(dialog).to_be_visible()
        await dialog.locator("div.agree-actions-group button").last.click()
        await expect(dialog).to_have_count(0)
    # The grid shows the upload (title only, 99%) once the page has sent it.
    if accepted:
        await expect(page.locator(f"flow-grid-tile-container[aria-label='{path.name}']")).to_have_count(1)


async def choose_frames(page: Page) -> None:
    """Open settings and make sure the input mode is Frames (the chips show), then close."""
    await open_settings(page)
    pane = page.locator("flow-prompt-box-settings")
    frames = pane.locator("button[role=radio]").filter(has=page.locator("mat-icon", has_text="crop_free"))
    await click_radio(frames)
    await close_overlays(page)
    await expect(page.locator("flow-ingredient-bar")).to_be_visible()


async def open_settings(page: Page) -> None:
    """Click the settings trigger until the popover is open (a first click may be swallowed)."""
    trigger = page.locator("button.settings-trigger-button")
    pane = page.locator("flow-prompt-box-settings")
    for _ in range(3):
        await trigger.click()
        try:
            await expect(pane).to_be_visible(timeout=1500)
            return
        except AssertionError:
            continue
    await expect(pane).to_be_visible()


async def click_radio(radio: Locator) -> None:
    """Click a toggle radio until aria-checked says so (one may ignore a click)."""
    for _ in range(3):
        if await radio.get_attribute("aria-checked") == "true":
            return
        await radio.click()
        try:
            await expect(radio).to_have_attribute("aria-checked", "true", timeout=1000)
            return
        except AssertionError:
            continue
    await expect(radio).to_have_attribute("aria-checked", "true")


async def close_overlays(page: Page) -> None:
    """Escape until no overlay pane is left (one closes per press)."""
    panes = page.locator(".cdk-overlay-container .cdk-overlay-pane:not(.snack-pane)")
    for _ in range(5):
        if not await panes.count():
            return
        await page.keyboard.press("Escape")
    await expect(panes).to_have_count(0)


async def pick_model(page: Page, model: str) -> None:
    """Model first: open the model menu, choose, close the menu, let the other groups settle."""
    pane = page.locator("flow-prompt-box-settings")
    trigger = pane.get_by_role("button", name="Select model family")
    if (await trigger.locator("span.model-select-trigger-content").inner_text()).strip() == model:
        return
    await trigger.click()
    menu = page.locator("div[role=menu].flow-model-picker-panel")
    await menu.get_by_role("menuitem", name=model, exact=True).click()
    await expect(trigger.locator("span.model-select-trigger-content")).to_have_text(model)
    await page.keyboard.press("Escape")  # the menu; the pane stays
    await expect(menu).to_have_count(0)
    await page.wait_for_timeout(600)  # the other groups re-render asynchronously


def radio(page: Page, group: str, text: str) -> Locator:
    """The radio of a settings group (media/mode/aspect/resolution/duration/count) by its name
    (the icon is aria-hidden, so the name is the label alone)."""
    return page.locator(f"flow-prompt-box-settings mat-button-toggle-group.group-{group}").get_by_role(
        "radio", name=text, exact=True)


LABEL_JS = ("b => [...b.querySelector('.mat-button-toggle-label-content').childNodes]"
            ".filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim()")


async def read_settings(page: Page) -> dict[str, str]:
    """Every group's checked label, the model and the price, as shown in the open popover."""
    pane = page.locator("flow-prompt-box-settings")
    out = {"model": (await pane.locator("span.model-select-trigger-content").inner_text()).strip(),
           "price": (await pane.locator("a.credit-cost-link").inner_text()).strip()}
    for group in ("media", "mode", "aspect", "resolution", "duration", "count"):
        checked = pane.locator(f"mat-button-toggle-group.group-{group} button[aria-checked=true]")
        if await checked.count():
            out[group] = await checked.evaluate(LABEL_JS)
    return out


async def set_settings(page: Page, *, model: str | None = None, **groups: str) -> dict[str, str]:
    """Model first, then the other groups; read every group back; close the popover."""
    await open_settings(page)
    if model:
        await pick_model(page, model)
    for group, value in groups.items():
        await click_radio(radio(page, group, value))
    values = await read_settings(page)
    await close_overlays(page)
    return values


def editor(page: Page) -> Locator:
    """The ProseMirror editor of the prompt box."""
    return page.locator("flow-prompt-box div.ProseMirror[contenteditable=true]")


async def type_prompt(page: Page, text: str) -> None:
    """Clear the editor (select-all + Backspace) and insert the prompt with newlines flattened."""
    box = editor(page)
    await box.click()
    await page.keyboard.press("Control+a")
    await page.keyboard.press("Backspace")
    await page.keyboard.insert_text(" ".join(text.split("\n")))
    await expect(box).to_have_text(" ".join(text.split("\n")))


def generate_button(page: Page) -> Locator:
    """The Start generation button (class-anchored)."""
    return page.locator("flow-generate-icon-button button.generate-icon-button")


async def bind_start(page: Page, file_name: str, *, tries: int = 5) -> None:
    """Start chip → picker → search the file name → pick it (either picker behaviour); verify."""
    for _ in range(tries):
        await page.locator("flow-ingredient-bar div.frame-trigger").first.locator("button").first.click()
        picker = page.locator("flow-add-menu-popover-content")
        await expect(picker).to_be_visible()
        await picker.locator("input[type=text]").fill(file_name)
        option = picker.locator("button.asset-item[role=option]").filter(has_text=file_name)
        try:
            await expect(option).to_have_count(1, timeout=3000)
        except AssertionError:
            await close_overlays(page)
            continue
        await option.click()
        add = picker.locator("button.detail-add-to-prompt-btn")
        if await picker.count() and await add.count():
            await add.click()
        break
    chip = page.locator("flow-ingredient-bar flow-image-ingredient-chip button.chip-container img")
    await expect(chip).to_have_count(1)
    await expect(chip).to_have_attribute("alt", file_name)


async def wait_video_tile(page: Page) -> Locator:
    """The newest tile once it is a finished video (thumbnail mounted)."""
    tile = page.locator("div.tile-row").first.locator("flow-grid-tile-container").first
    await expect(tile.locator("flow-video-tile img.thumbnail")).to_be_visible(timeout=WAIT_MS)
    return tile


async def real_mouse_over(page: Page, target: Locator) -> None:
    """A genuine pointer move onto the target: from outside, in steps, then a little further."""
    box = await target.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] - 30, box["y"] - 30)
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=6)
    await page.mouse.move(box["x"] + box["width"] / 2 + 7, box["y"] + box["height"] / 2 + 5, steps=2)


async def download(page: Page, tile: Locator, size_label: str, dest: Path) -> Path:
    """Real mouse onto the tile → More options → Download → the size; saves the file."""
    await real_mouse_over(page, tile)
    more = tile.locator("flow-video-hotbar button[aria-haspopup=menu]")
    await expect(more).to_be_visible()
    await more.click()
    menu = page.locator("div[role=menu].mat-mdc-menu-panel")
    await menu.locator("button[role=menuitem]:has(mat-icon:text-is('download'))").click()
    async with page.expect_download() as info:
        await menu.get_by_role("menuitem", name=size_label).click()
    dl = await info.value
    saved = dest / dl.suggested_filename
    await dl.save_as(saved)
    return saved


def make_png(path: Path, color=(40, 140, 90), size=(640, 360)) -> Path:
    """A real PNG."""
    Image.new("RGB", size, color).save(path)
    return path


def submits(wire: list[dict]) -> list[dict]:
    """The submit calls in a wire() record."""
    return [e for e in wire if e["rpc"] in ("YhhmEf", "eb1hJf", "nprQif", "MZZa6b")]


async def wait_submits(sim, n: int, *, timeout_s: float = 30.0) -> list[dict]:
    """The wire's submit calls once there are at least `n` of them (polled; a ceiling only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        sent = submits(await sim.wire())
        if len(sent) >= n or loop.time() > deadline:
            return sent
        await asyncio.sleep(0.1)
