"""How a try ends badly, and how a batch ends: the failure policy carried out in one
transaction, the account pause, and the batch's end announced once.

Used by the submit and watch stages, and by the loop (`pause_account`, `maybe_finish`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.errors import FlowError, UnknownPageStateError
from bot.pipeline import policy, slots
from bot.pipeline.stages.context import StageContext, deliver_task, submit_task
from bot.storage import repo
from bot.storage.queue import Task

log = logging.getLogger(__name__)


def _earlier_by_budget(conn: sqlite3.Connection, item_id: int) -> Counter[str]:
    out: Counter[str] = Counter()
    for code, n in repo.failures_by_code(conn, item_id).items():
        out[policy.budget_of_code(code)] += n
    return out


def apply_failure(ctx: StageContext, conn: sqlite3.Connection, item: sqlite3.Row, gen_id: int,
                  error: FlowError, now: float, screenshot: Path | None = None) -> policy.Decision:
    """Record a failed generation and carry out the policy's decision, inside one transaction."""
    decision = policy.decide(error, _earlier_by_budget(conn, item["id"]), ctx.settings.flow)
    repo.end_generation(conn, gen_id, "failed", now, error_class=error.error_class,
                        error_code=error.code, error_text=error.text or str(error))
    repo.bump_counter(conn, f"failures.{error.code}")
    batch_id, item_id = item["batch_id"], item["id"]
    tries = repo.next_attempt(conn, item_id) - 1
    if isinstance(error, UnknownPageStateError) or error.code == "unknown_failure":
        ctx.queue.add(conn, deliver_task(None, "admin", f"unknown:{gen_id}", kind="unknown",
                                         text=f"Flow showed something unrecognised: {error.text or error}",
                                         action="Look at the screenshot; update selectors/texts if Flow changed.",
                                         screenshot=str(screenshot) if screenshot else None))
    if decision.alert:
        ctx.queue.add(conn, deliver_task(None, "admin", f"alert:{gen_id}", kind=error.code,
                                         text=decision.alert, action=decision.alert))
    if decision.action == "final":
        repo.set_item(conn, item_id, now, status="failed", error_class=error.error_class,
                      error_code=error.code, error_text=decision.user_reason)
        ctx.queue.add(conn, deliver_task(batch_id, "failed", f"{item_id}:{gen_id}", item_id=item_id))
        maybe_finish(ctx, conn, batch_id, now)
        return decision
    if decision.action == "backoff" and decision.backoff_kind == "firewall":
        until = slots.apply_firewall(conn, ctx.settings.flow, now)
        decision = replace(decision, delay=max(decision.delay, until - now))
    elif decision.action == "backoff":
        slots.apply_rate_limit(conn, ctx.settings.flow, now)
    if decision.action == "pause":
        pause_account(ctx, conn, decision.pause_kind or error.code, error.text or str(error), now)
    repo.set_item(conn, item_id, now, status="queued", progress=0, error_class=error.error_class,
                  error_code=error.code, error_text=decision.user_reason)
    ctx.queue.add(conn, submit_task(batch_id, item_id, item["outputs"], tries, decision.delay))
    return decision


async def fail_item(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row, gen_id: int,
                    error: FlowError, screenshot: Path | None = None) -> None:
    """End `task` with a failed generation: `apply_failure` in the same transaction."""
    now = ctx.now()
    holder: dict[str, policy.Decision] = {}

    def effects(conn: sqlite3.Connection) -> None:
        fresh = repo.item_row(conn, item["id"])
        holder["d"] = apply_failure(ctx, conn, fresh, gen_id, error, now, screenshot)

    await ctx.queue.complete(task.id, owner, effects=effects)
    d = holder.get("d")
    log.info("item %s generation %s failed (%s: %s) -> %s", item["id"], gen_id, error.code,
             error.text, d.action if d else "?")


def pause_account(ctx: StageContext, conn: sqlite3.Connection, kind: str, detail: str,
                  now: float) -> None:
    """Pause the whole account and, the first time, queue an admin alert."""
    if not repo.set_pause(conn, kind, detail, now):
        return
    if kind == "session_expired":
        action = "Sign in to Flow again and send the new session with /login; the bot resumes by itself."
    elif kind == "credits":
        action = "Add credits or wait for the daily reset, then /resume."
    else:
        action = policy.admin_action(kind) or "Check the account in a browser, then /resume."
    ctx.queue.add(conn, deliver_task(None, "admin", f"pause:{now:.3f}", kind=kind,
                                     text=f"The Flow account is paused ({kind}): {detail}",
                                     action=action))


def maybe_finish(ctx: StageContext, conn: sqlite3.Connection, batch_id: int, now: float) -> None:
    """Called when an item just ended: announce the batch's end once its last item has ended.

    A cancelled batch ends too, when the renders it had already paid for are in: its card and
    progress message must not stay on their last state.
    """
    if repo.finish_batch_if_done(conn, batch_id, now) or _cancelled_and_settled(conn, batch_id):
        ctx.queue.add(conn, deliver_task(batch_id, "finished", f"{now:.3f}", batch_id=batch_id))


def _cancelled_and_settled(conn: sqlite3.Connection, batch_id: int) -> bool:
    row = conn.execute(
        "SELECT b.status, (SELECT count(*) FROM items i WHERE i.batch_id = b.id AND i.status NOT IN "
        f"({', '.join('?' for _ in repo.ITEM_TERMINAL)})) FROM batches b WHERE b.id = ?",
        (*repo.ITEM_TERMINAL, batch_id)).fetchone()
    return row is not None and row[0] == "cancelled" and row[1] == 0
