"""The collect stage: download a finished generation's clips, verify and store them, then
announce the item and queue what the batch asked for next (Flow's 1080p, or our 4K upscale).

A collect task with a `clip_id` is Flow's 1080p of one clip (`fetch_1080`): it drives the page
like any download, so it is the same task kind, with the same page lock and pause rule.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from bot.pipeline.stages.clips import (
    check_video,
    clip_path,
    enqueue_fetch_1080,
    enqueue_upscale,
    store_blob,
)
from bot.pipeline.stages.context import StageContext, deliver_task, handle_of
from bot.pipeline.stages.fetch_1080 import run_fetch_1080
from bot.pipeline.stages.outcomes import maybe_finish
from bot.storage import repo
from bot.storage.blobstore import sha256_file
from bot.storage.queue import Task


async def run_collect(ctx: StageContext, task: Task, owner: str) -> None:
    """Download each done tile of a generation, verify it, store it, then announce the item.

    A collect task with a `clip_id` fetches Flow's own 1080p of that clip instead (it drives
    the page like any download, so it shares this kind's page lock and pause rule).
    """
    if "clip_id" in task.payload:
        await run_fetch_1080(ctx, task, owner)
        return
    gen_id = task.payload["generation_id"]
    gen = await ctx.db.fetchone("SELECT * FROM generations WHERE id = ?", (gen_id,))
    item = await ctx.db.write_sync(lambda conn: repo.item_row(conn, gen["item_id"]))
    clips = await ctx.db.fetchall(
        "SELECT * FROM clips WHERE generation_id = ? ORDER BY variant", (gen_id,))
    handle = handle_of(gen, item["prompt"])
    for clip in clips:
        if clip["status"] == "ready" and clip["path_720"] and Path(clip["path_720"]).exists():
            continue  # collected before a crash: idempotent
        dest = clip_path(ctx.data_dir, item["batch_id"], item["position"], gen_id, clip["variant"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.stem + ".part.mp4")
        await ctx.downloads_ok.wait()
        await ctx.flow.download(handle, clip["tile_id"], part)
        await check_video(ctx, part)
        digest = await asyncio.to_thread(sha256_file, part)
        os.replace(part, dest)  # atomic: a clip file is whole or absent
        size = dest.stat().st_size
        storage_key = await store_blob(ctx, dest, f"clips/batch{item['batch_id']}/{dest.name}")
        fields = dict(status="ready", path_720=str(dest), sha256_720=digest, size_720=size,
                      storage_key_720=storage_key)
        await ctx.db.write_sync(lambda conn, c=clip["id"], f=fields, t=ctx.now():
                                repo.set_clip(conn, c, t, **f))
    now = ctx.now()
    preset = await repo.kv_read(ctx.db, f"batch.{item['batch_id']}.auto_upscale")

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_item(conn, item["id"], now, status="done", progress=100, error_class=None,
                      error_code=None, error_text=None)
        ctx.queue.add(conn, deliver_task(item["batch_id"], "previews", f"{item['id']}:{gen_id}",
                                         item_id=item["id"], generation_id=gen_id))
        ready = conn.execute("SELECT id FROM clips WHERE generation_id = ? AND status = 'ready'",
                             (gen_id,)).fetchall()
        wants_1080 = conn.execute("SELECT flow_1080p FROM batches WHERE id = ?",
                                  (item["batch_id"],)).fetchone()[0]
        for clip in ready:
            if wants_1080:  # Flow's 1080p first; the 4K (if asked for) then starts from it
                enqueue_fetch_1080(ctx, conn, item["batch_id"], clip[0], now)
            elif preset:
                enqueue_upscale(ctx, conn, item["batch_id"], clip[0], preset, now)
        maybe_finish(ctx, conn, item["batch_id"], now)

    await ctx.queue.complete(task.id, owner, effects=effects)
