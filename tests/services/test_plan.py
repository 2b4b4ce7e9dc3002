"""The plan the Flow page shows wins over FLOW_PLAN: prices, offered durations and defaults."""

from __future__ import annotations

import pytest

from bot.clock import SystemClock
from bot.pipeline.flow.api import SessionInfo
from bot.services.account import AccountService
from bot.services.batches import BatchError, BatchService, NewItem
from bot.services.users import UserService
from bot.storage.db import Database
from bot.storage.queue import TaskQueue
from tests.services.harness import make_frames, make_settings


async def test_plan_seen_on_the_page_reprices_and_reopens_durations(tmp_path):
    settings = make_settings(tmp_path)
    assert settings.flow.plan == "pro"
    frames = make_frames(tmp_path / "f", 2)
    async with Database(tmp_path / "db.sqlite3", SystemClock()) as db:
        queue = TaskQueue(db)
        svc = BatchService(db, queue, settings, SystemClock(), tmp_path)
        account = AccountService(db, queue, SystemClock(), settings)
        users = UserService(db, settings)
        batch = await svc.create_batch(1, 1, [NewItem(f, "a slow pan") for f in frames], outputs=1)
        assert (await svc.estimate(batch)).credits == 20  # our default, Lite, on Pro: 10 each
        with pytest.raises(BatchError, match="8 s clips on the Pro plan"):
            await svc.update_settings(batch, 1, duration=4)

        assert await account.note_session(SessionInfo(True, extra={"ui": "x"})) is None
        assert await account.note_session(SessionInfo(True, extra={"plan": "ULTRA"})) == "ultra"
        assert await svc.plan() == "ultra" and (await users.defaults(1)).plan == "ultra"
        assert (await svc.estimate(batch)).credits == 10  # Lite on Ultra: 5 each
        view = await svc.update_settings(batch, 1, duration=4)
        assert view.duration == 4 and view.plan == "ultra"

        # Back on Pro (the page says so): a 4 s draft can no longer start, and says why.
        await account.note_session(SessionInfo(True, extra={"plan": "pro"}))
        assert (await svc.estimate(batch)).credits == 20  # priced at what Pro offers (8 s)
        with pytest.raises(BatchError, match="8 s clips"):
            await svc.start(batch, 1)
        assert (await svc.get(batch)).status == "draft"


async def test_stats_show_what_was_billed_per_model_duration_and_resolution(tmp_path):
    from bot.handlers.admin import render_stats
    from bot.storage import repo

    async with Database(tmp_path / "db.sqlite3", SystemClock()) as db:
        def seed(conn):
            b = repo.insert_batch(conn, user_id=1, chat_id=1, source="cli", aspect="9:16", outputs=1,
                                  model="Omni 1.1 Flash", preset="fast", title=None, now=1.0,
                                  duration=10, resolution="360p")
            item = repo.insert_item(conn, batch_id=b, position=1, image_path="", image_sha256=None,
                                    prompt="p", now=1.0, kind="t2v")
            for attempt, (model, d, r, credits, status) in enumerate([
                    ("Omni 1.1 Flash", 10, "360p", 7, "done"), ("Omni 1.1 Flash", 10, "360p", 7, "done"),
                    ("Veo 3.1 - Fast", 8, "720p", 20, "done"), ("Veo 3.1 - Fast", 8, "720p", 0, "failed")],
                    start=1):
                g = repo.insert_generation(conn, item_id=item, attempt=attempt, outputs=1, model=model,
                                           aspect="9:16", now=1.0, duration=d, resolution=r, kind="t2v")
                repo.end_generation(conn, g, status, 2.0, credits=credits)

        await db.write_sync(seed)
        stats = await repo.stats(db)
        assert stats["by_model"] == [
            {"model": "Veo 3.1 - Fast", "duration": 8, "resolution": "720p", "generations": 1,
             "credits": 20},
            {"model": "Omni 1.1 Flash", "duration": 10, "resolution": "360p", "generations": 2,
             "credits": 14}]
        text = render_stats({"today": stats, "all_time": stats})
        assert "Omni 1.1 Flash 10 s 360p: 2 generations, 14 credits" in text
