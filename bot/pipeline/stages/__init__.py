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

Modules, imports pointing down only (a stage module never imports another stage's privates):

- `context`: task kinds, keys, task constructors, `StageContext`, row readers (the bottom);
- `outcomes`: the failure policy carried out, the account pause, a batch's end;
- `clips`: a clip's files, and the 1080p / 4K follow-ups queued at most once;
- `events`: the notifications' contents, read from the database;
- `reconcile`: a submission whose outcome is unknown (start-up orphans included);
- stages: `submit`, `watch`, `collect` (→ `fetch_1080` for a `clip_id` task), `fetch_1080`,
  `upscale`, `export`, `deliver`.

This package is their public face: callers import from `bot.pipeline.stages`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.pipeline.stages.clips import clip_path, enqueue_fetch_1080, enqueue_upscale
from bot.pipeline.stages.collect import run_collect
from bot.pipeline.stages.context import (
    COLLECT,
    DELIVER,
    EXPORT,
    FLOW_KINDS,
    KINDS,
    SLOT_WAIT_S,
    SUBMIT,
    TASK_MAX_ATTEMPTS,
    UPSCALE,
    WATCH,
    StageContext,
    deliver_task,
    handle_of,
    key,
    repo_gen,
    submit_task,
    watch_task,
)
from bot.pipeline.stages.deliver import run_deliver
from bot.pipeline.stages.events import (
    FALLBACK_NOTE,
    failed_event,
    file_failed_event,
    previews_event,
    progress_event,
    upscaled_event,
)
from bot.pipeline.stages.export import run_export
from bot.pipeline.stages.fetch_1080 import run_fetch_1080
from bot.pipeline.stages.outcomes import apply_failure, maybe_finish, pause_account
from bot.pipeline.stages.reconcile import reconcile_orphans
from bot.pipeline.stages.submit import SUBMITTABLE, relearn_catalog, request_for, run_submit
from bot.pipeline.stages.upscale import run_upscale, upscale_source
from bot.pipeline.stages.watch import credits_of, next_poll_delay, run_watch
from bot.storage.queue import Task

HANDLERS: dict[str, Callable[[StageContext, Task, str], Awaitable[None]]] = {
    SUBMIT: run_submit,
    WATCH: run_watch,
    COLLECT: run_collect,
    UPSCALE: run_upscale,
    EXPORT: run_export,
    DELIVER: run_deliver,
}

__all__ = [
    "COLLECT", "DELIVER", "EXPORT", "FALLBACK_NOTE", "FLOW_KINDS", "HANDLERS", "KINDS",
    "SLOT_WAIT_S", "SUBMIT", "SUBMITTABLE", "TASK_MAX_ATTEMPTS", "UPSCALE", "WATCH",
    "StageContext", "apply_failure", "clip_path", "credits_of", "deliver_task",
    "enqueue_fetch_1080", "enqueue_upscale", "failed_event", "file_failed_event", "handle_of",
    "key", "maybe_finish", "next_poll_delay", "pause_account", "previews_event",
    "progress_event", "reconcile_orphans", "relearn_catalog", "repo_gen", "request_for",
    "run_collect", "run_deliver", "run_export", "run_fetch_1080", "run_submit", "run_upscale",
    "run_watch", "submit_task", "upscale_source", "upscaled_event", "watch_task",
]
