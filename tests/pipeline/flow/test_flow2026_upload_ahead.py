"""Frames uploaded ahead (issue 10): while renders run the client uploads the next items'
frames into the batch's project; each submit then only picks its already-stored asset. Proved
on flowsim flow2026 by `sim.uploads()` (each frame once, even across a client restart) and the
wire (each i2v bound its own frame's media id)."""

from __future__ import annotations

from bot.pipeline.flow.api import GenerationRequest

from .flow2026 import QUIET, client_2026, png, submits


def _req(image, n):
    return GenerationRequest(image, f"shot {n}: a harbour at dusk", "9:16", 1, "Veo 3.1 - Fast",
                             duration=8, resolution="720p")


async def test_frames_uploaded_ahead_once_across_a_restart_and_each_submit_binds_its_own(
        flowsim_url, sim, sim_session_file, chromium, tmp_path):
    await sim.configure(**QUIET)
    frames = [png(tmp_path / f"f{i}.png", colour=(40 + 50 * i, 140, 90)) for i in range(3)]
    c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await c.start()
    try:
        assert await c.upload_ahead(frames[1:]) == 0  # no project yet: nothing to upload into
        first = await c.submit(_req(frames[0], 0))  # creates the batch's project (uploads frame 0)
        assert await c.upload_ahead(frames[1:]) == 2
        assert await c.upload_ahead(frames[1:]) == 0  # already stored: not uploaded twice
    finally:
        await c.close()
    assert len(await sim.uploads()) == 3 and len(submits(await sim.wire())) == 1

    # A restarted process (same ledger next to the session) reattaches to the project by
    # watching its earlier generation, as the pipeline does, then picks the stored frames.
    c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await c.start()
    try:
        await c.poll(first)
        handles = [await c.submit(_req(frames[i], i)) for i in (1, 2)]
        assert await c.upload_ahead(frames) == 0
    finally:
        await c.close()
    uploads = await sim.uploads()
    assert len(uploads) == 3  # each frame uploaded exactly once
    entries = submits(await sim.wire())
    assert len(entries) == 3
    by_order = [u["mediaId"] for u in uploads]
    assert [e["media_ids"][0] for e in entries] == by_order
    assert [h.frame_media_ids for h in handles] == [(by_order[1],), (by_order[2],)]
