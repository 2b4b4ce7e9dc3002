"""Issue 17 end to end on flowsim's December build: a batch started while the bot still believed
October's catalogue meets Flow without its model. The page is walked again (nothing spent), the
work is held as a retirement, not drift (the account keeps running, one notice per model for the
admins, one per batch for its owner), and the owner's one tap finishes it on the nearest model."""

from __future__ import annotations

import pytest

from bot.clock import SystemClock
from bot.pipeline import catalog
from bot.services.account import AccountService
from bot.services.batches import BatchService, NewItem
from bot.storage import repo
from tests.services.harness import (
    RecordingNotifier,
    eventually,
    make_frames,
    make_settings,
    running_pipeline,
)

pytestmark = pytest.mark.flowsim_build("december")
USER, CHAT = 7, 70


async def test_a_retired_model_met_on_the_page_is_held_learned_and_switched_in_one_tap(
        sim, chromium, sim_session_file, tmp_path, october_catalog):
    await sim.configure(generation_seconds=2)
    settings = make_settings(tmp_path / "data", sim.base_url)
    notifier = RecordingNotifier()
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(
            USER, CHAT, [NewItem(f, f"harbour {i}") for i, f in enumerate(make_frames(tmp_path / "f", 3))],
            aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
        await svc.start(batch_id, USER)  # October's catalogue still offers it
        await eventually(lambda: notifier.of("model_retired"), timeout=150)

        async def all_held() -> bool:
            items = (await svc.get(batch_id)).items
            return all(i.status == "paused" for i in items)

        await eventually(all_held, timeout=60)
        # The page was walked: the catalogue now is December's, stored with Flow's build label.
        learned = catalog.installed()
        assert learned is not None
        assert learned.models[:2] == ("Omni 1.2 Flash", "Veo 3.1 - Lite")
        assert learned.build and learned.build.startswith("boq_labs-ai-sandbox-frontend_2026120")
        stored = await repo.kv_read(pipe.db, "catalog.learned")
        assert stored is not None
        # Nothing was spent, the account runs on, each party told once.
        assert (await sim.counters())["submissions"] == 0
        assert not (await AccountService(pipe.db, pipe.queue, SystemClock()).state()).paused
        [told] = notifier.of("model_retired")
        assert (told.model, told.nearest, told.batch_id) == ("Veo 3.1 - Fast", "Veo 3.1 - Lite", batch_id)
        assert len([a for a in notifier.of("admin_alert") if a.kind == "model_retired"]) == 1

        await svc.switch_model(batch_id, USER, "Veo 3.1 - Lite")  # the owner's tap
        assert await pipe.wait_batch(batch_id, timeout=180) == "done"
    wire = [e for e in await sim.wire() if e["rpc"] in ("YhhmEf", "eb1hJf", "nprQif", "MZZa6b")]
    assert len(wire) == 3 and {e["model"] for e in wire} == {"Veo 3.1 - Lite"}
    assert all(e["refused"] is None for e in wire)
