"""The Flow account as admins see it: pause/resume, state, statistics, the queue.

`AccountService(db, queue, clock, settings=None)`; `settings` only adds the slot cap to
`state()`. Pausing here is what an admin does by hand (/pause); the pipeline pauses by itself
on credits, unusual activity and an expired session (see `bot/pipeline/policy.py`), and
`resume()` lifts either kind.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.pipeline import slots
from bot.pipeline.loop import resume_account
from bot.storage import repo
from bot.storage.db import Database
from bot.storage.queue import TaskQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountState:
    paused: bool
    kind: str | None          # admin | session_expired | credits | unusual_activity | ...
    detail: str | None
    since: float | None
    backoff_until: float      # "too quickly": no submission before this time (0 when none)
    slot_cap: int | None      # render slots allowed now (None without settings)
    in_flight: int            # render slots in use


class AccountService:
    """Admin controls and figures for the Flow account."""

    def __init__(self, db: Database, queue: TaskQueue, clock: Clock,
                 settings: Settings | None = None) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self.settings = settings

    async def pause(self, reason: str = "paused by an admin") -> bool:
        """Stop submitting (renders in flight still finish); False if already paused."""
        now = self.clock.now()
        return await self.db.write_sync(lambda conn: repo.set_pause(conn, "admin", reason, now))

    async def resume(self) -> bool:
        """Lift any pause; False if the account was not paused."""
        return await resume_account(self.db, self.queue, self.clock.now(),
                                    "An admin resumed the queue.")

    async def learn_catalog(self, flow: Any) -> Any:
        """Walk Flow's page for what the account can buy now (nothing spent) and make it the
        catalogue every offer reads; the `LearnedCatalog`, or None when the walk failed."""
        from bot.pipeline import catalog

        try:
            baseline = await flow.survey()
        except Exception as err:  # noqa: BLE001 - the known catalogue stays
            log.warning("could not learn Flow's catalogue: %s", err)
            return None
        return await catalog.learn(baseline, self.db)

    async def note_session(self, info: Any) -> str | None:
        """Remember the plan the page showed (`SessionInfo.extra["plan"]`): it wins over FLOW_PLAN
        for prices and offered durations. Returns the plan noted, if any."""
        now = self.clock.now()
        return await self.db.write_sync(lambda conn: repo.note_plan(conn, info, now))

    async def state(self) -> AccountState:
        pause = await repo.kv_read(self.db, repo.KV_PAUSE) or {}
        now = self.clock.now()
        in_flight = await repo.in_flight_outputs_async(self.db)
        cap, until = None, 0.0
        if self.settings is not None:
            snap = await slots.snapshot(self.db, self.settings.flow, now)
            cap, until = snap.cap, snap.backoff_until
        else:
            backoff = await repo.kv_read(self.db, repo.KV_BACKOFF) or {}
            until = float(backoff.get("until", 0.0))
        return AccountState(bool(pause), pause.get("kind"), pause.get("detail"), pause.get("since"),
                            until if until > now else 0.0, cap, in_flight)

    async def stats(self) -> dict[str, Any]:
        """{"today": {...}, "all_time": {...}}: generations, credits spent, failures by class."""
        now = self.clock.now()
        midnight = (int(now) // 86400) * 86400.0
        return {"today": await repo.stats(self.db, since=midnight),
                "all_time": await repo.stats(self.db)}

    async def queue_overview(self) -> dict[str, Any]:
        """Tasks per kind and status, the running batches, and the next task's time."""
        rows = await self.db.fetchall(
            "SELECT kind, status, count(*) FROM tasks WHERE status IN ('queued', 'running') "
            "GROUP BY kind, status")
        tasks: dict[str, dict[str, int]] = {}
        for kind, status, n in rows:
            tasks.setdefault(kind, {})[status] = n
        batches = await self.db.fetchall(
            "SELECT b.id, b.user_id, count(i.id), coalesce(sum(i.status = 'done'), 0), "
            "coalesce(sum(i.status = 'failed'), 0) FROM batches b JOIN items i ON i.batch_id = b.id "
            "WHERE b.status = 'running' GROUP BY b.id ORDER BY b.id")
        return {
            "tasks": tasks,
            "running_batches": [{"id": r[0], "user_id": r[1], "total": r[2], "done": r[3],
                                 "failed": r[4]} for r in batches],
            "next_run_after": await self.queue.next_run_after(),
            "as_of": self.clock.now() if self.clock else time.time(),
        }

    async def cancel_task(self, task_id: int) -> bool:
        """Cancel one queued task by id (running ones finish their step)."""
        return await self.queue.cancel(task_id=task_id) > 0
