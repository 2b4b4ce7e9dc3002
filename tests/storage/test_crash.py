"""A worker killed with SIGKILL while holding a lease and mid-transaction."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.clock import FakeClock
from bot.storage.db import Database
from bot.storage.queue import TaskQueue

WORKER = Path(__file__).with_name("crash_worker.py")


async def _wait_for(path: Path, proc: asyncio.subprocess.Process, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if path.exists():
            return
        if proc.returncode is not None:
            raise AssertionError(f"worker exited early with {proc.returncode}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path.name} never appeared")


async def test_sigkill_mid_transaction_leaves_database_intact_and_task_reclaimable(tmp_path):
    db_path = tmp_path / "crash.sqlite3"
    async with Database(db_path) as db:
        task_id = await TaskQueue(db).enqueue("submit", {"item": 1}, key="submit:1")

    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), str(db_path), str(tmp_path), env=env
    )
    try:
        await _wait_for(tmp_path / "mid-transaction", proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL

    clock = FakeClock(time.time())
    async with Database(db_path, clock) as db:
        assert (await db.fetchone("PRAGMA integrity_check"))[0] == "ok"
        # Nothing of the killed transaction is visible: no kv rows, task not completed.
        assert (await db.fetchone("SELECT count(*) FROM kv"))[0] == 0
        queue = TaskQueue(db, lease_seconds=30)
        task = await queue.get(task_id)
        assert task.status == "running" and task.lease_owner == "child-worker"

        assert await queue.claim("rescuer") is None  # the dead worker's lease still runs
        clock.advance(31)
        again = await queue.claim("rescuer")
        assert again is not None and again.id == task_id and again.attempts == 2
        await queue.complete(task_id, "rescuer")
        assert (await queue.get(task_id)).status == "done"
