"""The submit stage: one item's try, from its `generations` row to Flow's Create click.

The row (status 'submitting', `started_at`) is written BEFORE the click and the handle right
after it (`reconcile.record_handle`), before anything else; an earlier try left half-recorded
is settled first (`reconcile`). A model Flow no longer offers holds the item for its owner.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from bot.errors import (
    FlowError,
    ModelNotOfferedError,
    RetryableFlowError,
    UnknownPageStateError,
    WrongSubmissionError,
)
from bot.pipeline import catalog, retirement, slots
from bot.pipeline.flow.api import FlowHandle, GenerationRequest
from bot.pipeline.stages.context import SLOT_WAIT_S, StageContext, handle_of, repo_gen
from bot.pipeline.stages.outcomes import fail_item
from bot.pipeline.stages.reconcile import (
    chain_watch,
    hold_unconfirmed,
    reconcile_submission,
    record_handle,
    safe_find,
    was_clicked,
)
from bot.storage import repo
from bot.storage.queue import Task

log = logging.getLogger(__name__)

# Item states from which a submit task may submit (anything later means it already did).
SUBMITTABLE = ("pending", "queued", "submitting", "paused")


async def run_submit(ctx: StageContext, task: Task, owner: str) -> None:
    """Submit one item, after reconciling any earlier submission left half-recorded."""
    item_id = task.payload["item_id"]
    while True:
        now = ctx.now()

        def prepare(conn: sqlite3.Connection, now: float = now) -> tuple[str, Any, Any]:
            item = repo.item_row(conn, item_id)
            if item is None or item["status"] in repo.ITEM_TERMINAL or item["batch_status"] == "cancelled":
                return "skip", None, None
            gen = repo.open_generation(conn, item_id)
            if gen is not None:
                return ("reconcile" if gen["status"] == "submitting" else "watch"), item, gen
            if item["status"] not in SUBMITTABLE:
                # Already generating or collecting: a start-up reconcile reattached this item's
                # submission (and queued its watch) while this task sat released. Never again.
                return "skip", None, None
            # A model the account no longer offers (Flow retired it): held for its owner's
            # one-tap switch, before anything is recorded or clicked; the account goes on.
            held = retirement.hold_item(conn, item_id, plan=repo.plan_of(conn, ctx.settings.flow.plan),
                                        now=now)
            if held is not None:
                return "held", item, held
            if repo.kv_get(conn, repo.KV_PAUSE) is not None:
                return "paused", item, None
            # Another item's submission not settled yet (it may or may not have been clicked)
            # is reconciled by looking its tiles up by prompt and time, so no submission of the
            # same prompt may start meanwhile: its tiles could be taken for the other's. Where
            # Flow's answer names the tiles (flow2026), other prompts may go while it is awaited.
            mine = _prompt_key(item["prompt"])
            if any(not ctx.flow.overlaps_submits or _prompt_key(other["prompt"]) == mine
                   for other in repo.unsettled_submissions(conn, item_id)):
                return "wait", item, None
            if not slots.snapshot_sync(conn, ctx.settings.flow, now,
                                       ctx.flow.queue_room).fits(item["outputs"], now):
                return "wait", item, None
            slots.note_submit(conn, ctx.settings.flow, now)
            attempt = repo.next_attempt(conn, item_id)
            gen_id = repo.insert_generation(conn, item_id=item_id, attempt=attempt,
                                            outputs=item["outputs"], model=item["model"],
                                            aspect=item["aspect"], now=now,
                                            duration=item["duration"],
                                            resolution=item["resolution"], kind=item["kind"],
                                            plan=repo.plan_of(conn, ctx.settings.flow.plan))
            repo.set_item(conn, item_id, now, status="submitting", attempts=attempt, progress=0)
            return "submit", item, repo_gen(conn, gen_id)

        action, item, gen = await ctx.db.write_sync(prepare)
        if action == "skip":
            await ctx.queue.complete(task.id, owner)
            return
        if action == "held":
            await ctx.queue.complete(task.id, owner)  # the switch queues a new submit task
            await retirement.announce(ctx.notifier, gen)
            return
        if action in ("paused", "wait"):
            await ctx.queue.reschedule(task.id, owner, SLOT_WAIT_S if action == "wait" else 2.0)
            return
        if action == "watch":
            await chain_watch(ctx, task, owner, item, gen)
            return
        if action == "reconcile":
            if await reconcile_submission(ctx, task, owner, item, gen):
                return
            continue  # marked lost: nothing was clicked, so submit now
        await _submit_new(ctx, task, owner, item, gen)
        return


def _prompt_key(prompt: str | None) -> str:
    """Prompts that a look-up by prompt could confuse compare equal (space and case folded)."""
    return " ".join((prompt or "").split()).casefold()


def request_for(item: sqlite3.Row | dict, plan: str) -> GenerationRequest:
    """What to submit for an item: its kind (no image = text-to-video, an end frame =
    start+end), the batch's model, duration and resolution, and the most this one click may
    cost (`max_credits`, from the catalog for the plan) for the driver's money guard."""
    start = item["image_path"] or None
    end = item["end_image_path"] or None
    model, duration, resolution = item["model"], item["duration"], item["resolution"]
    try:
        per = catalog.credits_per_output(model, plan, duration, resolution)  # type: ignore[arg-type]
    except catalog.UnknownOffer:
        per = None  # the driver refuses a combination the page lacks; no cap can be derived
    return GenerationRequest(image_path=Path(start) if start else None, prompt=item["prompt"],
                             aspect=item["aspect"], outputs=item["outputs"], model=model,
                             duration=duration, resolution=resolution,
                             end_image_path=Path(end) if end else None,
                             max_credits=per * item["outputs"] if per is not None else None)


async def _submit_new(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                      gen: sqlite3.Row) -> None:
    screenshot = None
    request = request_for(item, gen["plan"] or ctx.settings.flow.plan)
    retry = await _flow_retry_target(ctx, item, gen)
    try:
        if retry is None:
            handle = await ctx.flow.submit(request)
        else:
            try:
                handle = await ctx.flow.retry_tile(*retry)  # type: ignore[attr-defined]
            except RetryableFlowError as err:
                if err.code != "retry_unavailable":
                    raise
                log.info("Flow's Retry is not available for item %s (%s); submitting again",
                         item["id"], err.text or err)
                handle = await ctx.flow.submit(request)
    except ModelNotOfferedError as err:
        # The page's menu (or Flow's refusal) says the model is gone: nothing was billed. Learn
        # what the account offers now; the item is then held for its owner like any retirement.
        await _model_not_offered(ctx, task, owner, item, gen, err)
        return
    except WrongSubmissionError as err:
        # Flow billed something else than asked: record what went out (it was paid for, and a
        # reconcile must find it), then fail the item for good with an admin alert (policy).
        if err.handle is not None:
            await record_handle(ctx, gen["id"], item["id"], err.handle)
        await fail_item(ctx, task, owner, item, gen["id"], err)
        return
    except FlowError as err:
        # After a paid click, anything but Flow's own refusal leaves the outcome unknown: look
        # before deciding, and hold what is not found. Never submit twice.
        if not err.answered and was_clicked(ctx, item, gen):
            found = await safe_find(ctx, item, gen)
            if found is not None:
                await record_handle(ctx, gen["id"], item["id"], found)
                await chain_watch(ctx, task, owner, item, gen)
                return
            await hold_unconfirmed(ctx, task, owner, item, gen, err)
            return
        if isinstance(err, UnknownPageStateError):
            screenshot = err.screenshot
            found = await safe_find(ctx, item, gen)
            if found is not None:
                await record_handle(ctx, gen["id"], item["id"], found)
                await chain_watch(ctx, task, owner, item, gen)
                return
        await fail_item(ctx, task, owner, item, gen["id"], err, screenshot)
        return
    # Anything else (browser crash, lost page): the row stays 'submitting' and the task's retry
    # reconciles it through find_submission before trying again.
    await record_handle(ctx, gen["id"], item["id"], handle)
    await chain_watch(ctx, task, owner, item, gen)


async def relearn_catalog(ctx: StageContext) -> bool:
    """Walk the page for what the account can buy now and make it the catalogue (stored with
    its date and Flow's build). False when the walk failed (the known catalogue stays)."""
    try:
        baseline = await ctx.flow.survey()
        await catalog.learn(baseline, ctx.db)
    except Exception as err:  # noqa: BLE001 - the survey is evidence; a failed one changes nothing
        log.warning("could not learn Flow's catalogue from the page: %s", err)
        return False
    log.info("learned Flow's catalogue from the page (build %s): %s", baseline.get("build"),
             ", ".join((baseline.get("labels") or {}).get("models") or []))
    return True


async def _model_not_offered(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                             gen: sqlite3.Row, err: ModelNotOfferedError) -> None:
    """The page does not offer the item's model: relearn, then hold the item as retired (its
    owner offered the nearest model) or, when the page still lists it, fail it for good."""
    await relearn_catalog(ctx)
    now = ctx.now()

    def tx(conn: sqlite3.Connection):
        repo.end_generation(conn, gen["id"], "lost", now, error_code=err.code,
                            error_text=err.text or str(err))
        return retirement.hold_item(conn, item["id"], plan=repo.plan_of(conn, ctx.settings.flow.plan),
                                    now=now)

    held = await ctx.db.write_sync(tx)
    if held is not None:
        await ctx.queue.complete(task.id, owner)
        await retirement.announce(ctx.notifier, held)
        return
    await fail_item(ctx, task, owner, item, gen["id"], err)


async def _flow_retry_target(ctx: StageContext, item: sqlite3.Row,
                             gen: sqlite3.Row) -> tuple[FlowHandle, str] | None:
    """The failed tile Flow's own Retry can redo for this try: the item's previous generation
    failed in Flow on the 2026 UI with one tile (same project, prompt and frame; no second
    upload or settings pass). None: submit as usual. Several tiles: submit again (one Retry
    per tile would need several handles in one generation row)."""
    if not hasattr(ctx.flow, "retry_tile"):
        return None
    prev = await ctx.db.write_sync(lambda conn: conn.execute(
        "SELECT * FROM generations WHERE item_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
        (item["id"], gen["id"])).fetchone())
    if prev is None or prev["status"] != "failed" or not prev["project_url"]:
        return None
    tiles = json.loads(prev["tile_ids_json"] or "[]")
    billed = json.loads(prev["billed_json"] or "null") or {}
    if len(tiles) != 1 or billed.get("ui") != "flow2026":
        return None
    handle = handle_of(prev, item["prompt"])
    handle = FlowHandle(handle.project_url, handle.tile_ids, handle.submitted_at, handle.prompt,
                        kind=billed.get("kind"),
                        frame_media_ids=tuple(billed.get("frame_media_ids") or ()),
                        model_key=billed.get("model_key"), duration=billed.get("duration"),
                        count=billed.get("count"), ui="flow2026")
    return handle, tiles[0]
