"""The classic UI end to end in real Chromium: upload, crop, Notice, settings, Create,
progress, video, 720p download checked with ffprobe, state surviving a browser restart."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.flowsim.pages import (
    WAIT_MS,
    ffprobe,
    make_image,
    new_page,
    open_new_project,
    settings,
    submit,
)

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


async def test_portrait_frames_to_video_happy_path(chromium, sim, flowsim_url, tmp_path):
    context, page = await new_page(chromium, sim)
    project_url = await open_new_project(page, flowsim_url)

    await page.locator("button[role=combobox]").click()
    await page.get_by_role("option", name="photo_spark Frames to Video").click()
    await expect(page.locator("button[role=combobox]")).to_have_text("photo_spark" + "Frames to Video")

    # Settings: model first; changing the model resets aspect and outputs to the defaults.
    assert await settings(page, aspect="Portrait (9:16)", outputs=1) == {
        "Model": "Veo 3.1 - Fast", "Aspect Ratio": "Portrait (9:16)", "Outputs per prompt": "1"}
    assert await settings(page, model="Veo 3.1 - Quality") == {
        "Model": "Veo 3.1 - Quality", "Aspect Ratio": "Landscape (16:9)", "Outputs per prompt": "2"}
    assert await settings(page, model="Veo 3.1 - Fast", aspect="Portrait (9:16)", outputs=1) == {
        "Model": "Veo 3.1 - Fast", "Aspect Ratio": "Portrait (9:16)", "Outputs per prompt": "1"}

    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="add", exact=True).first.click()
    await (await chooser.value).set_files(make_image(tmp_path / "frame.png"))
    crop = page.get_by_role("dialog", name="Crop your frame")
    await crop.get_by_role("button", name="Crop and Save").click()
    notice = page.get_by_role("dialog", name="Notice")
    await notice.get_by_role("button", name="Agree").click()
    await expect(page.locator("img[alt='Start frame']")).to_be_visible()
    await expect(page.get_by_role("button", name="add", exact=True)).to_have_count(1)

    create = page.get_by_role("button", name="arrow_forward Create")
    await expect(create).to_be_disabled()
    await submit(page, "a green field under a slow sky")

    tile = page.locator("[data-index='0'] [data-tile-id]")
    await expect(tile).to_have_count(1)
    await expect(tile.get_by_text("progress_activity")).to_be_visible()
    await expect(tile.get_by_text("a green field under a slow sky")).to_be_visible()
    await expect(tile.get_by_text("Veo 3.1 - Fast")).to_be_visible()
    await expect(tile.get_by_text("%", exact=False)).to_be_visible(timeout=WAIT_MS)
    await expect(tile.locator("video")).to_have_attribute(
        "src", re.compile(r"/storage/flowsim/\w+\.mp4"), timeout=WAIT_MS)
    await expect(tile.get_by_text("0:08")).to_be_visible()
    await expect(tile.get_by_role("button", name="play_arrow")).to_be_visible()

    await tile.get_by_role("button", name="download Download").click()
    async with page.expect_download() as info:
        await page.get_by_role("menuitem", name="capture Original size (720p)").click()
    download = await info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    probe = ffprobe(saved)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    audio = next(s for s in probe["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["width"], video["height"], video["r_frame_rate"]) == (
        "h264", 720, 1280, "24/1")
    assert audio["codec_name"] == "aac"
    assert abs(float(probe["format"]["duration"]) - 8.0) < 0.1

    counters = await sim.counters()
    assert (counters["submissions"], counters["credits_spent"], counters["downloads"]) == (
        1, 20, {"720p": 1})
    [state] = await sim.tiles()
    assert (state["state"], state["aspect"], state["start_media"] is not None) == ("done", "9:16", True)
    await context.close()

    # A new browser (fresh context, same cookie) re-opens the same project with its tile.
    context, page = await new_page(chromium, sim)
    await page.goto(project_url)
    await expect(page.locator(f"[data-tile-id='{state['tile_id']}'] video")).to_have_count(1)
    assert (await sim.counters())["submissions"] == 1
    await context.close()


async def test_rejected_images_never_appear(chromium, sim, flowsim_url, tmp_path):
    await sim.configure(landing=False, max_upload_bytes=50_000)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await page.locator("button[role=combobox]").click()
    await page.get_by_role("option", name="photo_spark Frames to Video").click()
    file_input = page.locator("input[type=file]")
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image, whatever the name says")
    too_big = tmp_path / "huge.bmp"
    make_image(too_big, size=(400, 400))  # ~480 KB of BMP, over the 50 KB limit
    for rejected in (bogus, too_big):
        await file_input.set_input_files(rejected)
    # Then a good one: its crop dialog must be the first dialog this page shows at all.
    await file_input.set_input_files(make_image(tmp_path / "ok.png", size=(320, 240)))
    await expect(page.get_by_role("dialog")).to_have_count(1)
    await expect(page.get_by_role("dialog", name="Crop your frame")).to_be_visible()
    await page.get_by_role("button", name="Crop and Save").click()
    await page.get_by_role("dialog", name="Notice").get_by_role("button", name="Agree").click()
    await expect(page.locator("img[alt='Start frame']")).to_have_count(1)
    assert (await sim.counters())["submissions"] == 0
    await context.close()
