"""Download menu (GIF, 720p, 1080p upscale toasts, 4K upgrade) and the feb2026 UI variant
switched while a page is open."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from flowsim import texts
from tests.flowsim.pages import (
    WAIT_MS,
    ffprobe,
    new_page,
    open_new_project,
    settings,
    submit,
    toasts,
)

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


def video_size(path) -> tuple[int, int]:
    """(width, height) of the first video stream."""
    stream = next(s for s in ffprobe(path)["streams"] if s["codec_type"] == "video")
    return stream["width"], stream["height"]


async def test_download_menu_gif_upscale_and_4k(chromium, sim, flowsim_url, tmp_path):
    await sim.configure(landing=False, upscale_seconds=1)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await settings(page, outputs=1)
    await submit(page, "text only, landscape")
    tile = page.locator("[data-tile-id]")
    await expect(tile.locator("video")).to_have_count(1, timeout=WAIT_MS)
    menu_button = tile.get_by_role("button", name="download Download")
    await expect(menu_button).to_have_attribute("aria-haspopup", "menu")

    await menu_button.click()
    async with page.expect_download() as info:
        await page.get_by_role("menuitem", name="gif_box Animated GIF (270p)").click()
    gif = tmp_path / "clip.gif"
    await (await info.value).save_as(gif)
    assert video_size(gif)[1] == 270

    await menu_button.click()
    four_k = page.get_by_role("menuitem", name="4k Upscaled (4K)")
    await expect(four_k.locator(".badge")).to_have_text("Upgrade")
    await four_k.click()
    await expect(toasts(page).filter(has_text=texts.UPGRADE_4K)).to_be_visible()

    await menu_button.click()
    await page.get_by_role("menuitem", name="aspect_ratio Upscaled (1080p)").click()
    await expect(toasts(page).filter(has_text=texts.UPSCALING)).to_be_visible()
    done = toasts(page).filter(has_text=texts.UPSCALED)
    await expect(done).to_be_visible(timeout=WAIT_MS)
    await expect(toasts(page).filter(has_text=texts.UPSCALING)).to_have_count(0)
    await expect(done.get_by_role("button", name="Dismiss")).to_be_visible()
    async with page.expect_download() as info:
        await done.get_by_role("button", name="Download").click()
    upscaled = tmp_path / "clip-1080p.mp4"
    await (await info.value).save_as(upscaled)
    assert video_size(upscaled) == (1920, 1080)
    assert (await sim.counters())["downloads"] == {"270p": 1, "1080p": 1}
    await context.close()


async def test_feb2026_variant_switched_at_run_time(chromium, sim, flowsim_url, tmp_path):
    await sim.configure(landing=False)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await expect(page.locator("#PINHOLE_TEXT_AREA_ELEMENT_ID")).to_be_visible()
    await sim.configure(variant="feb2026")
    # The open page reloads itself into the new UI at its next poll.
    prompt = page.locator("[contenteditable=true][role=textbox]")
    await expect(prompt).to_be_visible()
    await expect(page.locator("textarea")).to_have_count(0)
    await expect(page.get_by_role("button", name="tune", exact=True)).to_have_count(0)
    badge = page.locator("button.settings-badge[aria-haspopup=dialog]")
    await expect(badge).to_have_text("Veo 3.1 - Fast" + "16:9" + "x2")
    await badge.click()
    dialog = page.get_by_role("dialog", name="Settings")
    await dialog.get_by_role("combobox", name="Outputs per prompt").click()
    await page.get_by_role("option", name="1", exact=True).click()
    await page.keyboard.press("Escape")
    await expect(badge).to_have_text("Veo 3.1 - Fast" + "16:9" + "x1")

    await prompt.fill("drifted UI, same product")
    await page.get_by_role("button", name="arrow_forward Create").click()
    tile = page.locator("[data-tile-id]")
    await expect(tile.locator("video")).to_have_count(1, timeout=WAIT_MS)
    await expect(tile.get_by_role("button", name="download Download")).to_have_count(0)
    await tile.get_by_role("button", name="more_vert").click()
    await page.get_by_role("menuitem", name="download Download").click()
    async with page.expect_download() as info:
        await page.get_by_role("menuitem", name="720p", exact=True).click()
    clip = tmp_path / "feb.mp4"
    await (await info.value).save_as(clip)
    assert video_size(clip) == (1280, 720)
    [state] = await sim.tiles()
    assert state["prompt"] == "drifted UI, same product"
    await context.close()
