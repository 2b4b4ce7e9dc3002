"""Child process for the crash test: claims a task, then dies (SIGKILL) mid-transaction."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bot.storage.db import Database
from bot.storage.queue import TaskQueue


async def main(db_path: str, marker_dir: str) -> None:
    markers = Path(marker_dir)
    db = await Database(db_path).open()
    queue = TaskQueue(db, lease_seconds=30)
    task = await queue.claim("child-worker")
    (markers / "claimed").write_text(str(task.id))

    def half_written(conn):
        for i in range(1000):
            conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, 'partial', 0)", (f"k{i}",)
            )
        (markers / "mid-transaction").write_text("1")
        time.sleep(120)  # the parent kills us here, inside BEGIN IMMEDIATE … (no COMMIT)

    await queue.complete(task.id, "child-worker", effects=half_written)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
