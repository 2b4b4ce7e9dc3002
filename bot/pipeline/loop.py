"""The pipeline loop: an APScheduler tick that claims queue tasks and runs them as asyncio tasks.

APScheduler only ticks (one job, `max_instances=1`, `coalesce=True`, every `tick_s`); all durable
state is in the SQLite queue. A tick claims ready tasks kind by kind up to each kind's
concurrency and starts them; it never waits for them. A finished task wakes the dispatcher at
once, so the next step does not wait for the next tick. Submits are gated by the render-slot
budget (`slots.py`) and by the account's pause/backoff state; while the account is paused for
an expired session, the tick checks the session now and then and resumes by itself.

A task runs under a lease that a heartbeat renews, so leases can be short; on start, tasks
leased by a dead process on this host are released at once instead of waiting for expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import FlowError, LeaseLost
from bot.pipeline import canary, policy, slots, stages
from bot.pipeline.flow.api import FlowClient
from bot.pipeline.notifier import Notifier
from bot.storage import repo
from bot.storage.batch_images import expire_drafts, prune_batch_images
from bot.storage.db import Database
from bot.storage.queue import Task, TaskQueue, worker_id

log = logging.getLogger(__name__)
# APScheduler logs every run of a job at INFO: twice a second here, which drowns everything else.
logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)
# It also warns of every skipped tick; `Pipeline._on_job_event` reports those (at debug level).
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)

# Downloads pause when a render is predicted to finish within this many seconds (one download
# holds the page for one to a few seconds on a loaded machine; the next submit must not wait).
DOWNLOAD_GUARD_S = 3.0
# How many waiting submits (in claim order) get their frames uploaded ahead at once.
UPLOAD_AHEAD_ITEMS = 4
# Seconds between looks at an expired session while the account is paused.
SESSION_CHECK_S = 30.0
# While the session stays lost the check backs off (doubling) up to this: `/about` can also be
# Google's identity re-check (FLOW_2026 Dec. 7), which a page reloaded every 30 s would not help.
SESSION_CHECK_MAX_S = 1800.0
# Finished tasks are kept a week (for /stats and post-mortems), swept once an hour.
PRUNE_AFTER_S = 7 * 86400.0
# A draft card nobody started for this long is cancelled and its image copies go.
DRAFT_EXPIRY_S = 30 * 86400.0
PRUNE_EVERY_S = 3600.0


class Pipeline:
    """Runs the stages of `bot/pipeline/stages/` from the queue.

    Wiring (bot and CLI alike)::

        pipeline = Pipeline(db, queue, flow, upscaler, blobstore, notifier, settings, clock)
        await pipeline.start()      # after flow.start()
        ...
        await pipeline.stop()       # before flow.close()

    `upscaler` is a `bot.pipeline.upscale.Upscaler`; `blobstore` may be None (files stay in
    `data_dir`). Zips go to `data_dir/exports/export<N>/` (the bot sends and later prunes them)
    unless `exports_dir` names the folder they are for (the CLI's output folder).
    """

    def __init__(
        self,
        db: Database,
        queue: TaskQueue,
        flow: FlowClient,
        upscaler: Any,
        blobstore: Any,
        notifier: Notifier,
        settings: Settings,
        clock: Clock | None = None,
        *,
        data_dir: Path | None = None,
        exports_dir: Path | None = None,
        tick_s: float = 0.5,
        tick_timeout_s: float = 10.0,
        session_check_s: float = SESSION_CHECK_S,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.ctx = stages.StageContext(
            db=db, queue=queue, flow=flow, notifier=notifier, settings=settings, clock=self.clock,
            data_dir=Path(data_dir or settings.paths.data_dir), upscaler=upscaler,
            blobstore=blobstore, exports_dir=exports_dir)
        self.tick_s = tick_s
        self.tick_timeout_s = tick_timeout_s
        self.session_check_s = session_check_s
        self.limits = {
            stages.SUBMIT: 1,  # one page, one Create at a time; waits are overlapped elsewhere
            stages.WATCH: max(2, settings.flow.render_slots),
            stages.COLLECT: 1,  # downloads share the page lock with submits; keep one queued
            stages.DELIVER: 4,
            stages.UPSCALE: settings.upscale.concurrency,
            stages.EXPORT: 1,
            **(concurrency or {}),
        }
        self.owner = worker_id("pipeline")
        self.job_errors = 0
        self._running: dict[str, set[asyncio.Task]] = {k: set() for k in stages.KINDS}
        self._dispatch_lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._stopping = False
        self._tick_idle = asyncio.Event()
        self._tick_idle.set()
        self._slot_freeing_soon = False
        self._ahead: asyncio.Task | None = None  # frames of waiting submits being uploaded
        self._last_session_check = float("-inf")
        self._session_check_wait = session_check_s
        self._last_prune = float("-inf")
        self._progress_seen: dict[int, tuple] = {}
        self._progress_sent: dict[int, float] = {}
        # The drift canary gates submissions (before a batch's first one, and daily).
        checker = (canary.default_checker(flow, self.ctx.data_dir / "flow-evidence")
                   if settings.flow.canary else None)
        self.canary = canary.Canary(self.ctx, checker, on_done=self.wake) if checker else None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Release leases of dead processes, then tick every `tick_s` seconds."""
        self._stopping = False
        released = await release_dead_leases(self.db)
        if released:
            log.info("released %d task(s) left running by a dead process", released)
        found, lost = await stages.reconcile_orphans(self.ctx)
        if found or lost:
            log.info("reconciled interrupted submissions: %d reattached, %d never submitted",
                     found, lost)
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
        scheduler.add_job(self._tick, "interval", seconds=self.tick_s, id="pipeline-tick",
                          max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=_utcnow())
        scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming, give running steps `grace_s` to finish, cancel the rest.

        A cancelled step leaves its task leased; the lease expires (or is released by the next
        start) and the step runs again, which every stage tolerates.
        """
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            # Let a tick in progress end (it claims nothing more once _stopping is set).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick_idle.wait(), self.tick_timeout_s)
        if self.canary is not None:
            await self.canary.stop()  # a check spends nothing: cut it short
        if self._ahead is not None and not self._ahead.done():
            self._ahead.cancel()  # an upload ahead is optional: the submit uploads it itself
            await asyncio.gather(self._ahead, return_exceptions=True)
        running = [t for group in self._running.values() for t in group]
        if running:
            _, pending = await asyncio.wait(running, timeout=grace_s)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        # Hand back what we still hold so a restart in this process need not wait for expiry.
        now = self.clock.now()
        await self.db.execute(
            "UPDATE tasks SET status = 'queued', run_after = ?, updated_at = ?, lease_owner = NULL, "
            "lease_expires_at = NULL WHERE status = 'running' AND lease_owner = ?",
            (now, now, self.owner))

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if self._stopping and isinstance(event.exception, asyncio.CancelledError):
            return  # a tick cut short by shutdown is no error
        self.job_errors += 1
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.debug("pipeline tick skipped: the previous tick is still running")
        else:
            log.error("pipeline tick failed: %r", event.exception, exc_info=event.exception)

    # -- helpers for the CLI and tests ---------------------------------------------------------

    async def run_until_idle(self, timeout: float | None = None, poll_s: float = 0.2) -> None:
        """Wait until no task is queued or running (raises TimeoutError after `timeout`)."""
        async def idle() -> None:
            while True:
                row = await self.db.fetchone(
                    "SELECT count(*) FROM tasks WHERE status IN ('queued', 'running')")
                if row[0] == 0 and not self._busy():
                    return
                await asyncio.sleep(poll_s)

        await asyncio.wait_for(idle(), timeout)

    async def wait_batch(self, batch_id: int, timeout: float | None = None,
                         poll_s: float = 0.2) -> str:
        """Wait until the batch is finished and none of its tasks is open; returns its status."""
        async def done() -> str:
            while True:
                batch = await self.db.fetchone("SELECT status FROM batches WHERE id = ?", (batch_id,))
                open_tasks = await self.db.fetchone(
                    "SELECT count(*) FROM tasks WHERE status IN ('queued', 'running') "
                    "AND idempotency_key LIKE ?", (f"b{batch_id}:%",))
                if batch is not None and batch[0] in ("done", "cancelled") and open_tasks[0] == 0:
                    return batch[0]
                await asyncio.sleep(poll_s)

        return await asyncio.wait_for(done(), timeout)

    def _busy(self) -> bool:
        return any(self._running.values())

    # -- the tick ------------------------------------------------------------------------------

    async def _tick(self) -> None:
        if self._stopping:
            return
        self._tick_idle.clear()
        try:
            await asyncio.wait_for(self._tick_body(), self.tick_timeout_s)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # A tick cut short by shutdown is no error (APScheduler would log a traceback).
        finally:
            self._tick_idle.set()

    async def _tick_body(self) -> None:
        if self._stopping:
            return
        await self._maybe_resume()
        if self.canary is not None:
            await self.canary.tick()
        await self._dispatch()
        await self._emit_progress()
        await self.housekeeping()

    async def housekeeping(self) -> int:
        """Delete finished tasks older than a week and the image copies of batches finished
        that long ago, expire drafts nobody started for a month, at most once an hour;
        returns how many tasks."""
        now = self.clock.now()
        if now - self._last_prune < PRUNE_EVERY_S:
            return 0
        self._last_prune = now
        pruned = await self.queue.prune(PRUNE_AFTER_S)
        await prune_batch_images(self.db, self.ctx.data_dir, PRUNE_AFTER_S)
        await expire_drafts(self.db, self.ctx.data_dir, DRAFT_EXPIRY_S)
        return pruned

    def wake(self) -> None:
        """Claim follow-up work now instead of at the next tick."""
        if not self._stopping:
            asyncio.get_running_loop().create_task(self._dispatch_quietly())

    async def _dispatch_quietly(self) -> None:
        try:
            await self._dispatch()
        except Exception:
            log.exception("dispatch failed")

    async def _dispatch(self) -> None:
        async with self._dispatch_lock:
            if self._stopping:
                return
            pause = await repo.kv_read(self.db, repo.KV_PAUSE)
            for kind in stages.KINDS:
                if pause is not None and kind in stages.FLOW_KINDS:
                    continue
                while len(self._running[kind]) < self._limit(kind) and not self._stopping:
                    if kind == stages.SUBMIT and not await self._submit_fits():
                        break
                    if kind == stages.SUBMIT and self.canary is not None \
                            and not await self.canary.submit_clear():
                        break  # the page is being checked (or failed it): spend nothing yet
                    task = await self.queue.claim(self.owner, [kind])
                    if task is None:
                        break
                    if kind == stages.SUBMIT and self.canary is not None \
                            and not await self.canary.clear_for(task):
                        # Its batch started after the look above: back, without using an attempt.
                        with contextlib.suppress(LeaseLost):
                            await self.queue.reschedule(task.id, self.owner, stages.SLOT_WAIT_S)
                        break
                    self._start(task)
            await self._update_download_gate()

    def _limit(self, kind: str) -> int:
        """Tasks of `kind` at once. One submit more where the page is given back while Flow
        answers a submit (flow2026): the next one prepares during that answer."""
        limit = self.limits[kind]
        if kind == stages.SUBMIT and self.ctx.flow.overlaps_submits:
            limit += 1
        return limit

    async def _submit_fits(self) -> bool:
        """Whether the next ready submit fits the free render slots (peeked before claiming)."""
        now = self.clock.now()
        state = await slots.snapshot(self.db, self.settings.flow, now, self.ctx.flow.queue_room)
        if now < state.backoff_until or state.room <= 0 and state.in_flight > 0:
            return False
        row = await self.db.fetchone(
            "SELECT payload FROM tasks WHERE status = 'queued' AND kind = ? AND run_after <= ? "
            "ORDER BY run_after, id LIMIT 1", (stages.SUBMIT, now))
        if row is None:
            return True  # maybe an expired lease to pick up; the stage re-checks the slots
        outputs = int(json.loads(row[0]).get("outputs", 1))
        return state.fits(outputs, now)

    def _start(self, task: Task) -> None:
        aio = asyncio.get_running_loop().create_task(self._run(task), name=f"{task.kind}:{task.id}")
        group = self._running[task.kind]
        group.add(aio)
        if task.kind == stages.SUBMIT:
            self.ctx.downloads_ok.clear()
        aio.add_done_callback(lambda t: self._finished(group, t))

    def _finished(self, group: set[asyncio.Task], aio: asyncio.Task) -> None:
        group.discard(aio)
        # The download gate is reopened by the dispatch this wakes, only after it had the chance
        # to claim the next submit: a download must not slip in between two submits.
        self.wake()

    async def _update_download_gate(self) -> None:
        """Hold downloads while a submit runs or a render looks due within DOWNLOAD_GUARD_S."""
        rows = await self.db.fetchall(
            "SELECT progress, coalesce(submitted_at, started_at) FROM generations "
            "WHERE status = 'submitted' AND progress > 0")
        now = self.clock.now()
        self._slot_freeing_soon = any(
            (now - since) * (100 - progress) / progress < DOWNLOAD_GUARD_S for progress, since in rows)
        if self._running[stages.SUBMIT] or self._slot_freeing_soon:
            self.ctx.downloads_ok.clear()
        else:
            self.ctx.downloads_ok.set()
            await self._maybe_upload_ahead()

    async def _maybe_upload_ahead(self) -> None:
        """Give the browser's idle time (no submit runs, no slot frees soon) to uploading the
        frames of submits waiting for a render slot into the project, so each of those submits
        only picks its stored frame (flow2026; the client records what it uploaded)."""
        upload = getattr(self.ctx.flow, "upload_ahead", None)
        if upload is None or self._stopping or self._ahead is not None and not self._ahead.done():
            return
        rows = await self.db.fetchall(
            "SELECT i.image_path, i.end_image_path FROM tasks t "
            "JOIN items i ON i.id = json_extract(t.payload, '$.item_id') "
            "WHERE t.status = 'queued' AND t.kind = ? ORDER BY t.run_after, t.id LIMIT ?",
            (stages.SUBMIT, UPLOAD_AHEAD_ITEMS))
        paths = [Path(p) for row in rows for p in row if p and Path(p).exists()]
        if paths:
            self._ahead = asyncio.get_running_loop().create_task(
                self._upload_ahead(upload, paths), name="upload-ahead")

    async def _upload_ahead(self, upload, paths: list[Path]) -> None:
        try:
            n = await upload(paths)
            if n:
                log.debug("uploaded %d frame(s) ahead of their submits", n)
        except Exception as err:  # best effort: each submit uploads its frame itself if needed
            log.info("uploading frames ahead stopped: %s", err)

    async def _run(self, task: Task) -> None:
        """Run one step with a lease heartbeat; unexpected errors go back to the queue."""
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(task))
        try:
            await stages.HANDLERS[task.kind](self.ctx, task, self.owner)
        except LeaseLost as err:
            log.warning("%s task %s: %s", task.kind, task.id, err)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            if isinstance(err, FlowError) and err.error_class in ("session", "paused"):
                # Any stage (a download, say) can meet an expired session or a stopped account:
                # pause the account and come back to this step later, without using an attempt.
                await self._pause_and_reschedule(task, err)
                return
            log.warning("%s task %s failed: %r", task.kind, task.id, err, exc_info=True)
            try:
                requeued = await self.queue.retry(task.id, self.owner, f"{type(err).__name__}: {err}",
                                                  delay=min(30.0, 1.0 * task.attempts))
                if not requeued:
                    text = str(err)
                    await self.db.write_sync(lambda conn: give_up(self.ctx, conn, task, text))
            except LeaseLost:
                pass
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _pause_and_reschedule(self, task: Task, err: FlowError) -> None:
        now = self.clock.now()
        kind = policy.decide(err, {}, self.settings.flow).pause_kind or err.code
        try:
            await self.queue.reschedule(
                task.id, self.owner, self.settings.flow.poll_interval_s,
                effects=lambda conn: stages.pause_account(self.ctx, conn, kind, err.text or str(err), now))
        except LeaseLost:
            pass

    async def _heartbeat(self, task: Task) -> None:
        period = max(0.5, self.queue.lease_seconds / 3)
        while True:
            await asyncio.sleep(period)
            try:
                await self.queue.renew(task.id, self.owner)
            except LeaseLost:
                return

    # -- account pause -------------------------------------------------------------------------

    async def _maybe_resume(self) -> None:
        """While paused: resume by itself when the session works again or a daily limit reset."""
        pause = await repo.kv_read(self.db, repo.KV_PAUSE)
        if pause is None:
            return
        now = self.clock.now()
        if pause.get("kind") == "credits" and now >= _next_utc_midnight(pause.get("since", now)):
            await resume_account(self.db, self.queue, now, "The daily limit has reset; resuming.")
            return
        if pause.get("kind") != "session_expired":
            self._session_check_wait = self.session_check_s
            return
        if now - self._last_session_check < self._session_check_wait:
            return
        self._last_session_check = now
        # The next look waits twice as long unless this one finds the session back.
        self._session_check_wait = min(SESSION_CHECK_MAX_S, self._session_check_wait * 2)
        try:
            info = await self.ctx.flow.check_session()
        except Exception as err:
            log.info("session check failed: %s", err)
            return
        # The page shows the account's plan: note it, as /session does, so prices follow it.
        noted = self.clock.now()
        await self.db.write_sync(lambda conn: repo.note_plan(conn, info, noted))
        if info.signed_in:
            self._session_check_wait = self.session_check_s
            await resume_account(self.db, self.queue, self.clock.now(),
                                 "The Flow session works again; the queue resumed.")

    # -- progress ------------------------------------------------------------------------------

    async def _emit_progress(self) -> None:
        """Tell each running batch's owner about progress, at most every edit interval."""
        rows = await self.db.fetchall(
            "SELECT b.id, group_concat(i.status || i.progress) FROM batches b "
            "JOIN items i ON i.batch_id = b.id WHERE b.status = 'running' GROUP BY b.id")
        now = self.clock.now()
        interval = self.settings.telegram.progress_edit_interval_s
        for batch_id, signature in rows:
            if self._progress_seen.get(batch_id) == signature:
                continue
            if now - self._progress_sent.get(batch_id, float("-inf")) < interval:
                continue
            event = await stages.progress_event(self.db, batch_id, self.settings)
            if event is None:
                continue
            self._progress_seen[batch_id] = signature
            self._progress_sent[batch_id] = now
            try:
                await self.ctx.notifier.batch_progress(event)
            except Exception as err:  # progress is best effort; never stop the tick for it
                log.debug("progress not shown: %s", err)


def give_up(ctx: stages.StageContext, conn: sqlite3.Connection, task: Task, error: str) -> None:
    """A step failed for good (out of queue attempts): leave its item in a named final state."""
    now = ctx.now()
    if task.kind == stages.COLLECT:
        gen = stages.repo_gen(conn, task.payload["generation_id"])
        if gen is not None:
            item = repo.item_row(conn, gen["item_id"])
            repo.set_item(conn, gen["item_id"], now, status="failed", error_code="download",
                          error_text="The finished video could not be downloaded from Flow.")
            ctx.queue.add(conn, stages.deliver_task(item["batch_id"], "failed",
                                                    f"{item['id']}:{gen['id']}", item_id=item["id"]))
            stages.maybe_finish(ctx, conn, item["batch_id"], now)
    elif task.kind == stages.SUBMIT:
        item = repo.item_row(conn, task.payload["item_id"])
        if item is not None and item["status"] not in repo.ITEM_TERMINAL:
            repo.set_item(conn, item["id"], now, status="failed", error_code="internal",
                          error_text=f"The bot could not submit this item: {error[:200]}")
            ctx.queue.add(conn, stages.deliver_task(item["batch_id"], "failed",
                                                    f"{item['id']}:t{task.id}", item_id=item["id"]))
            stages.maybe_finish(ctx, conn, item["batch_id"], now)
    elif task.kind == stages.UPSCALE:
        repo.set_clip(conn, task.payload["clip_id"], now, status_4k="failed", error_text=error[:500])
    elif task.kind == stages.EXPORT:
        conn.execute("UPDATE exports SET status = 'failed', error_text = ? WHERE id = ?",
                     (error[:500], task.payload["export_id"]))


async def resume_account(db: Database, queue: TaskQueue, now: float, text: str) -> bool:
    """Clear the pause and alert admins that the queue runs again; False if not paused."""
    def tx(conn: sqlite3.Connection) -> bool:
        if not repo.clear_pause(conn):
            return False
        queue.add(conn, stages.deliver_task(None, "admin", f"resumed:{now:.3f}", kind="resumed",
                                            text=text, action="Nothing to do."))
        return True

    return await db.write_sync(tx)


async def release_dead_leases(db: Database) -> int:
    """Requeue tasks leased by pipeline processes on this host that no longer exist."""
    host = socket.gethostname()
    rows = await db.fetchall("SELECT id, lease_owner FROM tasks WHERE status = 'running'")
    dead = [row[0] for row in rows if _owner_dead(row[1], host)]
    if not dead:
        return 0
    now = db.now()
    marks = ", ".join("?" for _ in dead)
    return await db.execute(
        f"UPDATE tasks SET status = 'queued', run_after = ?, updated_at = ?, lease_owner = NULL, "
        f"lease_expires_at = NULL WHERE status = 'running' AND id IN ({marks})", (now, now, *dead))


def _owner_dead(owner: str | None, host: str) -> bool:
    """Owners look like ``name@host:pid:nonce`` (see `worker_id`)."""
    if not owner or "@" not in owner:
        return False
    try:
        where = owner.split("@", 1)[1]
        owner_host, pid, _ = where.rsplit(":", 2)
        pid_n = int(pid)
    except ValueError:
        return False
    if owner_host != host or pid_n == os.getpid():
        return False
    try:
        os.kill(pid_n, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid_n)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def _next_utc_midnight(ts: float) -> float:
    return (int(ts) // 86400 + 1) * 86400.0


def _utcnow():
    from datetime import UTC, datetime

    return datetime.now(UTC)
