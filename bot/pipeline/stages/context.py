"""What every stage shares: the task kinds, idempotency keys, the task constructors, the
`StageContext` the `Pipeline` injects, and readers of the rows a stage works on.

The bottom of the package: it imports no other stage module.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.pipeline.flow.api import FlowClient, FlowHandle
from bot.pipeline.notifier import Notifier
from bot.storage.db import Database
from bot.storage.queue import NewTask, TaskQueue

SUBMIT, WATCH, COLLECT, UPSCALE, EXPORT, DELIVER = (
    "submit", "watch", "collect", "upscale", "export", "deliver")
# Claim order: a submit gets the page lock before downloads queue up behind it (slots first).
KINDS = (SUBMIT, WATCH, COLLECT, DELIVER, UPSCALE, EXPORT)
# Kinds that drive the browser; not claimed while the account is paused.
FLOW_KINDS = (SUBMIT, WATCH, COLLECT)
# Queue attempts are for crashes and unexpected errors; Flow retries are counted in `generations`.
TASK_MAX_ATTEMPTS = 20
# Wait before looking again when a submit found no free slot (the loop usually avoids that).
SLOT_WAIT_S = 0.5


def key(batch_id: int, *parts: Any) -> str:
    """Idempotency key of a batch's task; the `b{id}:` prefix lets a batch be cancelled/awaited."""
    return ":".join([f"b{batch_id}", *map(str, parts)])


def submit_task(batch_id: int, item_id: int, outputs: int, n: int, delay: float = 0.0) -> NewTask:
    """The submit task of an item's `n`-th try (n = generations already made)."""
    return NewTask(SUBMIT, {"item_id": item_id, "outputs": outputs}, key(batch_id, SUBMIT, item_id, n),
                   delay=delay, max_attempts=TASK_MAX_ATTEMPTS)


def watch_task(batch_id: int, gen_id: int) -> NewTask:
    """The watch task of a generation whose handle is recorded."""
    return NewTask(WATCH, {"generation_id": gen_id}, key(batch_id, WATCH, gen_id),
                   max_attempts=TASK_MAX_ATTEMPTS)


def deliver_key(scope: int | None, event: str, ident: Any = "") -> str:
    """The idempotency key of a notification task (without `ident`: the prefix of all of that
    event's tasks in `scope`)."""
    prefix = f"b{scope}" if scope is not None else "acct"
    return f"{prefix}:{DELIVER}:{event}:{ident}"


def deliver_task(scope: int | None, event: str, ident: Any, **extra: Any) -> NewTask:
    """A notification task of batch `scope` (None: account-wide, e.g. admin alerts)."""
    return NewTask(DELIVER, {"event": event, "id": ident, **extra},
                   deliver_key(scope, event, ident), max_attempts=TASK_MAX_ATTEMPTS)


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
    # Where zips are written when they are for a folder rather than a chat (the CLI's output
    # folder); None: `data_dir/exports/export<N>/`, owned and pruned by the bot.
    exports_dir: Path | None = None
    # Set by the loop while no submit runs and no render slot is about to free up. Downloads
    # wait for it: they share the page lock with submits, and filling a free render slot at
    # once is worth more than a clip arriving a second sooner.
    downloads_ok: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.downloads_ok.set()

    def now(self) -> float:
        return self.clock.now()


def repo_gen(conn: sqlite3.Connection, gen_id: int) -> sqlite3.Row:
    """A `generations` row by id (None when there is none)."""
    return conn.execute("SELECT * FROM generations WHERE id = ?", (gen_id,)).fetchone()


def handle_of(gen: sqlite3.Row | dict, prompt: str) -> FlowHandle:
    """The Flow handle recorded on a generation row (project URL, tile ids, submit time)."""
    return FlowHandle(project_url=gen["project_url"], tile_ids=tuple(json.loads(gen["tile_ids_json"])),
                      submitted_at=gen["submitted_at"] or gen["started_at"], prompt=prompt)
