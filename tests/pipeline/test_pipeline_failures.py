"""Failure policy end to end on flowsim: scripted Flow failures, retries, pauses, resumption.

Every check here counts what the simulator saw (submissions, renders in flight) and what the
user was told (the recording notifier at the notification boundary).
"""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import SystemClock
from bot.errors import PolicyViolationError, ProminentPeopleError, TermsViolationError
from bot.services.account import AccountService
from bot.services.batches import BatchService, NewItem
from tests.services.harness import (
    RecordingNotifier,
    eventually,
    make_frames,
    make_settings,
    running_pipeline,
)

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER, CHAT = 7, 70


async def _batch(pipe, settings, frames, outputs=1, prompt="scene"):
    svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
    batch_id = await svc.create_batch(USER, CHAT, [NewItem(f, f"{prompt} {i}") for i, f in enumerate(frames)],
                                      aspect="9:16", outputs=outputs, model="Veo 3.1 - Fast")
    await svc.start(batch_id, USER)
    return svc, batch_id


async def test_ten_items_with_a_scripted_mix_of_failures(sim, chromium, sim_session_file, tmp_path):
    # The first five tiles fail with retryable texts (one each on items 1-5, the first five
    # submitted); the next three with content refusals, which end whichever item they hit.
    # Whatever the order, that is 5 retries and 3 final failures: 15 submissions, 7 done.
    for text in ("something_wrong", "audio_failed", "high_demand", "couldnt_generate",
                 "generation_failed", "policy", "prominent_people", "terms"):
        await sim.fail_next(1, text)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc, batch_id = await _batch(pipe, settings, make_frames(tmp_path / "f", 10))
        # A ceiling only (about 35 s alone): once it started beside the suite's other heaviest
        # tests on 2 cores and needed more than 180 s.
        assert await pipe.wait_batch(batch_id, timeout=360) == "done"
        view = await svc.get(batch_id)
        stats = await AccountService(pipe.db, pipe.queue, SystemClock()).stats()
    counters = await sim.counters()
    assert counters["submissions"] == 15
    assert counters["max_active_renders"] <= 5 and not counters["refusals"].get("slots_full")
    assert view.counts == {"done": 7, "failed": 3}
    failed = [i for i in view.items if i.status == "failed"]
    assert sorted(i.error_code for i in failed) == ["policy", "prominent_people", "terms"]
    told = {e.position: e for e in notifier.of("item_failed")}
    assert set(told) == {i.position for i in failed}
    reasons = {PolicyViolationError.user_reason, ProminentPeopleError.user_reason,
               TermsViolationError.user_reason}
    assert {e.reason for e in told.values()} == reasons
    assert not any(e.retryable_by_user for e in told.values())
    previews = notifier.of("item_previews")
    assert sorted(p.position for p in previews) == sorted(i.position for i in view.items if i.status == "done")
    assert len(notifier.of("batch_finished")) == 1
    assert stats["all_time"]["failures_by_class"] == {"retryable": 5, "final": 3}
    assert stats["all_time"]["credits_spent"] == 7 * 20


async def test_retry_budgets_run_out_and_unknown_texts_alert_admins(sim, chromium, sim_session_file,
                                                                     tmp_path):
    settings = make_settings(tmp_path / "data", sim.base_url, transient_max_retries=2)
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        # "Something went wrong" three times: the first try and 2 retries, then final.
        await sim.fail_next(3, "something_wrong")
        svc, first = await _batch(pipe, settings, make_frames(tmp_path / "a", 1), prompt="wrong")
        assert await pipe.wait_batch(first, timeout=120) == "done"
        assert (await sim.counters())["submissions"] == 3
        # A text nobody knows: retried once, then final, and the admins hear about it.
        await sim.fail_next(2, "The flux capacitor overheated")
        _, second = await _batch(pipe, settings, make_frames(tmp_path / "b", 1), prompt="odd")
        assert await pipe.wait_batch(second, timeout=120) == "done"
        item_a = (await svc.get(first)).items[0]
        item_b = (await svc.get(second)).items[0]
    assert (await sim.counters())["submissions"] == 5
    assert item_a.status == "failed" and "gave up" in item_a.reason and item_a.retryable
    assert item_b.status == "failed" and item_b.error_code == "unknown_failure"
    alerts = [a for a in notifier.of("admin_alert") if a.kind == "unknown"]
    assert len(alerts) == 2 and "flux capacitor" in alerts[0].text
    assert [e.position for e in notifier.of("item_failed")] == [1, 1]


async def test_session_expiry_pauses_alerts_and_resumes(sim, chromium, sim_session_file, tmp_path):
    await sim.configure(generation_seconds=3)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        account = AccountService(pipe.db, pipe.queue, SystemClock())
        svc, batch_id = await _batch(pipe, settings, make_frames(tmp_path / "f", 5), outputs=2)
        await eventually(lambda: notifier.of("item_previews"))
        await sim.expire_session()

        async def paused() -> bool:
            return (await account.state()).paused

        await eventually(paused)
        state = await account.state()
        assert state.kind == "session_expired"
        await asyncio.sleep(2)  # paused: nothing moves, the session check keeps failing
        assert (await account.state()).paused
        await sim.restore_session()
        assert await pipe.wait_batch(batch_id, timeout=180) == "done"
        view = await svc.get(batch_id)
        assert not (await account.state()).paused
    alerts = [a.kind for a in notifier.of("admin_alert")]
    assert alerts[0] == "session_expired" and "resumed" in alerts
    assert view.counts == {"done": 5}
    counters = await sim.counters()
    assert counters["submissions"] == 5  # nothing submitted twice across the pause
    assert counters["max_active_renders"] <= 5


async def test_pipeline_session_check_notes_the_plan_the_page_shows(sim, chromium, sim_session_file,
                                                                    tmp_path):
    """Regression: only /session noted the plan the Flow page shows (SessionInfo.extra["plan"]),
    so prices stayed on FLOW_PLAN until an admin typed it. The pipeline's own session check
    (while paused for an expired session) notes it too."""
    from bot.storage import repo

    await sim.configure(plan="ultra")
    settings = make_settings(tmp_path / "data", sim.base_url)
    assert settings.flow.plan == "pro"
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        account = AccountService(pipe.db, pipe.queue, SystemClock())
        await pipe.db.write_sync(lambda conn: repo.set_pause(conn, "session_expired", "test", 0.0))

        async def resumed() -> bool:
            return not (await account.state()).paused

        await eventually(resumed, timeout=60)
        assert await repo.plan_read(pipe.db, settings.flow.plan) == "ultra"
