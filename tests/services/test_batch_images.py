"""Batch image copies (`data/images/batch<N>`) have an owner (leftover of issue 12 #3): they
were never deleted, even after a batch was cancelled or pruned. Checked by listing the folder."""

from __future__ import annotations

import os

import pytest

from bot.config import load_settings
from bot.pipeline.loop import PRUNE_AFTER_S, PRUNE_EVERY_S, Pipeline
from bot.services.batches import BatchService, NewItem
from tests.handlers.harness import image_bytes

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER, CHAT = 7, 70


async def test_batch_image_copies_are_deleted_when_cancelled_as_draft_or_past_retention(
        db, queue, clock, tmp_path):
    data = tmp_path / "data"
    settings = load_settings(None)
    svc = BatchService(db, queue, settings, clock, data)
    src = tmp_path / "in"
    src.mkdir()

    async def batch(n: int) -> int:
        items = []
        for i in range(n):
            path = src / f"img{i}.jpg"
            path.write_bytes(image_bytes(seed=i))
            items.append(NewItem(str(path), "a lighthouse in fog"))
        return await svc.create_batch(USER, CHAT, items, aspect="9:16", outputs=1,
                                      model="Veo 3.1 - Fast")

    def folders() -> list[str]:
        return sorted(os.listdir(data / "images"))

    cancelled_draft, finished, retrying, draft = [await batch(2) for _ in range(4)]
    assert folders() == [f"batch{b}" for b in (cancelled_draft, finished, retrying, draft)]

    await svc.cancel(cancelled_draft, USER)  # never reached Flow: its copies go now
    assert folders() == [f"batch{b}" for b in (finished, retrying, draft)]

    now = db.now()
    await db.execute("UPDATE batches SET status = 'done', finished_at = ? WHERE id IN (?, ?)",
                     (now, finished, retrying))
    await db.execute("UPDATE items SET status = 'done' WHERE batch_id = ?", (finished,))
    await db.execute("UPDATE items SET status = 'queued' WHERE batch_id = ?", (retrying,))
    pipeline = Pipeline(db, queue, None, None, None, None, settings, clock, data_dir=data)
    clock.advance(PRUNE_AFTER_S - 1)
    await pipeline.housekeeping()  # not a week old yet
    assert folders() == [f"batch{b}" for b in (finished, retrying, draft)]
    clock.advance(PRUNE_EVERY_S)
    await pipeline.housekeeping()
    # A finished batch past retention loses its copies; one with an item still to submit and
    # an open draft keep theirs.
    assert folders() == [f"batch{b}" for b in (retrying, draft)]


async def test_again_or_retry_after_the_images_were_pruned_is_refused_politely(db, queue, clock,
                                                                               tmp_path):
    """The sibling of the owner above: once a finished batch's image copies are gone, "Again"
    and "Retry" of its items say so and queue nothing (they could only fail in Flow)."""
    import pytest

    from bot.services.batches import IMAGES_GONE, BatchError
    from bot.services.review import ReviewService

    data = tmp_path / "data"
    settings = load_settings(None)
    svc = BatchService(db, queue, settings, clock, data)
    src = tmp_path / "img.jpg"
    src.write_bytes(image_bytes(seed=3))
    batch_id = await svc.create_batch(USER, CHAT, [NewItem(str(src), "a"), NewItem(str(src), "b")],
                                      aspect="9:16", outputs=1, model="Veo 3.1 - Fast")
    done_id, failed_id = [r[0] for r in await db.fetchall(
        "SELECT id FROM items WHERE batch_id = ? ORDER BY position", (batch_id,))]
    await db.execute("UPDATE items SET status = 'done' WHERE id = ?", (done_id,))
    await db.execute("UPDATE items SET status = 'failed' WHERE id = ?", (failed_id,))
    await db.execute("UPDATE batches SET status = 'done', finished_at = ? WHERE id = ?",
                     (db.now(), batch_id))
    pipeline = Pipeline(db, queue, None, None, None, None, settings, clock, data_dir=data)
    clock.advance(PRUNE_AFTER_S + 1)
    await pipeline.housekeeping()
    assert os.listdir(data / "images") == []

    with pytest.raises(BatchError, match="no longer kept"):
        await svc.retry_item(failed_id, USER)
    with pytest.raises(BatchError) as err:
        await ReviewService(svc).again(batch_id, USER, done_id, 0)
    assert str(err.value) == IMAGES_GONE
    statuses = [r[0] for r in await db.fetchall(
        "SELECT status FROM items WHERE batch_id = ? ORDER BY position", (batch_id,))]
    assert statuses == ["done", "failed"]  # nothing queued, nothing added
