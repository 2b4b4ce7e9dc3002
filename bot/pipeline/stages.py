"""The pipeline's stages, one queue task kind each, every one idempotent.

submit → watch → collect → (upscale) → deliver; export on request. A stage finishes its task
and enqueues the next one in the same transaction (`TaskQueue.add` inside `effects`), so a crash
never loses or doubles a step. Nothing here sleeps while holding a task: a poll that finds work
still running reschedules its task. Every failure goes through `policy.decide()`.

Exactly-once for Flow credits: `submit` writes the `generations` row (status 'submitting',
`started_at`) BEFORE the Create click and records the handle right after it, before anything
else. A row found still 'submitting' means a crash between click and record: it is reconciled
with `flow.find_submission(prompt, after=started_at)` before anything is submitted again.

Notifications are `deliver` tasks enqueued with the state change that causes them: a crash can
replay one at most once, and none is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.errors import (
    FlowError,
    ModelNotOfferedError,
    RetryableFlowError,
    SubmissionUnconfirmedError,
    UnknownPageStateError,
    WrongSubmissionError,
)
from bot.pipeline import catalog, lineup, policy, retirement, slots
from bot.pipeline.flow.api import FlowClient, FlowHandle, GenerationRequest, TileStatus
from bot.pipeline.notifier import (
    AdminAlert,
    BatchProgress,
    ClipInfo,
    ClipUpscaled,
    ExportReady,
    FileFailed,
    ItemFailed,
    ItemPreviews,
    Notifier,
    UpscaleProgress,
)
from bot.storage import repo
from bot.storage.blobstore import sha256_file
from bot.storage.db import Database
from bot.storage.queue import NewTask, Task, TaskQueue

log = logging.getLogger(__name__)

SUBMIT, WATCH, COLLECT, UPSCALE, EXPORT, DELIVER = (
    "submit", "watch", "collect", "upscale", "export", "deliver")
# Claim order: a submit gets the page lock before downloads queue up behind it (slots first).
KINDS = (SUBMIT, WATCH, COLLECT, DELIVER, UPSCALE, EXPORT)
# Kinds that drive the browser; not claimed while the account is paused.
FLOW_KINDS = (SUBMIT, WATCH, COLLECT)
# Item states from which a submit task may submit (anything later means it already did).
SUBMITTABLE = ("pending", "queued", "submitting", "paused")
# Queue attempts are for crashes and unexpected errors; Flow retries are counted in `generations`.
TASK_MAX_ATTEMPTS = 20
# Wait before looking again when a submit found no free slot (the loop usually avoids that).
SLOT_WAIT_S = 0.5
# How often a clicked submission whose clips are not found yet is looked for again.
RECONCILE_WAIT_S = 20.0
# Poll failures in a row (not Flow refusals) before a generation is treated as failed.
MAX_POLL_ERRORS = 8


def key(batch_id: int, *parts: Any) -> str:
    """Idempotency key of a batch's task; the `b{id}:` prefix lets a batch be cancelled/awaited."""
    return ":".join([f"b{batch_id}", *map(str, parts)])


def submit_task(batch_id: int, item_id: int, outputs: int, n: int, delay: float = 0.0) -> NewTask:
    """The submit task of an item's `n`-th try (n = generations already made)."""
    return NewTask(SUBMIT, {"item_id": item_id, "outputs": outputs}, key(batch_id, SUBMIT, item_id, n),
                   delay=delay, max_attempts=TASK_MAX_ATTEMPTS)


def deliver_task(scope: int | None, event: str, ident: Any, **extra: Any) -> NewTask:
    """A notification task of batch `scope` (None: account-wide, e.g. admin alerts)."""
    prefix = f"b{scope}" if scope is not None else "acct"
    return NewTask(DELIVER, {"event": event, "id": ident, **extra},
                   f"{prefix}:{DELIVER}:{event}:{ident}", max_attempts=TASK_MAX_ATTEMPTS)


@dataclass
class StageContext:
    """Everything a stage needs, injected by the `Pipeline`."""

    db: Database
    queue: TaskQueue
    flow: FlowClient
    notifier: Notifier
    settings: Settings
    clock: Clock
    data_dir: Path
    upscaler: Any = None
    blobstore: Any = None
    # Set by the loop while no submit runs and no render slot is about to free up. Downloads
    # wait for it: they share the page lock with submits, and filling a free render slot at
    # once is worth more than a clip arriving a second sooner.
    downloads_ok: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.downloads_ok.set()

    def now(self) -> float:
        return self.clock.now()


# -- shared failure handling --------------------------------------------------------------------

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
        _maybe_finish(ctx, conn, batch_id, now)
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


def _maybe_finish(ctx: StageContext, conn: sqlite3.Connection, batch_id: int, now: float) -> None:
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


def _item(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row | None:
    return repo.item_row(conn, item_id)


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


def credits_of(gen: sqlite3.Row | dict, plan: str) -> int:
    """Credits one finished output of a generation cost (0 when the catalog lacks it)."""
    try:
        return catalog.credits_per_output(gen["model"], gen["plan"] or plan,  # type: ignore[arg-type]
                                          gen["duration"], gen["resolution"])
    except catalog.UnknownOffer:
        log.warning("no catalog price for %s %s s %s", gen["model"], gen["duration"],
                    gen["resolution"])
        return 0


def _handle(gen: sqlite3.Row | dict, prompt: str) -> FlowHandle:
    return FlowHandle(project_url=gen["project_url"], tile_ids=tuple(json.loads(gen["tile_ids_json"])),
                      submitted_at=gen["submitted_at"] or gen["started_at"], prompt=prompt)


# -- submit -------------------------------------------------------------------------------------

async def run_submit(ctx: StageContext, task: Task, owner: str) -> None:
    """Submit one item, after reconciling any earlier submission left half-recorded."""
    item_id = task.payload["item_id"]
    while True:
        now = ctx.now()

        def prepare(conn: sqlite3.Connection, now: float = now) -> tuple[str, Any, Any]:
            item = _item(conn, item_id)
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
            await _chain_watch(ctx, task, owner, item, gen)
            return
        if action == "reconcile":
            if await _reconcile(ctx, task, owner, item, gen):
                return
            continue  # marked lost: nothing was clicked, so submit now
        await _submit_new(ctx, task, owner, item, gen)
        return


def _prompt_key(prompt: str | None) -> str:
    """Prompts that a look-up by prompt could confuse compare equal (space and case folded)."""
    return " ".join((prompt or "").split()).casefold()


def repo_gen(conn: sqlite3.Connection, gen_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM generations WHERE id = ?", (gen_id,)).fetchone()


async def _reconcile(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                     gen: sqlite3.Row) -> bool:
    """A generation left 'submitting' (a crash, or a click whose answer was not seen): find its
    tiles (recorded, watched), or, when no paid click happened, mark it lost. A click that did
    happen is never submitted again: it is looked for again later, and past the reconcile
    window held for an admin. True when the task is settled (found or held)."""
    handle = await _safe_find(ctx, item, gen)
    if handle is not None:
        log.info("reattached generation %s of item %s through %s", gen["id"], item["id"],
                 handle.project_url)
        await _record(ctx, gen["id"], item["id"], handle)
        await _chain_watch(ctx, task, owner, item, gen)
        return True
    if _clicked(ctx, item, gen):
        await _hold_unconfirmed(ctx, task, owner, item, gen)
        return True
    now = ctx.now()
    log.info("generation %s of item %s was never submitted; marking it lost", gen["id"], item["id"])
    await ctx.db.write_sync(lambda conn: repo.end_generation(
        conn, gen["id"], "lost", now, error_text="not found in Flow after a restart"))
    return False


def _clicked(ctx: StageContext, item: sqlite3.Row, gen: sqlite3.Row) -> bool:
    """Whether the driver recorded a paid click for this generation (before clicking)."""
    was_clicked = getattr(ctx.flow, "was_clicked", None)
    return bool(was_clicked and was_clicked(item["prompt"], gen["started_at"]))


async def _hold_unconfirmed(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
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
    await _fail(ctx, task, owner, item, gen["id"], SubmissionUnconfirmedError(detail),
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
        if handle is None and _clicked(ctx, gen, gen):
            continue  # clicked: its submit task keeps looking (and holds it), never resubmits
        if handle is None:
            await ctx.db.write_sync(lambda conn, g=gen["id"], t=now: repo.end_generation(
                conn, g, "lost", t, error_text="not found in Flow after a restart"))
            lost += 1
            continue
        await _record(ctx, gen["id"], gen["item_id"], handle)
        watch = NewTask(WATCH, {"generation_id": gen["id"]}, key(gen["batch_id"], WATCH, gen["id"]),
                        max_attempts=TASK_MAX_ATTEMPTS)
        await ctx.queue.enqueue(watch.kind, watch.payload, key=watch.key,
                                max_attempts=watch.max_attempts)
        found += 1
    return found, lost


async def _record(ctx: StageContext, gen_id: int, item_id: int, handle: FlowHandle) -> None:
    """Write the handle at once, unfenced: even a lost lease must not lose a paid submission."""
    now = ctx.now()

    def tx(conn: sqlite3.Connection) -> None:
        repo.record_handle(conn, gen_id, handle.project_url, handle.tile_ids, now, handle.billed())
        repo.set_item(conn, item_id, now, status="generating")
        repo.bump_counter(conn, "submissions")

    await ctx.db.write_sync(tx)


async def _chain_watch(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row,
                       gen: sqlite3.Row) -> None:
    watch = NewTask(WATCH, {"generation_id": gen["id"]}, key(item["batch_id"], WATCH, gen["id"]),
                    max_attempts=TASK_MAX_ATTEMPTS)
    await ctx.queue.complete(task.id, owner, then=[watch])


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
            await _record(ctx, gen["id"], item["id"], err.handle)
        await _fail(ctx, task, owner, item, gen["id"], err)
        return
    except FlowError as err:
        # After a paid click, anything but Flow's own refusal leaves the outcome unknown: look
        # before deciding, and hold what is not found. Never submit twice.
        if not err.answered and _clicked(ctx, item, gen):
            found = await _safe_find(ctx, item, gen)
            if found is not None:
                await _record(ctx, gen["id"], item["id"], found)
                await _chain_watch(ctx, task, owner, item, gen)
                return
            await _hold_unconfirmed(ctx, task, owner, item, gen, err)
            return
        if isinstance(err, UnknownPageStateError):
            screenshot = err.screenshot
            found = await _safe_find(ctx, item, gen)
            if found is not None:
                await _record(ctx, gen["id"], item["id"], found)
                await _chain_watch(ctx, task, owner, item, gen)
                return
        await _fail(ctx, task, owner, item, gen["id"], err, screenshot)
        return
    # Anything else (browser crash, lost page): the row stays 'submitting' and the task's retry
    # reconciles it through find_submission before trying again.
    await _record(ctx, gen["id"], item["id"], handle)
    await _chain_watch(ctx, task, owner, item, gen)


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
    await _fail(ctx, task, owner, item, gen["id"], err)


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
    handle = _handle(prev, item["prompt"])
    handle = FlowHandle(handle.project_url, handle.tile_ids, handle.submitted_at, handle.prompt,
                        kind=billed.get("kind"),
                        frame_media_ids=tuple(billed.get("frame_media_ids") or ()),
                        model_key=billed.get("model_key"), duration=billed.get("duration"),
                        count=billed.get("count"), ui="flow2026")
    return handle, tiles[0]


async def _safe_find(ctx: StageContext, item: sqlite3.Row, gen: sqlite3.Row) -> FlowHandle | None:
    try:
        return await ctx.flow.find_submission(item["prompt"], after=gen["started_at"])
    except Exception as err:  # the page is in a bad state; the policy retry covers it
        log.warning("find_submission after an unknown page failed: %s", err)
        return None


async def _fail(ctx: StageContext, task: Task, owner: str, item: sqlite3.Row, gen_id: int,
                error: FlowError, screenshot: Path | None = None) -> None:
    now = ctx.now()
    holder: dict[str, policy.Decision] = {}

    def effects(conn: sqlite3.Connection) -> None:
        fresh = _item(conn, item["id"])
        holder["d"] = apply_failure(ctx, conn, fresh, gen_id, error, now, screenshot)

    await ctx.queue.complete(task.id, owner, effects=effects)
    d = holder.get("d")
    log.info("item %s generation %s failed (%s: %s) -> %s", item["id"], gen_id, error.code,
             error.text, d.action if d else "?")


# -- watch --------------------------------------------------------------------------------------

async def run_watch(ctx: StageContext, task: Task, owner: str) -> None:
    """One look at a generation in flight; reschedule until every tile is done or failed."""
    gen_id = task.payload["generation_id"]

    def load(conn: sqlite3.Connection) -> tuple[Any, Any]:
        gen = repo_gen(conn, gen_id)
        return gen, (_item(conn, gen["item_id"]) if gen is not None else None)

    gen, item = await ctx.db.write_sync(load)
    if gen is None or gen["status"] != "submitted":
        await ctx.queue.complete(task.id, owner)
        return
    handle = _handle(gen, item["prompt"])
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
        await _fail(ctx, task, owner, item, gen_id, err)
        return
    now = ctx.now()
    if not tiles or not all(t.terminal for t in tiles):
        percent = _percent(tiles)
        timed_out = now - (gen["submitted_at"] or gen["started_at"]) > ctx.settings.flow.generation_timeout_s
        if timed_out:
            await _fail(ctx, task, owner, item, gen_id,
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
        await _fail(ctx, task, owner, item, gen_id, err or RetryableFlowError("Generation failed"))
        return
    await _finish_generation(ctx, task, owner, item, gen, handle, tiles, now)


# Shortest wait between two looks at a generation about to finish.
MIN_POLL_S = 0.25


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


# -- collect ------------------------------------------------------------------------------------

def clip_path(data_dir: Path, batch_id: int, position: int, gen_id: int, variant: int,
              suffix: str = "") -> Path:
    return data_dir / "clips" / f"batch{batch_id}" / f"item{position:03d}_g{gen_id}_v{variant}{suffix}.mp4"


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
    item = await ctx.db.write_sync(lambda conn: _item(conn, gen["item_id"]))
    clips = await ctx.db.fetchall(
        "SELECT * FROM clips WHERE generation_id = ? ORDER BY variant", (gen_id,))
    handle = _handle(gen, item["prompt"])
    for clip in clips:
        if clip["status"] == "ready" and clip["path_720"] and Path(clip["path_720"]).exists():
            continue  # collected before a crash: idempotent
        dest = clip_path(ctx.data_dir, item["batch_id"], item["position"], gen_id, clip["variant"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.stem + ".part.mp4")
        await ctx.downloads_ok.wait()
        await ctx.flow.download(handle, clip["tile_id"], part)
        await _verify(ctx, part)
        digest = await asyncio.to_thread(sha256_file, part)
        os.replace(part, dest)  # atomic: a clip file is whole or absent
        size = dest.stat().st_size
        storage_key = await _store_blob(ctx, dest, f"clips/batch{item['batch_id']}/{dest.name}")
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
        _maybe_finish(ctx, conn, item["batch_id"], now)

    await ctx.queue.complete(task.id, owner, effects=effects)


async def _verify(ctx: StageContext, path: Path) -> None:
    """A clip must be a readable video; a truncated download raises and is fetched again."""
    from bot.pipeline.probe import probe

    info = await probe(path, ffprobe=ctx.settings.upscale.ffprobe_path)
    if info.duration_s <= 0 or info.width <= 0:
        raise RuntimeError(f"downloaded clip {path.name} has no video")


async def _store_blob(ctx: StageContext, path: Path, blob_key: str) -> str | None:
    if ctx.blobstore is None:
        return None
    ref = await ctx.blobstore.put(blob_key, path)  # bot.storage.blobstore.BlobStore
    return getattr(ref, "key", None) or blob_key


# -- upscale ------------------------------------------------------------------------------------

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


# How often a 4K upscale looks again while Flow's 1080p of its clip is still coming.
UPSCALE_WAIT_1080_S = 2.0


async def run_upscale(ctx: StageContext, task: Task, owner: str) -> None:
    clip_id, preset = task.payload["clip_id"], task.payload["preset"]
    clip = await ctx.db.write_sync(lambda conn: repo.clip_row(conn, clip_id))
    if clip is None or clip["status_4k"] == "ready" and clip["path_4k"] and Path(clip["path_4k"]).exists():
        await ctx.queue.complete(task.id, owner)
        return
    if clip["status_1080"] in ("queued", "running"):
        # Flow's 1080p of this clip is on its way (it ends ready or as a fallback, bounded by
        # FLOW_UPSCALE_1080_TIMEOUT_S): the 4K starts from it rather than from the 720p.
        await ctx.queue.reschedule(task.id, owner, UPSCALE_WAIT_1080_S)
        return
    now = ctx.now()
    await ctx.db.write_sync(lambda conn: repo.set_clip(conn, clip_id, now, status_4k="running"))
    src = upscale_source(clip)
    dst = ctx.data_dir / "4k" / f"batch{clip['batch_id']}" / (Path(clip["path_720"]).stem
                                                              + f"_4k_{preset}.mp4")
    dst.parent.mkdir(parents=True, exist_ok=True)

    async def on_progress(percent: float, eta: float | None) -> None:
        try:
            await ctx.notifier.upscale_progress(UpscaleProgress(
                clip_id, clip["user_id"], clip["chat_id"], percent, eta))
        except Exception as err:  # a notifier must not stop an encode
            log.debug("upscale progress not shown: %s", err)

    try:
        await ctx.upscaler.upscale(src, dst, preset=preset, on_progress=on_progress)
    except Exception as err:
        if task.attempts < task.max_attempts:
            raise
        text = str(err)[:500]

        def failed(conn: sqlite3.Connection) -> None:
            repo.set_clip(conn, clip_id, ctx.now(), status_4k="failed", error_text=text)
            # "They arrive here as files" was promised: the user hears that this one won't.
            ctx.queue.add(conn, deliver_task(clip["batch_id"], "file_failed", f"upscale:{task.id}",
                                             what="upscale", target_id=clip_id, reason=text))

        await ctx.queue.fail(task.id, owner, text, effects=failed)
        return
    size = dst.stat().st_size
    storage_key = await _store_blob(ctx, dst, f"4k/batch{clip['batch_id']}/{dst.name}")
    now = ctx.now()

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip_id, now, status_4k="ready", path_4k=str(dst), size_4k=size,
                      storage_key_4k=storage_key)
        ctx.queue.add(conn, deliver_task(clip["batch_id"], "upscaled", f"{clip_id}:{preset}",
                                         clip_id=clip_id))

    await ctx.queue.complete(task.id, owner, effects=effects)


# -- Flow's own 1080p -----------------------------------------------------------------------------

FALLBACK_NOTE = ("Flow's free 1080p never arrived for this clip, so this is our own upscale "
                 "(from the 720p original).")


def upscale_source(clip: sqlite3.Row | dict) -> Path:
    """What a 4K upscale starts from: Flow's 1080p when the clip has it, else the 720p original."""
    if clip["status_1080"] == "ready" and clip["path_1080"] and Path(clip["path_1080"]).exists():
        return Path(clip["path_1080"])
    return Path(clip["path_720"])


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


async def run_fetch_1080(ctx: StageContext, task: Task, owner: str) -> None:
    """Download Flow's 1080p of one clip; when it never comes, fall back to our own upscale.

    Flow renders 1080p on demand and sometimes never (FLOW_2026 §9): the driver waits a bounded
    time and raises `upscale_timeout`. That, or running out of attempts, queues our own 4K
    upscale of the 720p original, whose delivery says why. Nothing is ever submitted again.
    """
    clip_id = task.payload["clip_id"]
    clip = await ctx.db.write_sync(lambda conn: repo.clip_row(conn, clip_id))
    if clip is None or clip["status_1080"] in ("ready", "fallback"):
        await ctx.queue.complete(task.id, owner)
        return
    gen = await ctx.db.fetchone("SELECT g.*, i.prompt FROM generations g JOIN items i ON "
                                "i.id = g.item_id WHERE g.id = ?", (clip["generation_id"],))
    await ctx.db.write_sync(lambda conn: repo.set_clip(conn, clip_id, ctx.now(), status_1080="running"))
    dest = Path(clip["path_720"]).with_name(Path(clip["path_720"]).stem + "_1080p.mp4")
    part = dest.with_name(dest.stem + ".part.mp4")
    try:
        await ctx.downloads_ok.wait()
        await ctx.flow.download(_handle(gen, gen["prompt"]), clip["tile_id"], part, size="1080p")
        await _verify(ctx, part)
        os.replace(part, dest)
    except Exception as err:
        part.unlink(missing_ok=True)
        if isinstance(err, FlowError) and err.error_class in ("session", "paused"):
            raise  # the loop pauses the account and comes back to this step
        # Flow's 1080p never came, or Flow refused it (unusual activity on its own upscale,
        # FLOW_2026 Dec. 7): our own upscale now, never a retry loop against Flow.
        timed_out = isinstance(err, RetryableFlowError) and err.code in ("upscale_timeout",
                                                                          "upscale_refused")
        if not timed_out and task.attempts < task.max_attempts:
            raise
        log.info("Flow's 1080p of clip %s failed (%s); falling back to our own upscale", clip_id, err)
        await _fall_back_from_1080(ctx, task, owner, clip)
        return
    size = dest.stat().st_size
    storage_key = await _store_blob(ctx, dest, f"clips/batch{clip['batch_id']}/{dest.name}")
    now = ctx.now()
    preset = await repo.kv_read(ctx.db, f"batch.{clip['batch_id']}.auto_upscale")

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip_id, now, status_1080="ready", path_1080=str(dest), size_1080=size,
                      storage_key_1080=storage_key)
        ctx.queue.add(conn, deliver_task(clip["batch_id"], "upscaled", f"{clip_id}:1080p",
                                         clip_id=clip_id, size="1080p"))
        if preset:
            enqueue_upscale(ctx, conn, clip["batch_id"], clip_id, preset, now)

    await ctx.queue.complete(task.id, owner, effects=effects)


async def _fall_back_from_1080(ctx: StageContext, task: Task, owner: str, clip: sqlite3.Row) -> None:
    now = ctx.now()
    preset = (await repo.kv_read(ctx.db, f"batch.{clip['batch_id']}.auto_upscale")
              or (await ctx.db.fetchone("SELECT upscale_preset FROM batches WHERE id = ?",
                                        (clip["batch_id"],)))[0])

    def effects(conn: sqlite3.Connection) -> None:
        repo.set_clip(conn, clip["id"], now, status_1080="fallback")
        enqueue_upscale(ctx, conn, clip["batch_id"], clip["id"], preset, now)

    await ctx.queue.complete(task.id, owner, effects=effects)


# -- export -------------------------------------------------------------------------------------

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
        parts = await export_zip(entries, ctx.data_dir / "exports" / f"export{export_id}",
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


# -- deliver ------------------------------------------------------------------------------------

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


HANDLERS: dict[str, Callable[[StageContext, Task, str], Awaitable[None]]] = {
    SUBMIT: run_submit,
    WATCH: run_watch,
    COLLECT: run_collect,
    UPSCALE: run_upscale,
    EXPORT: run_export,
    DELIVER: run_deliver,
}
