"""A batch that finishes leaves a `batch_billed` audit row with what Flow actually billed."""

from __future__ import annotations

from bot.storage import repo
from bot.storage.db import Database


async def test_finished_batch_records_billed_credits_once(tmp_path):
    async with Database(tmp_path / "db.sqlite3") as db:
        def setup(conn):
            b = repo.insert_batch(conn, user_id=7, chat_id=7, source="telegram", aspect="9:16",
                                  outputs=2, model="Veo 3.1 - Fast", preset="balanced", title=None,
                                  now=1.0)
            conn.execute("UPDATE batches SET status = 'running' WHERE id = ?", (b,))
            for pos, (status, credits) in enumerate((("done", 40), ("failed", 0)), start=1):
                item = repo.insert_item(conn, batch_id=b, position=pos, image_path="x.jpg",
                                        image_sha256=None, prompt="p", now=1.0)
                conn.execute("UPDATE items SET status = ? WHERE id = ?", (status, item))
                conn.execute("INSERT INTO generations (item_id, attempt, status, outputs, model, "
                             "aspect, started_at, credits) VALUES (?, 1, ?, 2, 'Veo 3.1 - Fast', "
                             "'9:16', 1.0, ?)", (item, status, credits))
            return b

        batch_id = await db.write_sync(setup)
        assert await db.write_sync(lambda conn: repo.finish_batch_if_done(conn, batch_id, 5.0))
        assert not await db.write_sync(lambda conn: repo.finish_batch_if_done(conn, batch_id, 6.0))
        rows = await db.fetchall("SELECT actor_id, action, batch_id, credits, at FROM audit")
        # The refunded failure counts nothing; a second finish records nothing more.
        assert [tuple(r) for r in rows] == [(7, "batch_billed", batch_id, 40, 5.0)]

        def run_again(conn):  # the failed item retried and billed 40: the batch runs once more
            conn.execute("UPDATE batches SET status = 'running' WHERE id = ?", (batch_id,))
            item = conn.execute("SELECT id FROM items WHERE status = 'failed'").fetchone()[0]
            conn.execute("UPDATE items SET status = 'done' WHERE id = ?", (item,))
            conn.execute("INSERT INTO generations (item_id, attempt, status, outputs, model, aspect, "
                         "started_at, credits) VALUES (?, 2, 'done', 2, 'Veo 3.1 - Fast', '9:16', "
                         "7.0, 40)", (item,))
            return repo.finish_batch_if_done(conn, batch_id, 8.0)

        assert await db.write_sync(run_again)
        rows = await db.fetchall("SELECT credits FROM audit WHERE action = 'batch_billed' ORDER BY id")
        assert [r[0] for r in rows] == [40, 40]  # each run's own bill, not the running total
