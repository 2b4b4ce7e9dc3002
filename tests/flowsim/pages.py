"""Page helpers shared by the flowsim tests: real clicks in real Chromium, nothing injected."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect

WAIT_MS = 90_000  # a ceiling, not a target: renders crawl when other runs share the 2 cores


async def new_page(chromium: Browser, sim) -> tuple[BrowserContext, Page]:
    """A fresh browser context signed in with the simulator's storage_state."""
    context = await chromium.new_context(
        storage_state=await sim.storage_state(), accept_downloads=True,
        viewport={"width": 1280, "height": 800},
    )
    return context, await context.new_page()


async def open_new_project(page: Page, base: str) -> str:
    """Home → (landing) → New project → dismiss the welcome popup; returns the project URL."""
    await page.goto(f"{base}/fx/tools/flow")
    landing = page.get_by_role("button", name="Create with Flow")
    new_project = page.get_by_role("button", name="add_2 New project")
    await expect(landing.or_(new_project)).to_be_visible()
    if await landing.is_visible():
        await landing.click()
    await new_project.click()
    await page.wait_for_url("**/fx/tools/flow/project/*")
    await dismiss_welcome(page)
    return page.url


async def dismiss_welcome(page: Page) -> None:
    """Close the first-visit welcome dialog (it opens a moment after load)."""
    welcome = page.get_by_role("dialog", name="Welcome to Flow")
    await welcome.get_by_role("button", name="Got it").click()
    await expect(welcome).to_have_count(0)


async def choose(page: Page, combobox, option: str) -> None:
    """Open a combobox and pick an option by its exact label."""
    await combobox.click()
    await page.get_by_role("listbox").get_by_role("option", name=option, exact=True).click()
    await expect(page.get_by_role("listbox")).to_have_count(0)


async def settings(page: Page, *, model: str | None = None, aspect: str | None = None,
                   outputs: int | None = None) -> dict[str, str]:
    """Apply settings (model first, since it resets the others) and read all three back."""
    await page.get_by_role("button", name="tune", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings")
    boxes = {name: dialog.get_by_role("combobox", name=name)
             for name in ("Model", "Aspect Ratio", "Outputs per prompt")}
    if model:
        await choose(page, boxes["Model"], model)
    if aspect:
        await choose(page, boxes["Aspect Ratio"], aspect)
    if outputs:
        await choose(page, boxes["Outputs per prompt"], str(outputs))
    values = {name: (await box.inner_text()).strip() for name, box in boxes.items()}
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    return values


async def submit(page: Page, prompt: str) -> None:
    """Fill the prompt like a user and click Create."""
    await page.locator("#PINHOLE_TEXT_AREA_ELEMENT_ID").fill(prompt)
    await page.get_by_role("button", name="arrow_forward Create").click()


def toasts(page: Page):
    """The toasts currently shown."""
    return page.locator('section[aria-label="Notifications alt+T"] li')


def make_image(path: Path, size=(1024, 768), color=(40, 140, 90)) -> Path:
    """A real PNG start frame."""
    Image.new("RGB", size, color).save(path)
    return path


def ffprobe(path: Path) -> dict:
    """Streams and format of a media file, as ffprobe reports them."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,width,height,r_frame_rate:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)
