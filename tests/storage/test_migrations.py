"""Schema migrations with PRAGMA user_version."""

from __future__ import annotations

import sqlite3

import pytest

from bot.errors import StoreError
from bot.storage.db import Database
from bot.storage.migrations import latest_version

TABLES = {"users", "counters", "kv", "dialogs", "batches", "items", "generations", "clips",
          "exports", "tasks"}


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_empty_file_is_migrated_to_latest(tmp_path):
    path = tmp_path / "new.sqlite3"
    async with Database(path) as db:
        assert (await db.fetchone("PRAGMA user_version"))[0] == latest_version()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    assert TABLES <= _tables(path)


async def test_reopening_a_migrated_file_keeps_data(tmp_path):
    path = tmp_path / "again.sqlite3"
    async with Database(path) as db:
        await db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', 'b', 0)")
    async with Database(path) as db:
        assert (await db.fetchone("PRAGMA user_version"))[0] == latest_version()
        assert (await db.fetchone("SELECT value FROM kv WHERE key = 'a'"))[0] == "b"


async def test_newer_schema_refuses_to_start_with_clear_message(tmp_path):
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    db = Database(path)
    with pytest.raises(StoreError, match="newer than this flowbot knows"):
        await db.open()
    await db.close()


async def test_constraints_reject_bad_rows(db):
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO batches (user_id, aspect, outputs, model, created_at) "
            "VALUES (1, '4:3', 1, 'Veo 3.1 - Fast', 0)"
        )
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys are on
        await db.execute(
            "INSERT INTO items (batch_id, position, image_path, prompt, created_at, updated_at) "
            "VALUES (999, 1, 'x.png', 'p', 0, 0)"
        )
