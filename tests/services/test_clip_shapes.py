"""Previews, 4K and zips for the clips the new Flow makes: 4 and 10 s, 360p, landscape and
portrait, through the real pipeline on flowsim's flow2026 variant with real FFmpeg."""

from __future__ import annotations

import zipfile

import pytest

from bot.clock import SystemClock
from bot.pipeline.probe import probe
from bot.services.batches import BatchService, NewItem
from tests.pipeline.flow.flow2026 import QUIET
from tests.services.harness import RecordingNotifier, make_settings, running_pipeline

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER = 5


@pytest.mark.parametrize("duration, aspect, size_720, size_4k", [
    (10, "16:9", (640, 360), (3840, 2160)),
    (4, "9:16", (360, 640), (2160, 3840)),
])
async def test_omni_360p_clips_preview_upscale_and_zip(sim, chromium, sim_session_file, tmp_path,
                                                       duration, aspect, size_720, size_4k):
    await sim.configure(**QUIET)
    settings = make_settings(tmp_path / "data", sim.base_url, step_timeout_s=15.0)
    settings.flow.base_url = f"{sim.base_url}/"
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, 9, [NewItem(None, "fog rolls over the dunes")],
                                          aspect=aspect, outputs=1, model="Omni 1.1 Flash",
                                          duration=duration, resolution="360p")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=180) == "done"
        [clip] = (await svc.get(batch_id)).clips
        await svc.set_selected(clip.id, USER, True)
        assert await svc.request_upscale(batch_id, USER, "fast") == 1
        await pipe.wait_batch(batch_id, timeout=300)
        export_id = await svc.request_export(batch_id, USER, "4k")
        await pipe.wait_batch(batch_id, timeout=120)
        [clip] = (await svc.get(batch_id)).clips
    [preview] = notifier.of("item_previews")
    small = await probe(preview.clips[0].path)
    assert (small.width, small.height) == size_720 and abs(small.duration_s - duration) < 0.5
    big = await probe(clip.path_4k)
    assert (big.width, big.height) == size_4k and abs(big.duration_s - duration) < 0.5
    [ready] = notifier.of("export_ready")
    assert ready.export_id == export_id
    with zipfile.ZipFile(ready.parts[0]) as zf:
        [member] = [n for n in zf.namelist() if n.endswith(".mp4")]
        assert zf.getinfo(member).file_size == clip.size_4k
