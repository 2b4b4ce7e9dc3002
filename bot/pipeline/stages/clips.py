"""A collected clip's files and the work queued on it: where a clip is stored, the check that a
download is a whole video, the blob store copy, and the follow-ups (Flow's free 1080p, our 4K
upscale), each queued at most once. Used by the collect, 1080p and upscale stages and by
`BatchService` (upscale and 1080p on request)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.pipeline.stages.context import COLLECT, UPSCALE, StageContext, key
from bot.storage import repo
from bot.storage.queue import NewTask


def clip_path(data_dir: Path, batch_id: int, position: int, gen_id: int, variant: int,
              suffix: str = "") -> Path:
    """Where a collected clip (720p original) is kept under the data folder."""
    return data_dir / "clips" / f"batch{batch_id}" / f"item{position:03d}_g{gen_id}_v{variant}{suffix}.mp4"


async def check_video(ctx: StageContext, path: Path) -> None:
    """A clip must be a readable video; a truncated download raises and is fetched again."""
    from bot.pipeline.probe import probe

    info = await probe(path, ffprobe=ctx.settings.upscale.ffprobe_path)
    if info.duration_s <= 0 or info.width <= 0:
        raise RuntimeError(f"downloaded clip {path.name} has no video")


async def store_blob(ctx: StageContext, path: Path, blob_key: str) -> str | None:
    """Copy a file to the blob store, if one is configured; its storage key, else None."""
    if ctx.blobstore is None:
        return None
    ref = await ctx.blobstore.put(blob_key, path)  # bot.storage.blobstore.BlobStore
    return getattr(ref, "key", None) or blob_key


def enqueue_upscale(ctx: StageContext, conn: sqlite3.Connection, batch_id: int, clip_id: int,
                    preset: str, now: float) -> bool:
    """Queue a 4K upscale unless one with this preset is queued, running or done."""
    row = conn.execute("SELECT status_4k, preset_4k, path_720 FROM clips WHERE id = ?",
                       (clip_id,)).fetchone()
    if row is None or row["path_720"] is None:
        return False
    if row["status_4k"] in ("queued", "running", "ready") and row["preset_4k"] == preset:
        return False
    repo.set_clip(conn, clip_id, now, status_4k="queued", preset_4k=preset, error_text=None)
    n = conn.execute("SELECT count(*) FROM tasks WHERE idempotency_key LIKE ?",
                     (f"b{batch_id}:{UPSCALE}:{clip_id}:%",)).fetchone()[0]
    ctx.queue.add(conn, NewTask(UPSCALE, {"clip_id": clip_id, "preset": preset},
                                key(batch_id, UPSCALE, clip_id, preset, n),
                                max_attempts=3))
    return True


def enqueue_fetch_1080(ctx: StageContext, conn: sqlite3.Connection, batch_id: int, clip_id: int,
                       now: float) -> bool:
    """Queue the download of Flow's free 1080p of a clip, unless asked for already."""
    row = conn.execute("SELECT status_1080, path_720 FROM clips WHERE id = ?", (clip_id,)).fetchone()
    if row is None or row["path_720"] is None or row["status_1080"] in ("queued", "running", "ready"):
        return False
    repo.set_clip(conn, clip_id, now, status_1080="queued")
    n = conn.execute("SELECT count(*) FROM tasks WHERE idempotency_key LIKE ?",
                     (f"b{batch_id}:{COLLECT}1080:{clip_id}:%",)).fetchone()[0]
    ctx.queue.add(conn, NewTask(COLLECT, {"clip_id": clip_id, "size": "1080p"},
                                key(batch_id, f"{COLLECT}1080", clip_id, n), max_attempts=3))
    return True
