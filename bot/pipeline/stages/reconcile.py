"""Settling a submission whose outcome is not known: a crash between the Create click and the
record of its handle, or a paid click whose answer was lost or unreadable.

The rule (docs/ARCHITECTURE.md): a submission is found on the page (`find_submission`) and
recorded, or, when no paid click happened, marked lost and submitted afresh; a click that did
happen is looked for again for `FLOW_RECONCILE_WINDOW_S` and then failed with an admin alert.
Never submitted twice. Used by the submit stage and, at start-up, by the loop.
"""

from __future__ import annotations

import logging
import sqlite3

from bot.errors import FlowError, SubmissionUnconfirmedError
from bot.pipeline.flow.api import FlowHandle
from bot.pipeline.stages.context import SUBMIT, StageContext, watch_task
from bot.pipeline.stages.outcomes import fail_item
from bot.storage import repo
from bot.storage.queue import Task

log = logging.getLogger(__name__)

# How often a clicked submission whose clips are not found yet is looked for again.
RECONCILE_WAIT_S = 20.0


async def record_handle(ctx: StageContext, gen_id: int, item_id: int, handle: FlowHandle) -> None:
    """Write the handle at once, unfenced: even a lost lease must not lose a paid submission."""
    now = ctx.now()

    def tx(conn: sqlite3.Connection) -> None:
        repo.record_handle(conn, gen_id, handle.project_url, handle.tile_ids, now, handle.billed())
        repo.set_item(conn, item_id, now, status="generating")
        repo.bump_counter(conn, "submissions")

    await ctx.db.write_sync(tx)


async def chain_watch(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                      gen: sqlite3.Row) -> None:
    """Finish the submit task and queue the generation's watch in the same transaction."""
    await ctx.queue.complete(task.id, owner, then=[watch_task(item["batch_id"], gen["id"])])


async def safe_find(ctx: StageContext, item: sqlite3.Row, gen: sqlite3.Row) -> FlowHandle | None:
    """`find_submission` for the item's prompt after the generation's start; None on any error."""
    try:
        return await ctx.flow.find_submission(item["prompt"], after=gen["started_at"])
    except Exception as err:  # the page is in a bad state; the policy retry covers it
        log.warning("find_submission after an unknown page failed: %s", err)
        return None


def was_clicked(ctx: StageContext, item: sqlite3.Row, gen: sqlite3.Row) -> bool:
    """Whether the driver recorded a paid click for this generation (before clicking)."""
    recorded = getattr(ctx.flow, "was_clicked", None)
    return bool(recorded and recorded(item["prompt"], gen["started_at"]))


async def reconcile_submission(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                               gen: sqlite3.Row) -> bool:
    """A generation left 'submitting' (a crash, or a click whose answer was not seen): find its
    tiles (recorded, watched), or, when no paid click happened, mark it lost. A click that did
    happen is never submitted again: it is looked for again later, and past the reconcile
    window held for an admin. True when the task is settled (found or held)."""
    handle = await safe_find(ctx, item, gen)
    if handle is not None:
        log.info("reattached generation %s of item %s through %s", gen["id"], item["id"],
                 handle.project_url)
        await record_handle(ctx, gen["id"], item["id"], handle)
        await chain_watch(ctx, task, owner, item, gen)
        return True
    if was_clicked(ctx, item, gen):
        await hold_unconfirmed(ctx, task, owner, item, gen)
        return True
    now = ctx.now()
    log.info("generation %s of item %s was never submitted; marking it lost", gen["id"], item["id"])
    await ctx.db.write_sync(lambda conn: repo.end_generation(
        conn, gen["id"], "lost", now, error_text="not found in Flow after a restart"))
    return False


async def hold_unconfirmed(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                           gen: sqlite3.Row, error: FlowError | None = None) -> None:
    """A paid click whose clips are not found (yet): keep the generation 'submitting' (it holds
    its render slots) and look again later; past `FLOW_RECONCILE_WINDOW_S` fail the item with
    what is known and alert admins. Never submits again by itself."""
    now = ctx.now()
    waited = now - float(gen["started_at"])
    window = ctx.settings.flow.reconcile_window_s
    if waited < window:
        log.warning("item %s: the submit was clicked but its clips are not found yet (%s); "
                    "looking again (%.0f of %.0f s)", item["id"],
                    error.code if error else "restart", waited, window)
        await ctx.queue.reschedule(task.id, owner, min(RECONCILE_WAIT_S, max(1.0, window / 4)))
        return
    detail = (f"prompt {item['prompt']!r}, clicked at {gen['started_at']:.0f} "
              f"(waited {waited:.0f} s), last error: {error.text if error else 'none'}")
    await fail_item(ctx, task, owner, item, gen["id"], SubmissionUnconfirmedError(detail),
                    getattr(error, "screenshot", None))


async def reconcile_orphans(ctx: StageContext) -> tuple[int, int]:
    """At start-up: settle every generation left 'submitting' by a dead process.

    Each is looked up in Flow (`find_submission`, same prompt, after its start): found → the
    handle is recorded and its watch queued; not found → marked 'lost' (nothing was paid) and
    its item's submit task, still queued, submits afresh. Done before the first new submission,
    and without waiting for render slots, which these rows hold until settled.
    Returns (reattached, lost).
    """
    rows = await ctx.db.fetchall(
        "SELECT g.*, i.prompt, i.batch_id FROM generations g JOIN items i ON i.id = g.item_id "
        "WHERE g.status = 'submitting' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.kind = ? "
        "AND t.status = 'running' AND json_extract(t.payload, '$.item_id') = g.item_id) "
        "ORDER BY g.started_at", (SUBMIT,))
    found = lost = 0
    for gen in rows:
        handle = await ctx.flow.find_submission(gen["prompt"], after=gen["started_at"])
        now = ctx.now()
        if handle is None and was_clicked(ctx, gen, gen):
            continue  # clicked: its submit task keeps looking (and holds it), never resubmits
        if handle is None:
            await ctx.db.write_sync(lambda conn, g=gen["id"], t=now: repo.end_generation(
                conn, g, "lost", t, error_text="not found in Flow after a restart"))
            lost += 1
            continue
        await record_handle(ctx, gen["id"], gen["item_id"], handle)
        watch = watch_task(gen["batch_id"], gen["id"])
        await ctx.queue.enqueue(watch.kind, watch.payload, key=watch.key,
                                max_attempts=watch.max_attempts)
        found += 1
    return found, lost
