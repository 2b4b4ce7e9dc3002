"""The drift canary in the pipeline: the check runs before a batch's first submission and once a
day; on drift the account pauses before anything is spent and admins learn which element
drifted, which selectors failed, with a screenshot. All on flowsim through the real driver."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import FakeClock, SystemClock
from bot.pipeline import canary, stages
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.services.batches import BatchService, NewItem
from bot.storage import repo
from bot.storage.db import Database
from bot.storage.queue import TaskQueue
from tests.pipeline.flow.flow2026 import QUIET
from tests.services.harness import (
    RecordingNotifier,
    eventually,
    make_frames,
    make_settings,
    running_pipeline,
)

# Flow's next build of the page (`page_drift`) stands in for drift the driver survives. The
# batches use Veo 3.1 - Fast (retired 2026-12-07; flowsim plays the October build here): its
# learned catalogue is pinned.
pytestmark = pytest.mark.usefixtures("october_catalog")
USER, CHAT = 101, 202


async def start_batch(pipe, settings, frames, prompt: str) -> int:
    svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
    batch_id = await svc.create_batch(USER, CHAT, [NewItem(f, f"{prompt} {i}") for i, f in enumerate(frames)],
                                      aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
    await svc.start(batch_id, USER)
    return batch_id


async def paused(db) -> dict | None:
    return await repo.kv_read(db, repo.KV_PAUSE)


async def test_batch_on_a_drifted_page_pauses_before_any_submission(
        sim, chromium, sim_session_file, tmp_path):
    await sim.configure(**QUIET, page_drift=True)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "frames", 2)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        await start_batch(pipe, settings, frames, "drifted")
        await eventually(lambda: paused(pipe.db), timeout=60)
        await eventually(lambda: notifier.of("admin_alert"), timeout=30)
        await asyncio.sleep(1.0)  # a few more ticks: still nothing may be submitted
        pause = await paused(pipe.db)
        gens = await pipe.db.fetchone("SELECT count(*) FROM generations")
        items = await pipe.db.fetchall("SELECT status FROM items")
    assert pause["kind"] == "drift"
    assert (await sim.counters())["submissions"] == 0
    assert gens[0] == 0 and {row[0] for row in items} <= {"pending", "queued"}
    [alert] = notifier.of("admin_alert")
    assert alert.kind == "drift" and "paused before spending" in alert.text
    # The element and the selector that failed, as in `flowbot flow check`'s DRIFT line.
    assert "submit (project): fallback" in alert.text and "new_project (home)" in alert.text
    assert "/resume" in alert.action
    assert alert.screenshot is not None and alert.screenshot.exists()
    assert alert.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_lenient_canary_warns_once_and_the_batch_runs(sim, chromium, sim_session_file, tmp_path):
    # FLOW_CANARY_STRICT=false: drift the driver survives is reported, spending goes on.
    await sim.configure(**QUIET, page_drift=True, generation_seconds=2)
    settings = make_settings(tmp_path / "data", sim.base_url, canary_strict=False)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "frames", 1)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        first = await start_batch(pipe, settings, frames, "lenient")
        assert await pipe.wait_batch(first, timeout=90) == "done"
        second = await start_batch(pipe, settings, frames, "again")
        assert await pipe.wait_batch(second, timeout=90) == "done"
        runs = pipe.canary.runs
    assert runs == 2  # one check per batch
    counters = await sim.counters()
    assert counters["submissions"] == 2
    # The first check made a project (the driver had none yet); the second looked at the
    # driver's own project instead of making one more.
    assert counters["projects"] == 2
    warnings = notifier.of("admin_alert")
    # Each drift is told once: the second check, on the driver's own project, sees another set
    # (no home page, the tiles' controls), so it may add one warning, never repeat the first.
    assert 1 <= len(warnings) <= 2 and {a.kind for a in warnings} == {"drift_warning"}
    assert len({a.text for a in warnings}) == len(warnings)
    assert "submit (project): fallback" in warnings[0].text


async def test_clean_page_is_checked_before_the_first_submission_of_each_batch(
        sim, chromium, sim_session_file, tmp_path):
    await sim.configure(**QUIET, generation_seconds=2)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    frames = make_frames(tmp_path / "frames", 2)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        batch_id = await start_batch(pipe, settings, frames, "clean")
        assert await pipe.wait_batch(batch_id, timeout=90) == "done"
        state = await repo.kv_read(pipe.db, canary.KV_CANARY)
        first_submit = await pipe.db.fetchone("SELECT min(started_at) FROM generations")
        runs = pipe.canary.runs
    assert state["status"] == "ok" and runs == 1  # once for the batch, not once per item
    assert state["ok_at"] < first_submit[0]
    assert (await sim.counters())["submissions"] == 2
    assert notifier.of("admin_alert") == []


# --- the canary on its own (a fake clock for "once a day") -------------------------------------

async def canary_on(settings, session_file, chromium, tmp_path, clock):
    db = Database(tmp_path / "c.sqlite3", clock)
    await db.open()
    queue = TaskQueue(db, lease_seconds=30)
    client = PlaywrightFlowClient(settings.flow, session_file, clock, tmp_path / "ev", browser=chromium)
    await client.start()
    ctx = stages.StageContext(db=db, queue=queue, flow=client, notifier=RecordingNotifier(),
                              settings=settings, clock=clock, data_dir=tmp_path)
    checker = canary.default_checker(client, tmp_path / "ev")
    assert checker is not None
    return canary.Canary(ctx, checker), db, client


async def admin_tasks(db) -> list[str]:
    rows = await db.fetchall("SELECT payload FROM tasks WHERE kind = 'deliver'")
    return [row[0] for row in rows]


async def test_daily_check_runs_again_after_a_day_while_idle(sim, chromium, sim_session_file, tmp_path):
    await sim.configure(**QUIET)
    clock = FakeClock()
    settings = make_settings(tmp_path / "data", sim.base_url)
    can, db, client = await canary_on(settings, sim_session_file, chromium, tmp_path, clock)
    try:
        await can.tick()
        assert not can.running and can.runs == 0  # never checked, never used: nothing to do
        assert await can.run_now() == "ok"
        clock.advance(3600)
        await can.tick()
        assert not can.running and can.runs == 1
        clock.advance(86400)
        await can.tick()
        assert can.running
        await can.task
        assert can.runs == 2 and (await can.state())["status"] == "ok"
    finally:
        await client.close()
        await db.close()
    assert (await sim.counters())["submissions"] == 0


async def test_missing_elements_pause_even_a_lenient_canary_and_name_the_selectors(
        sim, chromium, sim_session_file, tmp_path, flowsim_url):
    # A page without any of the controls (Flow's "not found" page stands in for a redesign).
    await sim.configure(**QUIET)
    url = f"{flowsim_url}/project/00000000-0000-0000-0000-000000000000"
    settings = make_settings(tmp_path / "data", None, base_url=url, canary_strict=False,
                             step_timeout_s=3.0)
    can, db, client = await canary_on(settings, sim_session_file, chromium, tmp_path, FakeClock())
    try:
        assert await can.run_now() == "broken"
        pause = await paused(db)
        payloads = await admin_tasks(db)
    finally:
        await client.close()
        await db.close()
    assert pause["kind"] == "drift" and "no longer match anything" in pause["detail"]
    [alert] = payloads
    # Which element is named depends on how far the walk got: a control ("prompt (project):
    # missing; none of: <selectors>") or, with no known UI at all, the page's markers.
    assert '"kind": "drift"' in alert and ": missing; " in alert
    assert "canary-" in alert and ".png" in alert  # the screenshot travels with the alert


async def test_a_check_that_keeps_crashing_pauses_after_three_tries(
        chromium, sim_session_file, tmp_path):
    clock = FakeClock()
    settings = make_settings(tmp_path / "data", None, base_url="http://127.0.0.1:9/",
                             step_timeout_s=3.0)
    can, db, client = await canary_on(settings, sim_session_file, chromium, tmp_path, clock)
    try:
        for n in (1, 2):
            assert await can.run_now() == "error"
            assert await paused(db) is None and (await can.state())["errors"] == n
            clock.advance(canary.ERROR_RETRY_S)
        assert await can.run_now() == "error"
        pause = await paused(db)
        [alert] = await admin_tasks(db)
    finally:
        await client.close()
        await db.close()
    assert pause["kind"] == "drift" and "failed 3 times" in pause["detail"]
    assert "failed 3 times in a row" in alert


async def test_a_clean_page_checked_on_its_own_is_ok_and_pauses_nothing(
        sim, chromium, sim_session_file, tmp_path, flowsim_url):
    await sim.configure(**QUIET)
    settings = make_settings(tmp_path / "data", None, base_url=f"{flowsim_url}/")
    can, db, client = await canary_on(settings, sim_session_file, chromium, tmp_path, FakeClock())
    try:
        status = await can.run_now()
        pause = await paused(db)
        state = await can.state()
    finally:
        await client.close()
        await db.close()
    assert status == "ok", state
    assert pause is None and state.get("ok_at") is not None
    assert (await sim.counters())["submissions"] == 0


async def test_a_submit_claimed_without_the_look_before_is_still_checked(
        sim, chromium, sim_session_file, tmp_path):
    """Regression: the canary's look for a ready submit came before the claim, so a submit the
    claim took another way (here: a dead worker's expired lease, never seen by the look) went
    out without any check."""
    await sim.configure(**QUIET, page_drift=True)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    [frame] = make_frames(tmp_path / "frames", 1)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(USER, CHAT, [NewItem(frame, "claimed elsewhere")],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
        now = SystemClock().now()

        def started_by_a_dead_worker(conn) -> None:
            conn.execute("UPDATE batches SET status = 'running', started_at = ? WHERE id = ?",
                         (now, batch_id))
            item_id = conn.execute("SELECT id FROM items WHERE batch_id = ?", (batch_id,)).fetchone()[0]
            repo.set_item(conn, item_id, now, status="queued")
            task_id = pipe.queue.add(conn, stages.submit_task(batch_id, item_id, 1, 0))
            conn.execute("UPDATE tasks SET status = 'running', attempts = 1, lease_owner = ?, "
                         "lease_expires_at = ? WHERE id = ?",
                         ("pipeline@another-host:1:dead", now - 60, task_id))

        await pipe.db.write_sync(started_by_a_dead_worker)
        await eventually(lambda: paused(pipe.db), timeout=60)
        await asyncio.sleep(1.0)
        gens = await pipe.db.fetchone("SELECT count(*) FROM generations")
        pause = await paused(pipe.db)
    assert (await sim.counters())["submissions"] == 0 and gens[0] == 0
    assert pause["kind"] == "drift"
