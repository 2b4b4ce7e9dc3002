"""flow2026 start-frame traps (FLOW_2026 §6): a fresh upload reaches the picker late and its
search later still; the two picker behaviours (a click binds / a click only previews and
"Add to prompt" binds); "Add to prompt" while the option reads Uploading… binds a different
image. The wrong thing billed is shown on the wire."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.flowsim.pages2026 import (
    QUIET,
    bind_start,
    choose_frames,
    close_overlays,
    generate_button,
    make_png,
    new_project,
    open_context,
    submits,
    type_prompt,
    upload,
    wait_submits,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

CHIP_IMG = "flow-ingredient-bar flow-image-ingredient-chip button.chip-container img"


async def project(chromium, sim, flowsim_url, **config):
    """A new project in Frames mode, overlays off."""
    await sim.configure(**{**QUIET, **config})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    await choose_frames(page)
    return context, page


def start_chip(page):
    """The Start chip's button (empty or bound)."""
    return page.locator("flow-ingredient-bar div.frame-trigger").first.locator("button").first


async def test_fresh_upload_reaches_the_picker_and_its_search_late(chromium, sim, flowsim_url,
                                                                   tmp_path):
    context, page = await project(chromium, sim, flowsim_url, upload_store_seconds=3,
                                  search_lag_seconds=4)
    await upload(page, make_png(tmp_path / "late-frame-91.png"))
    # The grid shows it at once (title only, 99%) ...
    upload_tile = page.locator("flow-grid-tile-container[aria-label='late-frame-91.png']")
    await expect(upload_tile.locator(".loading-percentage")).to_have_text("99%")
    # ... but the picker lists it only as Uploading…, without its name.
    await start_chip(page).click()
    picker = page.locator("flow-add-menu-popover-content")
    await expect(picker.get_by_role("heading")).to_have_text("Select a frame image")
    options = picker.get_by_role("listbox", name="Asset list").locator("button.asset-item[role=option]")
    await expect(options).to_have_count(1)
    await expect(options).to_contain_text("Uploading…")
    await expect(options).not_to_contain_text("late-frame-91")
    await options.click()  # naive: click the only option
    await close_overlays(page)
    await expect(page.locator(CHIP_IMG)).to_have_count(0)
    # Stored now, but the server-side search is still behind.
    await expect(upload_tile.locator("img[data-media-id]")).to_have_count(1)
    await start_chip(page).click()
    await picker.locator("input[type=text]").fill("late-frame-91")
    await page.wait_for_timeout(700)
    await expect(options.filter(has_text="late-frame-91.png")).to_have_count(0)
    await close_overlays(page)
    # Careful: search again, reopening the picker, until it lists the file; verify the chip.
    await bind_start(page, "late-frame-91.png", tries=6)
    await type_prompt(page, "a boat leaving the frame")
    await generate_button(page).click()
    await expect(page.locator("flow-pending-tile, flow-video-tile")).to_have_count(1)
    [asset] = await sim.uploads()
    [sent] = submits(await sim.wire())
    assert (sent["rpc"], sent["kind"], sent["media_ids"][0]) == ("eb1hJf", "i2v", asset["mediaId"])
    assert "_i2v_" in sent["model_key"]
    await context.close()


async def test_preview_picker_binds_only_through_add_to_prompt(chromium, sim, flowsim_url,
                                                               tmp_path):
    context, page = await project(chromium, sim, flowsim_url, picker_mode="preview")
    await upload(page, make_png(tmp_path / "preview-frame.png"))
    await expect(page.locator("flow-grid-tile-container img[data-media-id]")).to_have_count(1)
    await start_chip(page).click()
    picker = page.locator("flow-add-menu-popover-content")
    option = picker.locator("button.asset-item[role=option]").filter(has_text="preview-frame.png")
    await option.click()  # naive: a click is assumed to bind
    await expect(picker.locator("button.detail-add-to-prompt-btn")).to_have_text("Add to prompt")
    await close_overlays(page)
    await expect(page.locator(CHIP_IMG)).to_have_count(0)
    await type_prompt(page, "a kite over the dunes")
    await generate_button(page).click()
    await expect(page.locator("flow-grid-tile-container:not([aria-label='preview-frame.png'])")
                 ).to_have_count(1)
    [billed] = submits(await sim.wire())
    assert (billed["rpc"], billed["kind"], billed["credits"]) == ("YhhmEf", "t2v", 12)
    # Careful: preview, then Add to prompt, then verify the chip before submitting.
    await start_chip(page).click()
    await option.click()
    await picker.locator("button.detail-add-to-prompt-btn").click()
    await expect(picker).to_have_count(0)
    await expect(page.locator(CHIP_IMG)).to_have_attribute("alt", "preview-frame.png")
    await generate_button(page).click()
    second = (await wait_submits(sim, 2))[1]
    [asset] = await sim.uploads()
    assert (second["rpc"], second["media_ids"][0]) == ("eb1hJf", asset["mediaId"])
    await context.close()


async def test_add_to_prompt_while_uploading_binds_another_image(chromium, sim, flowsim_url,
                                                                 tmp_path):
    context, page = await project(chromium, sim, flowsim_url, picker_mode="preview")
    await upload(page, make_png(tmp_path / "older-frame.png", color=(200, 40, 40)))
    await expect(page.locator("flow-grid-tile-container img[data-media-id]")).to_have_count(1)
    await sim.configure(upload_store_seconds=30)
    await upload(page, make_png(tmp_path / "wanted-frame.png", color=(40, 40, 200)), rights=False)
    await start_chip(page).click()
    picker = page.locator("flow-add-menu-popover-content")
    uploading = picker.locator("button.asset-item[role=option]").filter(has_text="Uploading…")
    await expect(uploading).to_have_count(1)
    await uploading.click()
    await picker.locator("button.detail-add-to-prompt-btn").click()  # naive
    chip = page.locator(CHIP_IMG)
    await expect(chip).to_have_count(1)
    await expect(chip).to_have_attribute("alt", "older-frame.png")  # silently the other image
    await type_prompt(page, "the wanted frame, animated")
    await generate_button(page).click()
    [sent] = await wait_submits(sim, 1)
    ids = {u["fileName"]: u["mediaId"] for u in await sim.uploads()}
    assert sent["rpc"] == "eb1hJf"
    assert sent["media_ids"][0] == ids["older-frame.png"] != ids["wanted-frame.png"]
    await context.close()


async def test_upload_refusal_is_shown_and_nothing_reaches_the_picker(chromium, sim, flowsim_url,
                                                                     tmp_path):
    context, page = await project(chromium, sim, flowsim_url)
    # flowsim's trigger for the minors refusal: an image that is nearly pure magenta.
    await upload(page, make_png(tmp_path / "small-faces.png", color=(250, 5, 250)), accepted=False)
    await expect(page.locator("mat-snack-bar-container")).to_contain_text(
        "We do not allow uploads of minors at this time")
    await expect(page.locator("flow-grid-tile-container")).to_have_count(0)
    await start_chip(page).click()
    await expect(page.locator("flow-add-menu-popover-content button.asset-item")).to_have_count(0)
    [refused] = await sim.uploads()
    assert (refused["refused"], refused["mediaId"]) == ("minor", None)
    await context.close()
