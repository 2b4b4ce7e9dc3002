"""The notifications' contents, read from the database when a deliver task runs (so a message
shows the state at sending time): previews, a failed item, progress/finish, a delivered file,
a file that could not be made. Also used by the loop (progress messages) and the Telegram
notifier."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.pipeline import catalog, lineup, policy
from bot.pipeline.notifier import (
    BatchProgress,
    ClipInfo,
    ClipUpscaled,
    FileFailed,
    ItemFailed,
    ItemPreviews,
)
from bot.storage import repo
from bot.storage.db import Database

FALLBACK_NOTE = ("Flow's free 1080p never arrived for this clip, so this is our own upscale "
                 "(from the 720p original).")


def upscaled_event(clip: sqlite3.Row, size: str) -> ClipUpscaled | None:
    """The delivery of a clip's 1080p (Flow's) or 4K file, with a note when it is a fallback."""
    if size == "1080p":
        if not clip["path_1080"]:
            return None
        return ClipUpscaled(clip["id"], clip["batch_id"], clip["user_id"], clip["chat_id"],
                            Path(clip["path_1080"]), clip["size_1080"] or 0, label="1080p",
                            note="Flow's own 1080p upscale (free).")
    if not clip["path_4k"]:
        return None
    note = FALLBACK_NOTE if clip["status_1080"] == "fallback" else None
    return ClipUpscaled(clip["id"], clip["batch_id"], clip["user_id"], clip["chat_id"],
                        Path(clip["path_4k"]), clip["size_4k"] or 0, note=note)


async def file_failed_event(db: Database, p: dict[str, Any]) -> FileFailed | None:
    """A 4K upscale (`target_id` = clip id) or a zip (`target_id` = export id) that failed."""
    if p.get("what") == "upscale":
        row = await db.fetchone(
            "SELECT i.batch_id, b.user_id, b.chat_id FROM clips c JOIN items i ON i.id = c.item_id "
            "JOIN batches b ON b.id = i.batch_id WHERE c.id = ?", (p["target_id"],))
    else:
        row = await db.fetchone(
            "SELECT e.batch_id, b.user_id, b.chat_id FROM exports e JOIN batches b ON b.id = e.batch_id "
            "WHERE e.id = ?", (p["target_id"],))
    if row is None:
        return None
    return FileFailed(row[0], row[1], row[2], p.get("what", "export"), p["target_id"], p.get("reason", ""))


async def previews_event(db: Database, item_id: int, gen_id: int | None = None) -> ItemPreviews | None:
    """An item's ready clips (of one generation when `gen_id` is given), for its previews."""
    item = await db.fetchone(
        "SELECT i.*, b.user_id, b.chat_id FROM items i JOIN batches b ON b.id = i.batch_id "
        "WHERE i.id = ?", (item_id,))
    if item is None:
        return None
    where, params = ("AND generation_id = ?", (gen_id,)) if gen_id else ("", ())
    clips = await db.fetchall(
        f"SELECT id, variant, path_720, size_720 FROM clips WHERE item_id = ? AND status = 'ready' "
        f"{where} ORDER BY variant", (item_id, *params))
    return ItemPreviews(item["batch_id"], item_id, item["position"], item["user_id"], item["chat_id"],
                        item["prompt"], [ClipInfo(c["id"], c["variant"], Path(c["path_720"]),
                                                  c["size_720"] or 0) for c in clips])


async def failed_event(db: Database, item_id: int) -> ItemFailed | None:
    """A failed item with the reason its user reads and whether a retry is offered."""
    item = await db.fetchone(
        "SELECT i.*, b.user_id, b.chat_id FROM items i JOIN batches b ON b.id = i.batch_id "
        "WHERE i.id = ?", (item_id,))
    if item is None or item["status"] != "failed":
        return None
    return ItemFailed(item["batch_id"], item_id, item["position"], item["user_id"], item["chat_id"],
                      item["error_text"] or policy.user_reason_for(item["error_code"]),
                      item["error_code"] or "", policy.retryable_by_user(item["error_code"]))


async def progress_event(db: Database, batch_id: int, settings: Settings) -> BatchProgress | None:
    """Counts per item state, an ETA and the failures so far, for progress and finish messages."""
    batch = await db.fetchone("SELECT * FROM batches WHERE id = ?", (batch_id,))
    if batch is None:
        return None
    rows = await db.fetchall(
        "SELECT position, status, progress, error_text FROM items WHERE batch_id = ? ORDER BY position",
        (batch_id,))
    counts = Counter(r["status"] for r in rows)
    failures = [(r["position"], r["error_text"] or "failed") for r in rows if r["status"] == "failed"]
    left = [r for r in rows if r["status"] not in repo.ITEM_TERMINAL]
    eta = None
    if left:
        per = (settings.flow.sim_generation_seconds if settings.flow.backend == "simulator"
               else catalog.render_seconds(batch["model"], batch["duration"]))
        parallel = max(1, settings.flow.render_slots // max(1, batch["outputs"]))
        remaining = sum(1 - (r["progress"] or 0) / 100 for r in left)
        eta = remaining * per / min(parallel, len(left)) if left else 0.0
    place = await lineup.place_in_line(db, batch_id, settings)  # behind other users' work?
    return BatchProgress(batch_id, batch["user_id"], batch["chat_id"], dict(counts), len(rows),
                         eta, failures, at=db.now(), queue_place=place.place if place else None,
                         queue_ahead=place.ahead if place else 0,
                         starts_in_s=place.starts_in_s if place else None)
