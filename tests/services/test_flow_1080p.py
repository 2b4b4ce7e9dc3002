"""Flow's own 1080p of a clip, and the fallback to our own upscale when it never comes, through
the real pipeline on flowsim with real FFmpeg."""

from __future__ import annotations

import pytest

from bot.clock import SystemClock
from bot.pipeline.probe import probe
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER = 5


async def test_flow_1080p_that_never_arrives_falls_back_to_our_upscale_and_says_so(
        sim, chromium, sim_session_file, tmp_path):
    from tests.pipeline.flow.flow2026 import QUIET

    # Flow's 1080p never renders (upscale_1080_seconds < 0): the driver gives up after
    # FLOW_UPSCALE_1080_TIMEOUT_S and reports upscale_timeout.
    await sim.configure(**QUIET, generation_seconds=2, upscale_1080_seconds=-1)
    settings = make_settings(tmp_path / "data", sim.base_url, step_timeout_s=15.0,
                             upscale_1080_timeout_s=3.0)
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "f", 1, size=(720, 1280))
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, 9, [NewItem(frames[0], "a lantern in the fog")],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=120) == "done"
        [clip] = (await svc.get(batch_id)).clips
        assert await svc.request_flow_1080p(batch_id, USER) == 0  # nothing selected
        await svc.set_selected(clip.id, USER, True)
        assert await svc.request_flow_1080p(batch_id, USER) == 1
        assert await svc.request_flow_1080p(batch_id, USER) == 0  # a double tap
        await pipe.wait_batch(batch_id, timeout=240)
        [clip] = (await svc.get(batch_id)).clips
    assert clip.status_1080 == "fallback" and clip.path_1080 is None
    assert clip.status_4k == "ready" and clip.path_4k.is_file()
    info = await probe(clip.path_4k)
    assert (info.width, info.height) == (2160, 3840)
    [sent] = notifier.of("clip_upscaled")
    assert sent.label == "4K" and "never arrived" in sent.note


async def test_batch_with_flow_1080p_fetches_it_and_the_4k_starts_from_it(
        sim, chromium, sim_session_file, tmp_path):
    """The CLI's --flow-1080p --upscale: Flow's 1080p of every clip, then our 4K made from it."""
    from bot.pipeline import stages
    from bot.storage import repo
    from tests.pipeline.flow.flow2026 import QUIET

    await sim.configure(**QUIET, upscale_1080_seconds=1)
    settings = make_settings(tmp_path / "data", sim.base_url, step_timeout_s=15.0,
                             upscale_1080_timeout_s=30.0)
    settings.flow.base_url = f"{sim.base_url}/"
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "f", 1, size=(1280, 720))
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, None, [NewItem(frames[0], "a tram at dusk")],
                                          aspect="16:9", outputs=1, source="cli", flow_1080p=True)
        await svc.set_auto_upscale(batch_id, USER, "fast")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=240) == "done"
        [clip] = (await svc.get(batch_id)).clips
        row = await pipe.db.write_sync(lambda conn: repo.clip_row(conn, clip.id))
    assert clip.status_1080 == "ready" and clip.status_4k == "ready"
    small = await probe(clip.path_1080)
    assert (small.width, small.height) == (1920, 1080)
    assert stages.upscale_source(row) == clip.path_1080
    assert (await sim.downloads()).get("1080p") == 1
    labels = [(e.label, e.note) for e in notifier.of("clip_upscaled")]
    assert labels == [("1080p", "Flow's own 1080p upscale (free).")] + [("4K", None)]


async def test_a_4k_asked_while_flows_1080p_is_coming_waits_and_starts_from_it(
        sim, chromium, sim_session_file, tmp_path):
    from bot.pipeline import stages
    from bot.storage import repo
    from tests.pipeline.flow.flow2026 import QUIET

    # A short 360p clip encodes to 4K in seconds; Flow's 1080p takes longer to come.
    await sim.configure(**QUIET, upscale_1080_seconds=25)
    settings = make_settings(tmp_path / "data", sim.base_url, step_timeout_s=15.0,
                             upscale_1080_timeout_s=60.0)
    settings.flow.base_url = f"{sim.base_url}/"
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, 9, [NewItem(None, "a comet over snowy hills")],
                                          aspect="9:16", outputs=1, model="Omni 1.1 Flash",
                                          duration=4, resolution="360p")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=180) == "done"
        [clip] = (await svc.get(batch_id)).clips
        await svc.set_selected(clip.id, USER, True)
        assert await svc.request_flow_1080p(batch_id, USER) == 1
        assert await svc.request_upscale(batch_id, USER, "fast") == 1
        await pipe.wait_batch(batch_id, timeout=240)
        [clip] = (await svc.get(batch_id)).clips
        row = await pipe.db.write_sync(lambda conn: repo.clip_row(conn, clip.id))
    assert clip.status_1080 == "ready" and clip.status_4k == "ready"
    assert stages.upscale_source(row) == clip.path_1080
    assert [e.label for e in notifier.of("clip_upscaled")] == ["1080p", "4K"]
