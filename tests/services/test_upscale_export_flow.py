"""From a finished batch on flowsim to a selected 4K clip and a zip, with real FFmpeg."""

from __future__ import annotations

import zipfile

import pytest

from bot.clock import SystemClock
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER = 5


async def test_select_upscale_twice_and_zip(sim, chromium, sim_session_file, tmp_path):
    await sim.configure(generation_seconds=2)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "f", 1, size=(1280, 720))
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, 9, [NewItem(frames[0], "a harbour at night")],
                                          aspect="16:9", outputs=2, model="Veo 3.1 - Fast")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=120) == "done"
        clips = (await svc.get(batch_id)).clips
        assert len(clips) == 2
        await svc.toggle_clip(clips[1].id, USER)
        assert await svc.request_upscale(batch_id, USER, "fast") == 1
        assert await svc.request_upscale(batch_id, USER, "fast") == 0  # double tap
        await pipe.wait_batch(batch_id, timeout=240)
        export_id = await svc.request_export(batch_id, USER, "4k")
        await pipe.wait_batch(batch_id, timeout=120)
        view = await svc.get(batch_id)
    fourk = [c for c in view.clips if c.status_4k == "ready"]
    assert [c.id for c in fourk] == [clips[1].id] and fourk[0].path_4k.is_file()
    upscaled = notifier.of("clip_upscaled")
    assert [e.clip_id for e in upscaled] == [clips[1].id]
    assert notifier.of("upscale_progress")  # the user sees the encode move
    ready = notifier.of("export_ready")
    assert [e.export_id for e in ready] == [export_id] and view.exports[0].status == "delivered"
    with zipfile.ZipFile(ready[0].parts[0]) as zf:
        members = [n for n in zf.namelist() if n.endswith(".mp4")]
        assert len(members) == 1 and zf.getinfo(members[0]).file_size == fourk[0].size_4k
