"""Tiles and downloads on flowsim's flow2026 variant: download retries that never resubmit,
Flow's own 1080p (and its bounded wait), failed tiles read from the page's poll replies."""

from __future__ import annotations

import pytest

from bot.errors import DownloadIncompleteError, RetryableFlowError
from bot.pipeline.flow.api import GenerationRequest

from .flow2026 import QUIET, client_2026, late_modal_script, submits
from .helpers import wait_terminal


async def done_clip(client, prompt="gulls over a harbour"):
    handle = await client.submit(GenerationRequest(None, prompt, "16:9", 1, "Omni 1.1 Flash",
                                                   duration=4, resolution="360p"))
    [status] = await wait_terminal(client, handle)
    assert status.state == "done"
    return handle


async def test_cut_download_is_retried_as_a_download_only(client26, sim, tmp_path):
    handle = await done_clip(client26)
    await sim.truncate_next_download()
    dest = tmp_path / "out" / "clip.mp4"
    with pytest.raises(DownloadIncompleteError) as info:
        await client26.download(handle, handle.tile_ids[0], dest)
    assert isinstance(info.value, RetryableFlowError)
    assert not dest.exists() and not any(dest.parent.glob(f".{dest.name}*"))  # nothing left
    saved = await client26.download(handle, handle.tile_ids[0], dest)
    assert saved.stat().st_size > 10_000
    assert (await sim.downloads()).get("720p") == 2
    assert len(submits(await sim.wire())) == 1  # never a second submission


async def test_1080p_from_flow(client26, sim, tmp_path):
    await sim.configure(upscale_1080_seconds=1.0)
    handle = await done_clip(client26)
    saved = await client26.download(handle, handle.tile_ids[0], tmp_path / "hd.mp4", size="1080p")
    assert saved.stat().st_size > 10_000
    assert len(submits(await sim.wire())) == 1


async def test_1080p_that_never_comes_times_out_for_a_local_fallback(flowsim_url, sim, sim_session_file,
                                                                      chromium, tmp_path):
    await sim.configure(**QUIET, upscale_1080_seconds=-1)
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium, upscale_1080_timeout_s=3.0)
    await client.start()
    try:
        handle = await done_clip(client)
        with pytest.raises(RetryableFlowError) as info:
            await client.download(handle, handle.tile_ids[0], tmp_path / "hd.mp4", size="1080p")
        assert info.value.code == "upscale_timeout"
        assert not (tmp_path / "hd.mp4").exists()
        # The page is still usable: the 720p original downloads at once.
        await client.download(handle, handle.tile_ids[0], tmp_path / "sd.mp4")
    finally:
        await client.close()


async def test_failed_tile_is_read_from_the_page_and_classified(client26, sim):
    await sim.fail_next(1, "image_failed", 30)
    handle = await client26.submit(GenerationRequest(None, "a tram in the rain", "16:9", 1,
                                                     "Omni 1.1 Flash", duration=4, resolution="360p"))
    [status] = await wait_terminal(client26, handle)
    assert status.state == "failed" and status.error is not None
    assert status.error.code == "image_failed" and status.error.error_class == "retryable"


async def test_flow_retry_on_the_right_failed_tile_only(client26, sim):
    # Two outputs of one prompt fail: both error tiles read alike (same title, no media id).
    await sim.fail_next(2, "something_wrong", 30)
    handle = await client26.submit(GenerationRequest(None, "lanterns on a river", "16:9", 2,
                                                     "Omni 1.1 Flash", duration=4, resolution="360p"))
    statuses = await wait_terminal(client26, handle)
    assert [s.state for s in statuses] == ["failed", "failed"]
    # Retry the one the page shows second (flowsim's grid: newest first, ties by media id), so
    # the first error tile's Retry request must be vetoed before it leaves the page.
    created = {t["tile_id"]: t["created_at"] for t in await sim.tiles()}
    target = sorted(handle.tile_ids, key=lambda i: (-created[i], i))[1]
    aborted = []
    client26.session.current_page.on(
        "requestfailed", lambda r: aborted.append(r.url) if "Lm2sRd" in r.url else None)
    again = await client26.retry_tile(handle, target)
    assert len(aborted) == 1
    retries = [e for e in await sim.wire() if e["rpc"] == "Lm2sRd" and e.get("kind")]
    assert len(retries) == 1 and retries[0]["refused"] is None  # one retry billed...
    [logged] = [e for e in await sim.submissions() if e.get("retry")]
    assert logged["retry"] == target and list(logged["tile_ids"]) == list(again.tile_ids)  # ours
    assert len(again.tile_ids) == 1 and again.tile_ids[0] not in handle.tile_ids
    [status] = await wait_terminal(client26, again)
    assert status.state == "done"


async def test_download_when_the_composer_floats_over_the_tile(flowsim_url, sim, sim_session_file,
                                                                 chromium, tmp_path):
    # Regression: with seven uploads and clips in the grid, a tile's centre lay under the fixed
    # composer; the mouse moved onto the composer, the hotbar never showed ('tile_more' missing)
    # and the pipeline's collect task failed again and again. The pointer now goes to a point
    # that really hits the tile.
    from .flow2026 import png

    await sim.configure(generation_seconds=3, slots=12, poll_ms=1000)
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium, accept_upload_terms=True)
    await client.start()
    try:
        handles = [await client.submit(GenerationRequest(png(tmp_path / f"{i}.png"), f"slot {i}", "16:9",
                                                         1, "Veo 3.1 - Fast")) for i in range(7)]
        for handle in handles:
            await wait_terminal(client, handle)
        for handle in handles:
            await client.download(handle, handle.tile_ids[0], tmp_path / f"{handle.tile_ids[0]}.mp4")
    finally:
        await client.close()
    assert (await sim.downloads()).get("720p") == 7


# The page jumps back to the top right after a tile was scrolled into view (Angular re-renders
# the grid when new tiles land on top): the virtualised grid drops the row just revealed. Once.
_SCROLL_RESET_AFTER_REVEAL = """(() => {
  const original = Element.prototype.scrollIntoView;
  Element.prototype.scrollIntoView = function (...args) {
    original.apply(this, args);
    if (window.__resetDone || !this.matches("flow-grid-tile-container")) return;
    window.__resetDone = true;
    setTimeout(() => { for (const g of document.querySelectorAll(".cdk-virtual-scrollable")) g.scrollTop = 0; }, 0);
  };
})()"""


async def test_download_of_a_tile_the_virtualised_grid_dropped_after_reveal(
        flowsim_url, sim, sim_session_file, chromium, tmp_path):
    """Regression: after the grid dropped a tile it had just revealed (the makespan bench, with
    submits answered while a download runs), the download failed (8 s on a locator, then a
    TypeError in the re-reveal path). It now reveals the tile again."""
    await sim.configure(**{**QUIET, "generation_seconds": 1.0, "slots": 20, "virtualise_after": 2})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        handles = [await client.submit(GenerationRequest(
            None, f"row {i}: lanterns on a river", "16:9", 4, "Omni 1.1 Flash", duration=4,
            resolution="360p")) for i in range(5)]
        for handle in handles:
            await wait_terminal(client, handle)
        page = await client.session.page()
        await page.evaluate(_SCROLL_RESET_AFTER_REVEAL)
        oldest = handles[0].tile_ids[-1]  # the bottom row: outside the grid's window at the top
        dest = await client.download(handles[0], oldest, tmp_path / "oldest.mp4")
        assert await page.evaluate("window.__resetDone === true")
    finally:
        await client.close()
    assert dest.stat().st_size > 10_000
    assert (await sim.downloads()).get("720p") == 1 and len(submits(await sim.wire())) == 5


# A first-visit modal that opens as the pointer reaches a tile (late, over the grid).
_LATE_MODAL_ON_TILE_HOVER = late_modal_script("""
  document.addEventListener("mouseover", (ev) => {
    if (ev.target.closest("flow-grid-tile-container")) open();
  }, true);""")


async def test_tile_hover_under_a_late_modal_never_showed_the_hotbar(client26, sim, tmp_path):
    """Regression: a modal opening over the grid took the pointer; every mouse move landed on
    its backdrop, no hotbar, and the download failed ('tile_more'). A miss now closes it."""
    handle = await done_clip(client26)
    page = await client26.session.page()
    await page.evaluate(_LATE_MODAL_ON_TILE_HOVER)
    dest = await client26.download(handle, handle.tile_ids[0], tmp_path / "clip.mp4")
    assert dest.stat().st_size > 10_000
    assert await page.locator("mat-dialog-container.late-modal").count() == 0


async def test_no_clip_plays_on_after_a_download(client26, tmp_path):
    """Regression: the pointer rested on the downloaded tile, whose hover `<video>` then played
    in a loop for as long as the page stayed open (a decoder busy for nothing)."""
    handle = await done_clip(client26)
    await client26.download(handle, handle.tile_ids[0], tmp_path / "clip.mp4")
    page = await client26.session.page()
    assert await page.locator(f'video[src*="{handle.tile_ids[0]}"]').count() == 0
    assert await page.locator("video").evaluate_all(
        "(vs) => vs.filter((v) => !v.paused).length") == 0
