"""The owner of a batch's image copies (`data/images/batch<N>`).

A batch copies its images when it is created (the originals in `data/incoming` go away with
the dialog). The copies are needed while the batch can still submit to Flow: until it is
cancelled as a draft (nothing was ever submitted), until a draft nobody started expires
(`expire_drafts`), or until a finished batch (done or cancelled) is past the queue's
retention, when its tasks are pruned too. Then they go.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from bot.storage.db import Database

log = logging.getLogger(__name__)


def batch_images_dir(data_dir: Path, batch_id: int) -> Path:
    """Where `BatchService.create_batch` copies batch `batch_id`'s images."""
    return Path(data_dir) / "images" / f"batch{int(batch_id)}"


def delete_batch_images(data_dir: Path, batch_id: int) -> bool:
    """Delete batch `batch_id`'s image copies; False when there were none."""
    folder = batch_images_dir(data_dir, batch_id)
    if not folder.is_dir():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


async def expire_drafts(db: Database, data_dir: Path, older_than_s: float) -> list[int]:
    """Cancel drafts created more than `older_than_s` ago and never started, and delete their
    image copies (nothing of a draft ever reached Flow); returns the batch ids. Pressing Start
    on such a card afterwards says the batch is cancelled."""
    now = db.now()
    cutoff = now - older_than_s

    def tx(conn) -> list[int]:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM batches WHERE status = 'draft' AND created_at < ?", (cutoff,))]
        for batch_id in ids:
            conn.execute("UPDATE items SET status = 'cancelled', updated_at = ? "
                         "WHERE batch_id = ? AND status = 'pending'", (now, batch_id))
            conn.execute("UPDATE batches SET status = 'cancelled', finished_at = ? "
                         "WHERE id = ? AND status = 'draft'", (now, batch_id))
        return ids

    ids = await db.write_sync(tx)
    for batch_id in ids:
        await asyncio.to_thread(delete_batch_images, data_dir, batch_id)
    if ids:
        log.info("expired %d draft batch(es) nobody started", len(ids))
    return ids


async def prune_batch_images(db: Database, data_dir: Path, older_than_s: float) -> list[int]:
    """Delete the image copies of batches finished (done or cancelled) more than `older_than_s`
    ago with no queued or running task left; returns the batch ids whose copies went."""
    cutoff = db.now() - older_than_s
    rows = await db.fetchall(
        "SELECT b.id FROM batches b WHERE b.status IN ('done', 'cancelled') "
        "AND b.finished_at IS NOT NULL AND b.finished_at < ? AND NOT EXISTS (SELECT 1 FROM items i "
        "WHERE i.batch_id = b.id AND i.status IN ('pending', 'queued', 'submitting', 'paused'))",
        (cutoff,))
    ids = [r[0] for r in rows if batch_images_dir(data_dir, r[0]).is_dir()]
    for batch_id in ids:
        await asyncio.to_thread(delete_batch_images, data_dir, batch_id)
    if ids:
        log.info("deleted the image copies of %d finished batch(es)", len(ids))
    return ids
