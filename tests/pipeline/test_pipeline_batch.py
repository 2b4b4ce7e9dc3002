"""A batch through the whole pipeline on flowsim, driven by the real Playwright client."""

from __future__ import annotations

import subprocess

import pytest

from bot.clock import SystemClock
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER, CHAT = 101, 202


def ffprobe_ok(path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", str(path)], capture_output=True, text=True)
    return out.returncode == 0 and float(out.stdout.strip() or 0) > 7.5


async def test_small_batch_all_done(sim, chromium, sim_session_file, tmp_path):
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
    # Renders outlast the submits (a quick reply, 6 s renders): the timing at which queue-ahead
    # once filled Flow's queue past the budget and Flow started 4-5 of them at once.
    await sim.configure(generation_seconds=6, submit_reply_ms=300)
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


async def test_reconcile_never_takes_tiles_of_another_item_with_the_same_prompt(
        sim, chromium, sim_session_file, tmp_path):
    """Regression (crash test, 7 submissions for 6 items): a generation left 'submitting' by a
    dead process is reconciled by prompt and time; if another item with the same prompt was
    submitted meanwhile, the reconcile took its tiles and the first item was submitted again."""
    import time

    from bot.pipeline import stages
    from bot.storage import repo

    await sim.configure(generation_seconds=3)
    settings = make_settings(tmp_path / "data", sim.base_url)
    frames = make_frames(tmp_path / "frames", 2)
    async with running_pipeline(settings, sim_session_file, RecordingNotifier(),
                                browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, CHAT, [NewItem(f, "the same prompt") for f in frames],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
        first = min((await svc.get(batch_id)).items, key=lambda i: i.position)
        now = time.time()

        def died_before_the_click(conn):
            # Item 1 as a process left it when killed after writing its generation row: whether
            # it clicked is unknown. Its submit task comes back a little later (a retry).
            repo.insert_generation(conn, item_id=first.id, attempt=1, outputs=1,
                                   model="Veo 3.1 - Fast", aspect="9:16", now=now)
            repo.set_item(conn, first.id, now, status="submitting", attempts=1)
            pipe.queue.add(conn, stages.submit_task(batch_id, first.id, 1, 0, delay=3.0))

        await pipe.db.write_sync(died_before_the_click)
        await svc.start(batch_id, USER)  # item 2 is ready at once
        assert await pipe.wait_batch(batch_id, timeout=120) == "done"
        rows = await pipe.db.fetchall(
            "SELECT item_id, tile_id FROM clips WHERE status = 'ready' ORDER BY item_id")
    assert (await sim.counters())["submissions"] == 2
    assert len(rows) == 2 and rows[0]["tile_id"] != rows[1]["tile_id"]  # each item its own video
