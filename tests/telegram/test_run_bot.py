"""`run_bot` as production runs it: FLOW_BACKEND=simulator starts flowsim and Chromium itself,
the bot polls the Bot API at TELEGRAM_API_BASE_URL, and cancelling it shuts everything down."""

from __future__ import annotations

import asyncio

from bot.clock import SystemClock
from bot.storage.db import Database
from bot.telegram_app import run_bot
from tests.handlers.harness import ADMIN, ANN, bot_settings, last_with


async def test_run_bot_with_the_simulator_backend(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data")
    settings.flow.backend = "simulator"
    settings.flow.sim_port = 0
    db = await Database(settings.paths.database_path, SystemClock()).open()
    task = asyncio.create_task(run_bot(settings, db))
    try:
        await telegram.wait_for(lambda t: t.commands, timeout=60)  # setMyCommands ran
        await telegram.send_command(ANN, "/start")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Send one or more images"), timeout=30)
        await telegram.send_command(ADMIN, "/session")
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "✅ Signed in"), timeout=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.close()
    # The simulator signs in with a session file of its own; the real Google session is untouched.
    assert (settings.paths.data_dir / "flowsim_session.json").exists()
    assert not settings.session_file.exists()
