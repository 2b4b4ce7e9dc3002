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
        assert (await svc.estimate(batch)).credits == 40  # Fast on Pro: 20 each
        with pytest.raises(BatchError, match="8 s clips on the Pro plan"):
            await svc.update_settings(batch, 1, duration=4)

        assert await account.note_session(SessionInfo(True, extra={"ui": "x"})) is None
        assert await account.note_session(SessionInfo(True, extra={"plan": "ULTRA"})) == "ultra"
        assert await svc.plan() == "ultra" and (await users.defaults(1)).plan == "ultra"
        assert (await svc.estimate(batch)).credits == 20  # Fast on Ultra: 10 each
        view = await svc.update_settings(batch, 1, duration=4)
        assert view.duration == 4 and view.plan == "ultra"

        # Back on Pro (the page says so): a 4 s draft can no longer start, and says why.
        await account.note_session(SessionInfo(True, extra={"plan": "pro"}))
        assert (await svc.estimate(batch)).credits == 40  # priced at what Pro offers (8 s)
        with pytest.raises(BatchError, match="8 s clips"):
            await svc.start(batch, 1)
        assert (await svc.get(batch)).status == "draft"
