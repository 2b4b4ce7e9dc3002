"""The deliver stage: a notification queued with the state change that causes it (so a crash
replays one at most once and loses none), told through the `Notifier`."""

from __future__ import annotations

import json
from pathlib import Path

from bot.pipeline.notifier import AdminAlert, ExportReady
from bot.pipeline.stages.context import StageContext, deliver_key
from bot.pipeline.stages.events import (
    failed_event,
    file_failed_event,
    previews_event,
    progress_event,
    upscaled_event,
)
from bot.storage import repo
from bot.storage.queue import Task


async def run_deliver(ctx: StageContext, task: Task, owner: str) -> None:
    """Tell the user (or the admins) through the `Notifier`, then mark the task done."""
    p = task.payload
    event = p["event"]
    if event == "previews":
        ev = await previews_event(ctx.db, p["item_id"], p.get("generation_id"))
        if ev is not None:
            await ctx.notifier.item_previews(ev)
    elif event == "failed":
        ev = await failed_event(ctx.db, p["item_id"])
        if ev is not None:
            await ctx.notifier.item_failed(ev)
    elif event == "finished":
        if await _items_still_told(ctx, task, owner):
            return
        ev = await progress_event(ctx.db, p["batch_id"], ctx.settings)
        if ev is not None:
            await ctx.notifier.batch_finished(ev)
    elif event == "upscaled":
        clip = await ctx.db.write_sync(lambda conn: repo.clip_row(conn, p["clip_id"]))
        ev = upscaled_event(clip, p.get("size", "4k")) if clip is not None else None
        if ev is not None:
            await ctx.notifier.clip_upscaled(ev)
    elif event == "export":
        exp = await ctx.db.fetchone(
            "SELECT e.*, b.chat_id FROM exports e JOIN batches b ON b.id = e.batch_id WHERE e.id = ?",
            (p["id"],))
        if exp is not None:
            await ctx.notifier.export_ready(ExportReady(
                exp["id"], exp["batch_id"], exp["user_id"], exp["chat_id"], exp["resolution"],
                [Path(x) for x in json.loads(exp["parts_json"])]))
            await ctx.db.execute("UPDATE exports SET status = 'delivered' WHERE id = ?", (exp["id"],))
    elif event == "file_failed":
        ev = await file_failed_event(ctx.db, p)
        notify = getattr(ctx.notifier, "file_failed", None)  # optional: the CLI reports at the end
        if ev is not None and notify is not None:
            await notify(ev)
    elif event == "admin":
        shot = p.get("screenshot")
        await ctx.notifier.admin_alert(AdminAlert(p.get("kind", "info"), p.get("text", ""),
                                                  p.get("action", ""), Path(shot) if shot else None,
                                                  key=f"task{task.id}"))
    await ctx.queue.complete(task.id, owner)


# "Finished" is said last: an item's previews (a video upload, slower than a text) or its failure
# notice queued or running beside it go first; after this long it goes anyway (one of them may
# be retrying for minutes, and the user should not wait for it to hear the batch ended).
FINISH_AFTER_ITEMS_S = 120.0
FINISH_RECHECK_S = 0.3


async def _items_still_told(ctx: StageContext, task: Task, owner: str) -> bool:
    """Whether the batch's item notices are still on their way; then the "finished" task is
    put back (no attempt counted) to come after them."""
    p = task.payload
    waiting = await ctx.queue.unfinished(
        [deliver_key(p["batch_id"], event) for event in ("previews", "failed")], besides=task.id)
    since = p.get("waiting_since", ctx.now())
    if not waiting or ctx.now() - since >= FINISH_AFTER_ITEMS_S:
        return False
    await ctx.queue.reschedule(task.id, owner, FINISH_RECHECK_S,
                               payload={**p, "waiting_since": since})
    return True
