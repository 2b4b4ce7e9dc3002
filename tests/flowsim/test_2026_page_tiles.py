"""flow2026 grid traps (FLOW_2026 §8–§9): the hover toolbar only a real mouse move reveals and
the <video> mounted only while hovered, opaque thumbnails after a reload, the blank gap, titles
while rendering, queued tiles, virtualised rows and the top bar hidden once scrolled, failed
tiles with Retry (billed again) and the agent-mode failure, 1080p on demand as a blob download
or never, 4K disabled on Pro."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import expect

from tests.flowsim.pages2026 import (
    QUIET,
    WAIT_MS,
    ffprobe,
    generate_button,
    new_project,
    open_context,
    real_mouse_over,
    set_settings,
    type_prompt,
    wait_submits,
    wait_video_tile,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

NAIVE_MS = 1500


async def project(chromium, sim, flowsim_url, **config):
    """A new project with every first-visit overlay off (plus `config`)."""
    await sim.configure(**{**QUIET, "generation_seconds": 1.0, **config})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    return context, page


async def generate(page, prompt: str) -> None:
    """Type and click Start generation."""
    await type_prompt(page, prompt)
    await generate_button(page).click()


async def test_hover_alone_shows_no_toolbar_a_real_move_does(chromium, sim, flowsim_url, tmp_path):
    context, page = await project(chromium, sim, flowsim_url)
    await generate(page, "a lantern in the wind")
    tile = await wait_video_tile(page)
    await expect(tile.locator("video")).to_have_count(0)  # at rest: a thumbnail only
    await expect(tile.locator("img.thumbnail")).to_have_attribute("alt", "Generated video thumbnail")
    await tile.hover()  # naive
    await expect(tile.locator("video")).to_have_count(1)
    await page.wait_for_timeout(300)
    await expect(tile.locator("flow-hotbar-container")).to_have_count(0)
    with pytest.raises(PlaywrightTimeout):
        await tile.get_by_role("button", name="More options").click(timeout=NAIVE_MS)
    await page.mouse.move(5, 5)  # away: the video unmounts
    await expect(tile.locator("video")).to_have_count(0)
    await real_mouse_over(page, tile)  # careful
    hotbar = tile.locator("flow-hotbar-container div.hotbar-inner flow-video-hotbar")
    await expect(hotbar.get_by_role("button", name="Favorite")).to_be_visible()
    await expect(hotbar.get_by_role("button", name="Reuse prompt")).to_be_visible()
    more = hotbar.get_by_role("button", name="More options")
    await expect(more).to_have_attribute("aria-haspopup", "menu")
    src = await tile.locator("video").get_attribute("src")
    assert "/fx-content/preview/" in src  # the hover video is never the original
    await more.click()
    menu = page.locator("div[role=menu].mat-mdc-menu-panel > div.mat-mdc-menu-content")
    await menu.locator("flow-menu-item > button[role=menuitem]").filter(has_text="Download").click()
    labels = [t.strip() for t in await menu.locator("button[role=menuitem] .mat-mdc-menu-item-text").all_inner_texts()]
    assert labels == ["270p Animated GIF", "720p Original size", "1080p Upscaled", "4K Upscaled"]
    await expect(menu.get_by_role("menuitem", name="4K Upscaled")).to_be_disabled()  # Pro
    await page.keyboard.press("Escape")
    # A click on the tile opens the clip's edit view with its own Download media menu.
    [state] = await sim.tiles()
    await tile.click()
    await page.wait_for_url(re.compile(rf".*/project/[0-9a-f-]+/edit/{state['tile_id']}$"))
    await page.get_by_role("button", name="Download media").click()
    async with page.expect_download() as info:
        await page.get_by_role("menuitem", name="720p Original size").click()
    assert (await info.value).suggested_filename.endswith("_720p.mp4")
    await expect(page.locator("flow-edit-video-prompt-box button.extend-mode-chip")).to_have_text(
        "Extend (Veo 3.1 - Lite)")
    await context.close()


async def test_thumbnails_turn_opaque_after_a_reload(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await generate(page, "a paper crane")
    tile = await wait_video_tile(page)
    [state] = await sim.tiles()
    live = await tile.locator("img.thumbnail").get_attribute("src")
    assert f"/fx-content/image/{state['tile_id']}" in live
    await page.reload()
    tile = await wait_video_tile(page)
    opaque = await tile.locator("img.thumbnail").get_attribute("src")
    assert opaque.startswith("/asb/") and state["tile_id"] not in opaque
    await context.close()


async def test_blank_gap_between_progress_and_media(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, blank_gap_ms=[2000, 2000],
                                  generation_seconds=2.0)
    await generate(page, "a slow wave")
    container = page.locator("flow-grid-tile-container")
    await expect(container.locator("flow-pending-tile")).to_have_count(1)
    await expect(container.locator("flow-pending-tile")).to_have_count(0, timeout=WAIT_MS)
    # Neither progress nor media nor failure: not done, not failed.
    assert await container.locator("flow-video-tile, flow-error-tile").count() == 0
    await expect(container.locator("flow-video-tile img.thumbnail")).to_have_count(1)
    await context.close()


async def test_title_while_rendering_queued_tiles_virtual_rows_hidden_top_bar(chromium, sim,
                                                                               flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, slots=2, queue_limit=30,
                                  generation_seconds=60.0, virtualise_after=8)
    await set_settings(page, count="x4", resolution="360p")
    await generate(page, "tile batch 0")
    tiles = page.locator("flow-grid-tile-container")
    # A title shows while rendering, so a title does not mean done.
    rendering = tiles.filter(has=page.locator("flow-pending-tile:not(.queued) .loading-percentage"))
    await expect(rendering.first).to_have_attribute("aria-label", re.compile(r"\w"), timeout=WAIT_MS)
    await expect(page.locator("flow-pending-tile.queued")).to_have_count(2)  # 2 render slots
    for i in range(1, 5):
        await generate(page, f"tile batch {i}")
        await wait_submits(sim, i + 1)
    sent = await wait_submits(sim, 5)
    assert [(e["kind"], e["count"], e["refused"]) for e in sent] == [("t2v", 4, None)] * 5
    # The wire counts a submit when it arrives; its tiles come with the reply (seconds later at
    # Flow's timings): wait for the newest row before scrolling, or it lands after the scroll.
    batch4 = page.locator("flow-grid-tile-container .subtitle").filter(has_text="tile batch 4")
    await expect(batch4).to_have_count(4, timeout=WAIT_MS)
    # 20 tiles: only the rows near the viewport exist.
    assert await tiles.count() < 20
    scroller = page.locator("div.cdk-virtual-scrollable.page-container")
    newest = page.locator("div.tile-row").first.locator("flow-grid-tile-container").first
    newest_label = await newest.get_attribute("aria-label")
    await scroller.evaluate("s => { s.scrollTop = s.scrollHeight; }")
    await expect(page.locator("div.tile-row")).not_to_have_count(0)
    await expect(page.locator("flow-grid-tile-container .subtitle").filter(has_text="tile batch 0")).to_have_count(4)
    await expect(batch4).to_have_count(0)
    # The top bar hides once the grid is scrolled.
    with pytest.raises(PlaywrightTimeout):
        await page.get_by_role("button", name="Add media menu").click(timeout=NAIVE_MS)
    await scroller.evaluate("s => { s.scrollTop = 0; }")
    await page.get_by_role("button", name="Add media menu").click()
    await expect(page.get_by_role("menuitem", name="Upload")).to_be_visible()
    assert newest_label is not None
    await context.close()


async def test_failed_tile_retry_bills_again(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await sim.fail_next(1, "policy", 0)
    await generate(page, "a forbidden thing")
    error = page.locator("flow-grid-tile-container flow-error-tile .error-tile")
    await expect(error).to_be_visible(timeout=WAIT_MS)
    await expect(error.locator(".error-title")).to_have_text("Failed")
    await expect(error.locator(".error-message-text")).to_contain_text("might violate our policies")
    await expect(error.locator(".disclaimer-message")).to_have_text(
        "You have not been charged for this generation.")
    await expect(error.locator("mat-icon").first).to_have_text("warning")
    for name in ("Retry", "Reuse prompt", "Delete"):
        await expect(error.get_by_role("button", name=name)).to_be_visible()
    assert (await sim.counters())["credits_spent"] == 0  # refunded
    await error.get_by_role("button", name="Retry").click()
    await expect(page.locator("flow-grid-tile-container flow-video-tile img.thumbnail")).to_have_count(
        1, timeout=WAIT_MS)
    await expect(page.locator("flow-error-tile")).to_have_count(0)
    retries = [e for e in await sim.wire() if e.get("op") == "retry"]
    assert [(e["kind"], e["credits"]) for e in retries] == [("t2v", 12)]
    assert (await sim.counters())["credits_spent"] == 12
    await context.close()


async def test_agent_mode_failure_offers_only_delete(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, agent_chip=True)
    await sim.fail_next(1, "image_failed", 0)
    await expect(page.locator("flow-creative-agent-prompt-box")).to_have_count(1)
    await generate(page, "an agent-planned clip")
    error = page.locator("flow-error-tile .error-tile")
    await expect(error.locator(".error-message-text")).to_have_text(
        "Sorry, this image failed to generate.", timeout=WAIT_MS)
    await expect(error.get_by_role("button")).to_have_count(1)
    await error.get_by_role("button", name="Delete").click()
    await expect(page.locator("flow-grid-tile-container")).to_have_count(0)
    [sent] = await wait_submits(sim, 1)
    assert (sent["rpc"], sent["refused"]) == ("YhhmEf", None)
    await context.close()


async def test_1080p_arrives_later_as_a_blob_download(chromium, sim, flowsim_url, tmp_path):
    context, page = await project(chromium, sim, flowsim_url, upscale_1080_seconds=1.0)
    await generate(page, "a bridge at night")
    tile = await wait_video_tile(page)
    await real_mouse_over(page, tile)
    await tile.get_by_role("button", name="More options").click()
    menu = page.locator("div[role=menu]")
    await menu.get_by_role("menuitem", name="Download").click()
    async with page.expect_download(timeout=WAIT_MS) as info:
        await menu.get_by_role("menuitem", name="1080p Upscaled").click()
    dl = await info.value
    assert dl.url.startswith("blob:")
    saved = tmp_path / dl.suggested_filename
    await dl.save_as(saved)
    video = next(s for s in ffprobe(saved)["streams"] if s["codec_type"] == "video")
    assert video["height"] == 1080
    assert (await sim.downloads())["1080p"] == 1
    await context.close()


async def test_1080p_that_never_comes_leaves_720p_working(chromium, sim, flowsim_url, tmp_path):
    context, page = await project(chromium, sim, flowsim_url, upscale_1080_seconds=-1)
    await generate(page, "a road in the rain")
    tile = await wait_video_tile(page)
    await real_mouse_over(page, tile)
    await tile.get_by_role("button", name="More options").click()
    menu = page.locator("div[role=menu]")
    await menu.get_by_role("menuitem", name="Download").click()
    with pytest.raises(PlaywrightTimeout):  # naive: wait for the 1080p file
        async with page.expect_download(timeout=3000):
            await menu.get_by_role("menuitem", name="1080p Upscaled").click()
    await real_mouse_over(page, tile)  # retry only the download, at 720p
    await tile.get_by_role("button", name="More options").click()
    await menu.get_by_role("menuitem", name="Download").click()
    async with page.expect_download() as info:
        await menu.get_by_role("menuitem", name="720p Original size").click()
    await (await info.value).save_as(tmp_path / "clip.mp4")
    assert len(await wait_submits(sim, 1)) == 1  # nothing billed twice
    await context.close()


async def test_4k_is_priced_on_ultra(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, plan="ultra", upscale_1080_seconds=-1)
    await generate(page, "a mountain pass")
    tile = await wait_video_tile(page)
    await real_mouse_over(page, tile)
    await tile.get_by_role("button", name="More options").click()
    menu = page.locator("div[role=menu]")
    await menu.get_by_role("menuitem", name="Download").click()
    four_k = menu.locator("button[role=menuitem]").filter(has_text="4K Upscaled")
    await expect(four_k).to_be_enabled()
    await expect(four_k.locator(".menu-badge")).to_have_text("50")
    await four_k.click()
    await expect(page.locator("mat-snack-bar-container")).to_contain_text("Upscaling your video")
    [sent] = await wait_submits(sim, 1)
    spent = 12 + 50
    for _ in range(50):
        if (await sim.counters())["credits_spent"] == spent:
            break
        await page.wait_for_timeout(100)
    upscales = [e for e in await sim.wire() if e["rpc"] == "Qq9xPa"]
    assert upscales[0]["credits"] == 50 and sum(e["credits"] for e in upscales) == 50
    assert (sent["credits"], (await sim.counters())["credits_spent"]) == (12, spent)
    await context.close()
