"""The watch stage: one look at a generation in flight, rescheduled until every tile has ended;
then its clips are recorded, its credits counted, and its collect task queued."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from bot.errors import FlowError, RetryableFlowError
from bot.pipeline import catalog, policy
from bot.pipeline.flow.api import FlowHandle, TileStatus
from bot.pipeline.stages.context import (
    COLLECT,
    TASK_MAX_ATTEMPTS,
    StageContext,
    handle_of,
    key,
    repo_gen,
)
from bot.pipeline.stages.outcomes import fail_item, pause_account
from bot.storage import repo
from bot.storage.queue import NewTask, Task

log = logging.getLogger(__name__)

# Poll failures in a row (not Flow refusals) before a generation is treated as failed.
MAX_POLL_ERRORS = 8
# Shortest wait between two looks at a generation about to finish.
MIN_POLL_S = 0.25


async def run_watch(ctx: StageContext, task: Task, owner: str) -> None:
    """One look at a generation in flight; reschedule until every tile is done or failed."""
    gen_id = task.payload["generation_id"]

    def load(conn: sqlite3.Connection) -> tuple[Any, Any]:
        gen = repo_gen(conn, gen_id)
        return gen, (repo.item_row(conn, gen["item_id"]) if gen is not None else None)

    gen, item = await ctx.db.write_sync(load)
    if gen is None or gen["status"] != "submitted":
        await ctx.queue.complete(task.id, owner)
        return
    handle = handle_of(gen, item["prompt"])
    interval = ctx.settings.flow.poll_interval_s
    try:
        tiles = await ctx.flow.poll(handle)
    except FlowError as err:
        if err.error_class in ("paused", "session"):
            now = ctx.now()
            await ctx.queue.reschedule(task.id, owner, interval, effects=lambda conn: pause_account(
                ctx, conn, policy.decide(err, {}, ctx.settings.flow).pause_kind or err.code,
                err.text or str(err), now))
            return
        errors = int(task.payload.get("poll_errors", 0)) + 1
        if errors < MAX_POLL_ERRORS:
            log.warning("poll of generation %s failed (%s); looking again", gen_id, err)
            await ctx.queue.reschedule(task.id, owner, interval * errors,
                                       payload={**task.payload, "poll_errors": errors})
            return
        await fail_item(ctx, task, owner, item, gen_id, err)
        return
    now = ctx.now()
    if not tiles or not all(t.terminal for t in tiles):
        percent = _percent(tiles)
        timed_out = now - (gen["submitted_at"] or gen["started_at"]) > ctx.settings.flow.generation_timeout_s
        if timed_out:
            await fail_item(ctx, task, owner, item, gen_id,
                            RetryableFlowError("generation timed out", code="timeout"))
            return

        def progress(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE generations SET progress = ? WHERE id = ?", (percent, gen_id))
            if item["progress"] != percent:
                repo.set_item(conn, item["id"], now, progress=percent)

        payload = {k: v for k, v in task.payload.items() if k != "poll_errors"}
        elapsed = now - (gen["submitted_at"] or gen["started_at"])
        await ctx.queue.reschedule(task.id, owner, next_poll_delay(tiles, elapsed, interval),
                                   payload=payload, effects=progress)
        return
    done = [t for t in tiles if t.state == "done"]
    if not done:
        err = next((t.error for t in tiles if t.error is not None), None)
        await fail_item(ctx, task, owner, item, gen_id, err or RetryableFlowError("Generation failed"))
        return
    await _finish_generation(ctx, task, owner, item, gen, handle, tiles, now)


def next_poll_delay(tiles: list[TileStatus], elapsed: float, interval: float) -> float:
    """Look again sooner when the tiles are nearly done: a render slot frees up then.

    The remaining time is extrapolated from the slowest tile's percentage; looking at half of
    it (at most every `interval`, at least every MIN_POLL_S) keeps the delay between a tile
    finishing and the next prompt going in short, without polling hard for the whole render.
    """
    running = [t.percent for t in tiles if not t.terminal]
    if not running or not all(running):
        return interval
    slowest = min(running)
    remaining = elapsed * (100 - slowest) / slowest
    return max(MIN_POLL_S, min(interval, remaining / 2))


def _percent(tiles: list[TileStatus]) -> int:
    if not tiles:
        return 0
    values = [100 if t.terminal else (t.percent or 0) for t in tiles]
    return int(sum(values) / len(values))


def credits_of(gen: sqlite3.Row | dict, plan: str) -> int:
    """Credits one finished output of a generation cost (0 when the catalog lacks it)."""
    try:
        return catalog.credits_per_output(gen["model"], gen["plan"] or plan,  # type: ignore[arg-type]
                                          gen["duration"], gen["resolution"])
    except catalog.UnknownOffer:
        log.warning("no catalog price for %s %s s %s", gen["model"], gen["duration"],
                    gen["resolution"])
        return 0


async def _finish_generation(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                             gen: sqlite3.Row, handle: FlowHandle, tiles: list[TileStatus],
                             now: float) -> None:
    done = [t for t in tiles if t.state == "done"]
    failed = [t for t in tiles if t.state == "failed"]
    order = {tile_id: i + 1 for i, tile_id in enumerate(handle.tile_ids)}
    credits = len(done) * credits_of(gen, ctx.settings.flow.plan)

    def effects(conn: sqlite3.Connection) -> None:
        repo.end_generation(conn, gen["id"], "done", now, credits=credits,
                            error_text=_partial_note(failed, len(tiles)))
        conn.execute("UPDATE generations SET progress = 100 WHERE id = ?", (gen["id"],))
        for tile in done:
            repo.insert_clip(conn, item_id=item["id"], gen_id=gen["id"],
                             variant=order.get(tile.tile_id, len(order) + 1), tile_id=tile.tile_id,
                             now=now)
        repo.set_item(conn, item["id"], now, status="collecting", progress=100)
        repo.bump_counter(conn, "credits_spent", credits)

    collect = NewTask(COLLECT, {"generation_id": gen["id"]}, key(item["batch_id"], COLLECT, gen["id"]),
                      max_attempts=TASK_MAX_ATTEMPTS)
    await ctx.queue.complete(task.id, owner, then=[collect], effects=effects)


def _partial_note(failed: list[TileStatus], total: int) -> str | None:
    if not failed:
        return None
    reason = failed[0].error.text if failed[0].error is not None else "failed"
    return f"{len(failed)} of {total} outputs failed: {reason}"
