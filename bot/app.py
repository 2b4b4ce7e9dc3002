"""The composition root: builds every real dependency from settings and wires them together."""

from __future__ import annotations

import asyncio
import logging

from bot.config import Settings
from bot.logsafe import register_secret
from bot.storage.db import Database

log = logging.getLogger(__name__)


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the bot until `stop` is set (see `bot/cli/serve.py` for the signals) or cancelled."""
    register_secret(settings.require_bot_token())
    for secret in (settings.storage.r2_access_key_id, settings.storage.r2_secret_access_key,
                   settings.webapp.secret):
        if secret is not None:
            register_secret(secret.get_secret_value())
    async with Database(settings.paths.database_path) as db:
        log.info("database ready at %s", db.path)
        from bot.telegram_app import run_bot  # the Telegram layer (handlers/) lives there

        await run_bot(settings, db, stop)
