"""A draft nobody starts kept its image copies forever (the owner only knew cancelled drafts
and finished batches): housekeeping now expires drafts after `DRAFT_EXPIRY_S`."""

from __future__ import annotations

import os

import pytest

from bot.config import load_settings
from bot.pipeline.loop import DRAFT_EXPIRY_S, PRUNE_EVERY_S, Pipeline
from bot.services.batches import BatchError, BatchService, NewItem
from tests.handlers.harness import image_bytes

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

USER, CHAT = 7, 70


async def test_draft_never_started_kept_its_images_forever(db, queue, clock, tmp_path):
    data = tmp_path / "data"
    settings = load_settings(None)
    svc = BatchService(db, queue, settings, clock, data)
    src = tmp_path / "img.jpg"
    src.write_bytes(image_bytes(seed=5))

    async def draft() -> int:
        return await svc.create_batch(USER, CHAT, [NewItem(str(src), "a lighthouse in fog")],
                                      aspect="9:16", outputs=1, model="Veo 3.1 - Fast")

    old = await draft()
    started = await draft()
    await svc.start(started, USER)
    pipeline = Pipeline(db, queue, None, None, None, None, settings, clock, data_dir=data)
    clock.advance(DRAFT_EXPIRY_S - 2 * PRUNE_EVERY_S)
    young = await draft()
    await pipeline.housekeeping()
    assert sorted(os.listdir(data / "images")) == [f"batch{b}" for b in (old, started, young)]

    clock.advance(3 * PRUNE_EVERY_S)  # the first draft is past a month; the last one is not
    await pipeline.housekeeping()
    assert sorted(os.listdir(data / "images")) == [f"batch{b}" for b in (started, young)]
    assert (await svc.get(old)).status == "cancelled"
    assert (await svc.get(young)).status == "draft" and (await svc.get(started)).status == "running"
    queued = await db.fetchall("SELECT count(*) FROM tasks WHERE status = 'queued'")
    assert queued[0][0] == 1  # the started batch's submit, untouched
    with pytest.raises(BatchError):
        await svc.start(old, USER)  # its card's Start now says it is cancelled
