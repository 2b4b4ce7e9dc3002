"""A batch through the whole pipeline on flowsim, driven by the real Playwright client."""

from __future__ import annotations

import subprocess

from bot.clock import SystemClock
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

USER, CHAT = 101, 202


def ffprobe_ok(path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", str(path)], capture_output=True, text=True)
    return out.returncode == 0 and float(out.stdout.strip() or 0) > 7.5


async def test_small_batch_all_done(sim, chromium, sim_session_file, tmp_path):
    await sim.configure(landing=False)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "frames", 3)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(
            USER, CHAT, [NewItem(f, f"prompt number {i}") for i, f in enumerate(frames)],
            aspect="9:16", outputs=2, model="Veo 3.1 - Fast")
        await svc.start(batch_id, USER)
        await svc.start(batch_id, USER)  # a double tap changes nothing
        assert await pipe.wait_batch(batch_id, timeout=120) == "done"
        view = await svc.get(batch_id)
    assert view.counts == {"done": 3}
    assert len(view.clips) == 6 and all(c.status == "ready" and ffprobe_ok(c.path_720) for c in view.clips)
    counters = await sim.counters()
    assert counters["submissions"] == 3
    assert counters["max_active_renders"] <= 5
    previews = notifier.of("item_previews")
    assert sorted(p.position for p in previews) == [1, 2, 3]
    assert all(len(p.clips) == 2 for p in previews)
    assert len(notifier.of("batch_finished")) == 1


async def test_render_slot_budget_is_never_exceeded(sim, chromium, sim_session_file, tmp_path):
    # flowsim would take 5 renders at once; our budget is 3, and it must be what limits us.
    await sim.configure(landing=False, generation_seconds=3)
    settings = make_settings(tmp_path / "data", sim.base_url, render_slots=3)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "frames", 7)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, CHAT, [NewItem(f, f"slot {i}") for i, f in enumerate(frames)],
                                          aspect="16:9", outputs=1, model="Veo 3.1 - Fast")
        await svc.start(batch_id, USER)
        assert await pipe.wait_batch(batch_id, timeout=120) == "done"
    counters = await sim.counters()
    assert counters["submissions"] == 7
    assert 2 <= counters["max_active_renders"] <= 3  # busy, never over budget
    assert not counters["refusals"].get("slots_full")
