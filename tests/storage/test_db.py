"""`Database` transactions when their caller is cancelled.

Regression (test_pipeline_session_check_notes_the_plan_the_page_shows on a busy machine): the
pipeline's shutdown cancelled a tick whose write was waiting for its BEGIN on aiosqlite's
thread; the BEGIN ran all the same, the writer connection stayed inside that transaction, and
the shutdown's own write failed with "cannot start a transaction within a transaction"."""

from __future__ import annotations

import asyncio
import time

from bot.clock import FakeClock
from bot.storage.db import Database


async def _busy_thread(conn, seconds: float) -> asyncio.Task:
    """Keep `conn`'s aiosqlite thread busy for `seconds`, so what is queued next waits there."""
    task = asyncio.ensure_future(conn._execute(lambda: time.sleep(seconds)))
    await asyncio.sleep(0.02)  # the sleep is running on the thread now
    return task


async def test_a_write_cancelled_at_its_begin_leaves_no_transaction_open(tmp_path):
    db = await Database(tmp_path / "db.sqlite3", FakeClock()).open()
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        busy = await _busy_thread(db._writer, 0.3)

        async def writer() -> None:
            async with db.write() as conn:
                await conn.execute("INSERT INTO t VALUES (1)")

        task = asyncio.ensure_future(writer())
        await asyncio.sleep(0.05)  # its BEGIN IMMEDIATE is queued behind the busy thread
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await busy
        assert await db.execute("INSERT INTO t VALUES (2)") == 1
        assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [2]
    finally:
        await db.close()


async def test_a_read_cancelled_at_its_begin_leaves_its_connection_usable(tmp_path):
    db = await Database(tmp_path / "db.sqlite3", FakeClock()).open()
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        await db.execute("INSERT INTO t VALUES (7)")
        assert await db.fetchone("SELECT x FROM t") is not None  # a reader connection exists
        [reader] = db._idle_readers
        busy = await _busy_thread(reader, 0.3)
        task = asyncio.ensure_future(db.fetchone("SELECT x FROM t"))
        await asyncio.sleep(0.05)  # its BEGIN is queued behind the busy thread
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await busy
        for _ in range(3):  # whichever reader is handed out next works
            assert (await db.fetchone("SELECT x FROM t"))[0] == 7
    finally:
        await db.close()
