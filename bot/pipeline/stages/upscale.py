"""The upscale stage: our own 4K of a clip (FFmpeg, `bot/pipeline/upscale.py`), started from
Flow's 1080p when the clip has it, else from the 720p original."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bot.pipeline.notifier import UpscaleProgress
from bot.pipeline.stages.clips import store_blob
from bot.pipeline.stages.context import StageContext, deliver_task
from bot.storage import repo
from bot.storage.queue import Task

log = logging.getLogger(__name__)

# How often a 4K upscale looks again while Flow's 1080p of its clip is still coming.
UPSCALE_WAIT_1080_S = 2.0


def upscale_source(clip: sqlite3.Row | dict) -> Path:
    """What a 4K upscale starts from: Flow's 1080p when the clip has it, else the 720p original."""
    if clip["status_1080"] == "ready" and clip["path_1080"] and Path(clip["path_1080"]).exists():
        return Path(clip["path_1080"])
    return Path(clip["path_720"])


async def run_upscale(ctx: StageContext, task: Task, owner: str) -> None:
    """Upscale one clip to 4K with the task's preset, showing progress, then announce the file;
    the last attempt's failure is told to the user (`file_failed`)."""
    clip_id, preset = task.payload["clip_id"], task.payload["preset"]
    clip = await ctx.db.write_sync(lambda conn: repo.clip_row(conn, clip_id))
    if clip is None or clip["status_4k"] == "ready" and clip["path_4k"] and Path(clip["path_4k"]).exists():
        await ctx.queue.complete(task.id, owner)
        return
    if clip["status_1080"] in ("queued", "running"):
        # Flow's 1080p of this clip is on its way (it ends ready or as a fallback, bounded by
        # FLOW_UPSCALE_1080_TIMEOUT_S): the 4K starts from it rather than from the 720p.
        await ctx.queue.reschedule(task.id, owner, UPSCALE_WAIT_1080_S)
        return
    now = ctx.now()
    await ctx.db.write_sync(lambda conn: repo.set_clip(conn, clip_id, now, status_4k="running"))
    src = upscale_source(clip)
    dst = ctx.data_dir / "4k" / f"batch{clip['batch_id']}" / (Path(clip["path_720"]).stem
                                                              + f"_4k_{preset}.mp4")
    dst.parent.mkdir(parents=True, exist_ok=True)

    async def on_progress(percent: float, eta: float | None) -> None:
        try:
            await ctx.notifier.upscale_progress(UpscaleProgress(
                clip_id, clip["user_id"], clip["chat_id"], percent, eta))
        except Exception as err:  # a notifier must not stop an encode
            log.debug("upscale progress not shown: %s", err)

    try:
        await ctx.upscaler.upscale(src, dst, preset=preset, on_progress=on_progress)
    except Exception as err:
        if task.attempts < task.max_attempts:
            raise
        text = str(err)[:500]

        def failed(conn: sqlite3.Connection) -> None:
            repo.set_clip(conn, clip_id, ctx.now(), status_4k="failed", error_text=text)
            # "They arrive here as files" was promised: the user hears that this one won't.
            ctx.queue.add(conn, deliver_task(clip["batch_id"], "file_failed", f"upscale:{task.id}",
                                             what="upscale", target_id=clip_id, reason=text))

        await ctx.queue.fail(task.id, owner, text, effects=failed)
        return
    size = dst.stat().st_size
    storage_key = await store_blob(ctx, dst, f"4k/batch{clip['batch_id']}/{dst.name}")
    now = ctx.now()

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip_id, now, status_4k="ready", path_4k=str(dst), size_4k=size,
                      storage_key_4k=storage_key)
        ctx.queue.add(conn, deliver_task(clip["batch_id"], "upscaled", f"{clip_id}:{preset}",
                                         clip_id=clip_id))

    await ctx.queue.complete(task.id, owner, effects=effects)
