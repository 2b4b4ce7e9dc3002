"""Frames uploaded ahead (issue 10): while renders run the client uploads the next items'
frames into the batch's project; each submit then only picks its already-stored asset. Proved
on flowsim flow2026 by `sim.uploads()` (each frame once, even across a client restart) and the
wire (each i2v bound its own frame's media id)."""

from __future__ import annotations

import pytest

from bot.clock import SystemClock
from bot.pipeline.flow.api import GenerationRequest
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

from .flow2026 import QUIET, client_2026, png, submits

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")


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


async def test_pipeline_uploads_waiting_items_frames_while_a_render_runs(sim, chromium,
                                                                         sim_session_file,
                                                                         tmp_path):
    # One render slot and nothing queued in Flow ahead: items 2 and 3 wait for the slot while
    # item 1 renders (10 s, long enough for the loop to see no slot freeing soon); their frames
    # go up in that time.
    await sim.configure(**QUIET, generation_seconds=10.0)
    settings = make_settings(tmp_path / "data", sim.base_url, render_slots=1,
                             step_timeout_s=15.0, queue_ahead=0)
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    frames = make_frames(tmp_path / "frames", 3)
    async with running_pipeline(settings, sim_session_file, RecordingNotifier(),
                                browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(1, None, [NewItem(f, f"shot {i}") for i, f in
                                                    enumerate(frames)],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Fast",
                                          source="cli")
        await svc.start(batch_id, 1)
        assert await pipe.wait_batch(batch_id, timeout=240) == "done"
    uploads = await sim.uploads()
    entries = submits(await sim.wire())
    assert len(entries) == 3 and all(e["kind"] == "i2v" for e in entries)
    used = [e["media_ids"][0] for e in entries]
    # Each frame uploaded once, and each i2v bound its own frame's upload.
    assert len(uploads) == 3 and sorted(used) == sorted(u["mediaId"] for u in uploads)
    assert len(set(used)) == 3
    at = {u["mediaId"]: u["at"] for u in uploads}
    # Items 2 and 3 were uploaded ahead: before item 2's submit went out.
    assert at[used[1]] < entries[1]["at"] and at[used[2]] < entries[1]["at"]


async def test_ledger_keyed_uploads_by_path_only(flowsim_url, sim, sim_session_file, chromium,
                                                 tmp_path):
    """Regression: the driver ledger keyed an uploaded frame by its path alone, so another
    image later written under the same path was never uploaded: its submit picked the old
    asset and Flow animated the wrong picture. The key now holds size and modification time."""
    await sim.configure(**QUIET)
    path = png(tmp_path / "frame.png", colour=(200, 40, 40))
    c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await c.start()
    try:
        first = await c.submit(_req(path, 0))
        png(path, colour=(40, 40, 200), size=(640, 400))  # a new picture, same file name
        second = await c.submit(_req(path, 1))
        assert await c.upload_ahead([path]) == 0  # the new one is stored now
    finally:
        await c.close()
    uploads = await sim.uploads()
    assert len(uploads) == 2
    assert first.frame_media_ids == (uploads[0]["mediaId"],)
    assert second.frame_media_ids == (uploads[1]["mediaId"],)
