"""Flow's own 1080p of a clip (a collect task with a `clip_id`): downloaded when Flow renders
it, else our own 4K upscale of the 720p original instead, whose delivery says why."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from bot.errors import FlowError, RetryableFlowError
from bot.pipeline.stages.clips import check_video, enqueue_upscale, store_blob
from bot.pipeline.stages.context import StageContext, deliver_task, handle_of
from bot.storage import repo
from bot.storage.queue import Task

log = logging.getLogger(__name__)


async def run_fetch_1080(ctx: StageContext, task: Task, owner: str) -> None:
    """Download Flow's 1080p of one clip; when it never comes, fall back to our own upscale.

    Flow renders 1080p on demand and sometimes never (FLOW_2026 §9): the driver waits a bounded
    time and raises `upscale_timeout`. That, or running out of attempts, queues our own 4K
    upscale of the 720p original, whose delivery says why. Nothing is ever submitted again.
    """
    clip_id = task.payload["clip_id"]
    clip = await ctx.db.write_sync(lambda conn: repo.clip_row(conn, clip_id))
    if clip is None or clip["status_1080"] in ("ready", "fallback"):
        await ctx.queue.complete(task.id, owner)
        return
    gen = await ctx.db.fetchone("SELECT g.*, i.prompt FROM generations g JOIN items i ON "
                                "i.id = g.item_id WHERE g.id = ?", (clip["generation_id"],))
    await ctx.db.write_sync(lambda conn: repo.set_clip(conn, clip_id, ctx.now(), status_1080="running"))
    dest = Path(clip["path_720"]).with_name(Path(clip["path_720"]).stem + "_1080p.mp4")
    part = dest.with_name(dest.stem + ".part.mp4")
    try:
        await ctx.downloads_ok.wait()
        await ctx.flow.download(handle_of(gen, gen["prompt"]), clip["tile_id"], part, size="1080p")
        await check_video(ctx, part)
        os.replace(part, dest)
    except Exception as err:
        part.unlink(missing_ok=True)
        if isinstance(err, FlowError) and err.error_class in ("session", "paused"):
            raise  # the loop pauses the account and comes back to this step
        # Flow's 1080p never came, or Flow refused it (unusual activity on its own upscale,
        # FLOW_2026 Dec. 7): our own upscale now, never a retry loop against Flow.
        timed_out = isinstance(err, RetryableFlowError) and err.code in ("upscale_timeout",
                                                                          "upscale_refused")
        if not timed_out and task.attempts < task.max_attempts:
            raise
        log.info("Flow's 1080p of clip %s failed (%s); falling back to our own upscale", clip_id, err)
        await _fall_back_from_1080(ctx, task, owner, clip)
        return
    size = dest.stat().st_size
    storage_key = await store_blob(ctx, dest, f"clips/batch{clip['batch_id']}/{dest.name}")
    now = ctx.now()
    preset = await repo.kv_read(ctx.db, f"batch.{clip['batch_id']}.auto_upscale")

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip_id, now, status_1080="ready", path_1080=str(dest), size_1080=size,
                      storage_key_1080=storage_key)
        ctx.queue.add(conn, deliver_task(clip["batch_id"], "upscaled", f"{clip_id}:1080p",
                                         clip_id=clip_id, size="1080p"))
        if preset:
            enqueue_upscale(ctx, conn, clip["batch_id"], clip_id, preset, now)

    await ctx.queue.complete(task.id, owner, effects=effects)


async def _fall_back_from_1080(ctx: StageContext, task: Task, owner: str, clip: sqlite3.Row) -> None:
    now = ctx.now()
    preset = (await repo.kv_read(ctx.db, f"batch.{clip['batch_id']}.auto_upscale")
              or (await ctx.db.fetchone("SELECT upscale_preset FROM batches WHERE id = ?",
                                        (clip["batch_id"],)))[0])

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip["id"], now, status_1080="fallback")
        enqueue_upscale(ctx, conn, clip["batch_id"], clip["id"], preset, now)

    await ctx.queue.complete(task.id, owner, effects=effects)
