"""Conversation state that must survive a restart, kept in the `dialogs` table.

One row per (user, chat). A handler asks "what is this user in the middle of?" and gets the
state name and its JSON data back, even if the bot process was restarted in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.storage.db import Database

AWAITING_PROMPT = "awaiting_prompt"
AWAITING_IMAGES = "awaiting_images"
AWAITING_SESSION = "awaiting_session"


@dataclass(frozen=True)
class Dialog:
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0


class DialogService:
    """Get, set and clear the persisted dialog of a (user, chat)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int, chat_id: int) -> Dialog | None:
        row = await self.db.fetchone(
            "SELECT state, data_json, updated_at FROM dialogs WHERE user_id = ? AND chat_id = ?",
            (user_id, chat_id),
        )
        if row is None:
            return None
        try:
            data = json.loads(row[1])
        except ValueError:
            data = {}
        return Dialog(state=row[0], data=data if isinstance(data, dict) else {}, updated_at=row[2])

    async def set(self, user_id: int, chat_id: int, state: str, data: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO dialogs (user_id, chat_id, state, data_json, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, chat_id) DO UPDATE SET "
            "state = excluded.state, data_json = excluded.data_json, updated_at = excluded.updated_at",
            (user_id, chat_id, state, json.dumps(data), self.db.now()),
        )

    async def clear(self, user_id: int, chat_id: int, state: str | None = None) -> bool:
        """Drop the dialog (only if it is in `state`, when given); True when one was dropped."""
        sql = "DELETE FROM dialogs WHERE user_id = ? AND chat_id = ?"
        params: tuple = (user_id, chat_id)
        if state is not None:
            sql += " AND state = ?"
            params += (state,)
        return await self.db.execute(sql, params) > 0


class MessageRefs:
    """Markers (`kv` rows ``tg.sent.<event>``) that make a replayed notification a no-op.

    The pipeline replays a notification when it crashed between sending and recording; the
    notifier checks the marker first and sets it after sending.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def was_sent(self, event_key: str) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM kv WHERE key = ?", ("tg.sent." + event_key,))
        return row is not None

    async def mark_sent(self, event_key: str, value: Any = True) -> None:
        await self.db.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value, updated_at = excluded.updated_at",
            ("tg.sent." + event_key, json.dumps(value), self.db.now()),
        )
