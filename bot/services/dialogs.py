"""Conversation state that must survive a restart, kept in the `dialogs` table.

One row per (user, chat). A handler asks "what is this user in the middle of?" and gets the
state name and its JSON data back, even if the bot process was restarted in between.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.storage.db import Database

log = logging.getLogger(__name__)

AWAITING_PROMPT = "awaiting_prompt"
AWAITING_IMAGES = "awaiting_images"
AWAITING_SESSION = "awaiting_session"


@dataclass(frozen=True)
class Dialog:
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0


class DialogService:
    """Get, set and clear the persisted dialog of a (user, chat).

    A dialog waiting for a prompt owns the downloaded images listed in its data
    (``{"images": [{"path": ...}, ...]}``): when it is cleared or replaced, the files it no
    longer lists are deleted, so disk use follows the dialog's life. Only files under
    `files_root` (the incoming folder) are ever deleted.
    """

    def __init__(self, db: Database, files_root: Path | None = None) -> None:
        self.db = db
        self.files_root = Path(files_root).resolve() if files_root is not None else None

    async def get(self, user_id: int, chat_id: int) -> Dialog | None:
        row = await self.db.fetchone(
            "SELECT state, data_json, updated_at FROM dialogs WHERE user_id = ? AND chat_id = ?",
            (user_id, chat_id),
        )
        if row is None:
            return None
        data = _load(row[1])
        return Dialog(state=row[0], data=data, updated_at=row[2])

    async def set(self, user_id: int, chat_id: int, state: str, data: dict[str, Any]) -> None:
        """Store the dialog; images the replaced dialog held and this one does not are deleted."""
        payload, now = json.dumps(data), self.db.now()

        def tx(conn: sqlite3.Connection) -> set[str]:
            old = _held_files(conn, user_id, chat_id)
            conn.execute(
                "INSERT INTO dialogs (user_id, chat_id, state, data_json, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, chat_id) DO UPDATE SET "
                "state = excluded.state, data_json = excluded.data_json, "
                "updated_at = excluded.updated_at",
                (user_id, chat_id, state, payload, now),
            )
            return old - image_paths(data)

        self._delete(await self.db.write_sync(tx))

    async def clear(self, user_id: int, chat_id: int, state: str | None = None) -> bool:
        """Drop the dialog (only if it is in `state`, when given) and the images it held;
        True when one was dropped."""
        sql = "DELETE FROM dialogs WHERE user_id = ? AND chat_id = ?"
        params: tuple = (user_id, chat_id)
        if state is not None:
            sql += " AND state = ?"
            params += (state,)

        def tx(conn: sqlite3.Connection) -> tuple[bool, set[str]]:
            old = _held_files(conn, user_id, chat_id, state)
            dropped = conn.execute(sql, params).rowcount > 0
            return dropped, (old if dropped else set())

        dropped, files = await self.db.write_sync(tx)
        self._delete(files)
        return dropped

    async def held_files(self) -> set[str]:
        """Every image path some dialog still holds (the start-up sweep keeps these)."""
        rows = await self.db.fetchall("SELECT data_json FROM dialogs")
        return {path for row in rows for path in image_paths(_load(row[0]))}

    def _delete(self, paths: set[str]) -> None:
        for raw in paths:
            path = Path(raw)
            if self.files_root is None or not path.resolve().is_relative_to(self.files_root):
                continue  # never delete outside the incoming folder, whatever the data says
            try:
                path.unlink(missing_ok=True)
            except OSError as err:
                log.warning("could not delete %s: %s", path.name, type(err).__name__)


def image_paths(data: Any) -> set[str]:
    """The image file paths a dialog's data lists."""
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list):
        return set()
    return {e["path"] for e in images if isinstance(e, dict) and isinstance(e.get("path"), str)}


def _load(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _held_files(conn: sqlite3.Connection, user_id: int, chat_id: int,
                state: str | None = None) -> set[str]:
    row = conn.execute("SELECT state, data_json FROM dialogs WHERE user_id = ? AND chat_id = ?",
                       (user_id, chat_id)).fetchone()
    if row is None or (state is not None and row[0] != state):
        return set()
    return image_paths(_load(row[1]))


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
