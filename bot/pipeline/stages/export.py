"""The export stage: a zip of a batch's chosen clips, on request."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.pipeline.stages.context import StageContext, deliver_task
from bot.storage.queue import Task


async def run_export(ctx: StageContext, task: Task, owner: str) -> None:
    """Zip the export's clips (streamed, split under the upload limit) and announce the parts."""
    from bot.pipeline.zipexport import ZipEntry, export_zip

    export_id = task.payload["export_id"]
    exp = await ctx.db.fetchone(
        "SELECT e.*, b.source, b.aspect, b.model, b.outputs FROM exports e "
        "JOIN batches b ON b.id = e.batch_id WHERE e.id = ?", (export_id,))
    if exp is None or exp["status"] in ("ready", "delivered"):
        await ctx.queue.complete(task.id, owner)
        return
    clip_ids = json.loads(exp["clip_ids_json"])
    column = "path_4k" if exp["resolution"] == "4k" else "path_720"
    rows = await ctx.db.fetchall(
        f"SELECT c.{column} AS path, i.position, c.variant, i.prompt FROM clips c "
        f"JOIN items i ON i.id = c.item_id WHERE c.id IN ({', '.join('?' for _ in clip_ids)}) "
        f"AND c.{column} IS NOT NULL ORDER BY i.position, c.variant", tuple(clip_ids))
    entries = [ZipEntry(Path(r["path"]), exp["batch_id"], r["position"], r["variant"],
                        exp["resolution"], r["prompt"]) for r in rows]
    await ctx.db.execute("UPDATE exports SET status = 'running' WHERE id = ?", (export_id,))
    # Telegram delivers parts as documents, so each must fit its upload limit; the CLI needs one.
    limit = ctx.settings.telegram.upload_limit_bytes if exp["source"] == "telegram" else None
    try:
        dest = ctx.exports_dir or ctx.data_dir / "exports" / f"export{export_id}"
        parts = await export_zip(entries, dest,
                                 f"batch{exp['batch_id']}_{exp['resolution']}", part_limit=limit,
                                 manifest={"batch": exp["batch_id"], "aspect": exp["aspect"],
                                           "model": exp["model"], "outputs": exp["outputs"]})
    except Exception as err:
        if task.attempts < task.max_attempts:
            raise
        text = str(err)[:500]

        def failed(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE exports SET status = 'failed', error_text = ? WHERE id = ?",
                         (text, export_id))
            # "It arrives here shortly" was promised: the user hears that it won't.
            ctx.queue.add(conn, deliver_task(exp["batch_id"], "file_failed", f"export:{export_id}",
                                             what="export", target_id=export_id, reason=text))

        await ctx.queue.fail(task.id, owner, text, effects=failed)
        return
    now = ctx.now()

    def effects(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE exports SET status = 'ready', parts_json = ?, finished_at = ? "
                     "WHERE id = ?", (json.dumps([str(p) for p in parts]), now, export_id))
        ctx.queue.add(conn, deliver_task(exp["batch_id"], "export", export_id))

    await ctx.queue.complete(task.id, owner, effects=effects)
