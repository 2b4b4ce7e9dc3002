"""A waiting batch's place in line: other users' work ahead of it, and when it should start.

A started batch waits while none of its items has reached Flow yet and other users' running
batches, started before it, still have unfinished items (the submit queue takes work in the
order it was queued). Its place is 1 + those batches; its start estimate adds up their
remaining render time the same way the progress ETA does (typical render seconds per clip,
the account's render slots), so it is an estimate, never a promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.pipeline import catalog
from bot.storage import repo
from bot.storage.db import Database

_WAITING = ("queued", "pending", "paused")


@dataclass(frozen=True)
class Place:
    """Where a waiting batch stands: `place` in line behind `ahead` batches, start in `starts_in_s`."""

    place: int
    ahead: int
    starts_in_s: float


async def place_in_line(db: Database, batch_id: int, settings: Settings) -> Place | None:
    """The batch's place, or None when it is not waiting behind someone else's work."""
    batch = await db.fetchone("SELECT user_id, status, started_at FROM batches WHERE id = ?",
                              (batch_id,))
    if batch is None or batch["status"] != "running" or batch["started_at"] is None:
        return None
    marks = ", ".join("?" for _ in _WAITING)
    moving = await db.fetchone(
        f"SELECT count(*) FROM items WHERE batch_id = ? AND status NOT IN ({marks}) "
        f"AND status NOT IN ('cancelled')", (batch_id, *_WAITING))
    if moving[0]:
        return None  # already at Flow: the progress ETA says the rest
    terminal = ", ".join("?" for _ in repo.ITEM_TERMINAL)
    ahead = await db.fetchall(
        f"SELECT b.id, b.model, b.duration, b.outputs, "
        f"sum(1 - coalesce(i.progress, 0) / 100.0) AS left FROM batches b "
        f"JOIN items i ON i.batch_id = b.id WHERE b.status = 'running' AND b.user_id != ? "
        f"AND (b.started_at < ? OR (b.started_at = ? AND b.id < ?)) "
        f"AND i.status NOT IN ({terminal}) GROUP BY b.id",
        (batch["user_id"], batch["started_at"], batch["started_at"], batch_id, *repo.ITEM_TERMINAL))
    if not ahead:
        return None
    seconds = 0.0
    for row in ahead:
        per = (settings.flow.sim_generation_seconds if settings.flow.backend == "simulator"
               else catalog.render_seconds(row["model"], row["duration"]))
        parallel = max(1, settings.flow.render_slots // max(1, row["outputs"]))
        seconds += float(row["left"]) * per / max(1, min(parallel, int(-(-row["left"] // 1))))
    return Place(place=len(ahead) + 1, ahead=len(ahead), starts_in_s=seconds)
