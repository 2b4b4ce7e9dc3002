"""flow2026 end to end by hand-written Playwright steps (FLOW_2026 §2–§9): overlays, new
project, upload through the Add media menu and the rights dialog, pick the start frame, settings
model first, prompt, Start generation, the finished tile through a real mouse move, the 720p
download equal to the original, and exactly one eb1hJf on the wire."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.async_api import expect

from tests.flowsim.pages2026 import (
    FAST,
    bind_start,
    choose_frames,
    download,
    generate_button,
    make_png,
    new_project,
    open_context,
    set_settings,
    submits,
    type_prompt,
    upload,
    wait_video_tile,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")


async def test_upload_pick_settings_generate_download(chromium, sim, flowsim_url, tmp_path):
    await sim.configure(**FAST)
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url)
    assert (await page.title()).startswith("Google Flow - ")

    await upload(page, make_png(tmp_path / "happy-start-7f3a.png"))
    [asset] = await sim.uploads()
    assert asset["fileName"] == "happy-start-7f3a.png"

    await choose_frames(page)
    await bind_start(page, "happy-start-7f3a.png")

    values = await set_settings(page, model="Omni 1.1 Flash", duration="6s", resolution="720p",
                                aspect="9:16", count="x1")
    assert values == {"model": "Omni 1.1 Flash", "price": "10 credits", "media": "Video",
                      "mode": "Frames", "aspect": "9:16", "resolution": "720p",
                      "duration": "6s", "count": "x1"}
    summary = page.locator("span.settings-summary")
    await expect(summary).to_contain_text("720p")
    await expect(summary).to_contain_text("6s")
    await expect(summary.locator("mat-icon")).to_have_text("crop_9_16")

    button = generate_button(page)
    await expect(button).to_be_disabled()
    await type_prompt(page, "a paper boat on a rainy street")
    await expect(button).to_be_enabled()
    await button.click()

    tile = await wait_video_tile(page)
    saved = await download(page, tile, "720p Original size", tmp_path)

    [state] = await sim.tiles()
    original = (await context.request.get(
        f"{flowsim_url}/fx-content/download/{state['tile_id']}?size=720p")).body()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(await original).hexdigest()
    assert (await sim.downloads())["720p"] >= 1

    # No <i> anywhere; every icon is a font mat-icon.
    assert await page.locator("i").count() == 0
    icons = page.locator("mat-icon")
    assert await icons.count() == await page.locator(
        "mat-icon.google-symbols[data-mat-icon-type=font]").count() > 5
    # The balance lives only in the account panel.
    await page.locator("div[role=button].header-user-button").click()
    credits = page.get_by_role("link", name=re.compile("Google Flow credits"))
    await expect(credits).to_have_text(re.compile(r"^990 "))
    await page.get_by_role("button", name="Close account panel").click()
    await expect(credits).to_have_count(0)

    [sent] = submits(await sim.wire())
    assert (sent["rpc"], sent["kind"], sent["media_ids"][0], sent["model"], sent["duration"],
            sent["resolution"], sent["aspect"], sent["count"], sent["credits"], sent["refused"],
            sent["trusted"]) == (
        "eb1hJf", "i2v", asset["mediaId"], "Omni 1.1 Flash", 6, "720p", "9:16", 1, 10, None, True)
    assert "_i2v_" in sent["model_key"]
    await context.close()
