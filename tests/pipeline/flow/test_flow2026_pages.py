"""Harder pages of flowsim's flow2026 variant through the real client: a Vietnamese page, the
picker's preview mode with slow storage and a lagging search, a client restarted mid-render, and
which pages the UI detection recognises (an unknown page is never guessed)."""

from __future__ import annotations

import pytest

from bot.pipeline.flow import ui
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.locate import NotFound

from .flow2026 import QUIET, client_2026, png, submits
from .helpers import wait_terminal


async def test_vietnamese_page_without_the_english_pin(flowsim_url, sim, sim_session_file,
                                                       chromium, tmp_path):
    # An account whose page ignores the English pin: every label is Vietnamese; the driver's
    # anchors are tags, classes, ligatures and numbers, so the same steps work.
    await sim.configure(**{**QUIET, "cookie_bar": "consent", "changelog": True, "agent_panel": True})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium, ui_lang="vi")
    await client.start()
    try:
        req = GenerationRequest(png(tmp_path / "s.png"), "mưa trên mái tôn", "16:9", 1,
                                "Omni 1.1 Flash", duration=6, resolution="720p")
        handle = await client.submit(req)
        page = client.session.current_page
        assert await page.evaluate("document.documentElement.lang") == "vi"
        [status] = await wait_terminal(client, handle)
        assert status.state == "done"
        await client.download(handle, handle.tile_ids[0], tmp_path / "vi.mp4")
        info = await client.check_session()
    finally:
        await client.close()
    [entry] = submits(await sim.wire())
    assert (entry["kind"], entry["model"], entry["duration"], entry["count"]) == ("i2v", "Omni 1.1 Flash", 6, 1)
    assert info.signed_in and info.credits is not None and info.extra["plan"] == "pro"


async def test_picker_preview_mode_slow_storage_and_search_lag(flowsim_url, sim, sim_session_file,
                                                               chromium, tmp_path):
    await sim.configure(**{**QUIET, "picker_mode": "preview", "upload_store_seconds": 1.5,
                           "search_lag_seconds": 1.0})
    # An older upload is already stored: "Add to prompt" on an Uploading… item would bind it.
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        first = await client.submit(GenerationRequest(png(tmp_path / "a.png", (30, 30, 160)), "first",
                                                      "9:16", 1, "Veo 3.1 - Lite"))
        second = await client.submit(GenerationRequest(png(tmp_path / "b.png", (160, 30, 30)), "second",
                                                       "9:16", 1, "Veo 3.1 - Lite"))
    finally:
        await client.close()
    uploads = {u["fileName"]: u["mediaId"] for u in await sim.uploads()}
    a, b = submits(await sim.wire())
    assert a["media_ids"][0] != b["media_ids"][0]
    assert {a["media_ids"][0], b["media_ids"][0]} == set(uploads.values())
    assert second.frame_media_ids == (b["media_ids"][0],) and first.frame_media_ids == (a["media_ids"][0],)


async def test_a_new_client_reattaches_and_downloads_by_the_edit_view(flowsim_url, sim, sim_session_file,
                                                                      chromium, tmp_path):
    await sim.configure(**QUIET)
    first = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await first.start()
    try:
        handle = await first.submit(GenerationRequest(None, "clouds over a ridge", "16:9", 1,
                                                      "Veo 3.1 - Lite"))
        await wait_terminal(first, handle)
    finally:
        await first.close()
    # A restarted bot: a new client, the handle from the database. Finished tiles now show
    # opaque /asb/ thumbnails (no media id), so the download goes through the edit view.
    again = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await again.start()
    try:
        [status] = await again.poll(handle)
        assert status.state == "done"
        found = await again.find_submission("clouds over a ridge", handle.submitted_at - 1)
        dest = await again.download(handle, handle.tile_ids[0], tmp_path / "again.mp4")
    finally:
        await again.close()
    assert found is not None and set(found.tile_ids) == set(handle.tile_ids)
    assert dest.stat().st_size > 20_000
    assert (await sim.downloads()).get("720p") == 1


async def test_detect_knows_the_living_ui_and_sign_in_and_nothing_else(chromium, sim, flowsim_url,
                                                                       sim_session_file):
    await sim.configure(**QUIET)
    context = await chromium.new_context(storage_state=str(sim_session_file))
    try:
        page = await context.new_page()
        await page.goto(f"{flowsim_url}/")
        assert await ui.detect(page, 10) == "flow2026"
        # The retired classic address lands on the new site.
        await page.goto(f"{flowsim_url}/fx/tools/flow")
        assert page.url == f"{flowsim_url}/" and await ui.detect(page, 10) == "flow2026"
        # Google's sign-in page: the living generation tells the session expired there.
        await page.goto(f"{flowsim_url}/accounts.google.com/v3/signin/identifier")
        assert await ui.detect(page, 1) == "flow2026"
        # A rendered page with buttons but no marker of the living UI (say, the old classic
        # landing) is an unknown page: Flow changed beyond the driver.
        await page.goto("about:blank")
        await page.set_content("<main><button>Create with Flow</button>"
                               "<i class='google-symbols'>add_2</i></main>")
        with pytest.raises(NotFound):
            await ui.detect(page, 1)
    finally:
        await context.close()
