"""A durable work queue in the `tasks` table of the same SQLite file.

A worker claims a task with a lease (an owner string and an expiry). Every later change –
complete, retry, fail, reschedule, renew – is fenced by that owner: if the lease expired and
another worker reclaimed the task, the late worker changes nothing and gets `LeaseLost`.
Completing a task and enqueuing the next step happen in one transaction, together with any
domain writes the caller passes as `effects`, so a crash never leaves half of a step behind.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import LeaseLost
from bot.storage.db import Database

# Domain writes that must commit together with a queue change; they run on the writer thread.
Effects = Callable[[sqlite3.Connection], Any]

_COLUMNS = (
    "id, kind, payload, status, attempts, max_attempts, run_after, lease_owner, "
    "lease_expires_at, last_error, idempotency_key, created_at, updated_at, finished_at"
)


@dataclass(frozen=True)
class Task:
    """One row of the queue as a worker sees it after claiming."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires_at: float | None
    last_error: str | None
    idempotency_key: str | None
    created_at: float
    updated_at: float
    finished_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple) -> Task:
        values = list(row)
        values[2] = json.loads(values[2] or "{}")
        return cls(*values)

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - self.attempts)


@dataclass(frozen=True)
class NewTask:
    """A task to enqueue, possibly inside another transaction."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    delay: float = 0.0
    max_attempts: int = 5


def worker_id(name: str = "worker") -> str:
    """A lease owner string unique to this process and call."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TaskQueue:
    """Enqueue, claim, and finish tasks with leases, backoff, and idempotency keys.

    Every operation is one ``BEGIN IMMEDIATE`` transaction run by `Database.write_sync`;
    `effects` callables receive the raw `sqlite3.Connection` of that transaction.
    """

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = 60.0,
        backoff_base: float = 5.0,
        backoff_max: float = 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        # Expired leases with no attempts left are swept at most this often (not on every claim).
        self.reap_interval_s = 1.0
        self._last_reap = float("-inf")

    # -- enqueue -------------------------------------------------------------------------------

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float = 0.0,
        max_attempts: int = 5,
    ) -> int:
        """Add a task; with a `key` already present, return the existing task's id instead."""
        new = NewTask(kind, payload or {}, key, delay, max_attempts)
        return await self.db.write_sync(lambda conn: self.add(conn, new))

    def add(self, conn: sqlite3.Connection, new: NewTask) -> int:
        """Enqueue inside a transaction the caller holds (for example in `effects`)."""
        now = self.db.now()
        row = conn.execute(
            "INSERT INTO tasks (kind, payload, max_attempts, run_after, idempotency_key, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (new.kind, json.dumps(new.payload), new.max_attempts, now + new.delay, new.key, now, now),
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT id FROM tasks WHERE idempotency_key = ?", (new.key,)
            ).fetchone()
        return int(row[0])

    # -- claim ---------------------------------------------------------------------------------

    async def claim(
        self,
        owner: str,
        kinds: Sequence[str] | None = None,
        *,
        lease_seconds: float | None = None,
    ) -> Task | None:
        """Atomically take the oldest ready task (or one whose lease expired) for `owner`."""
        now = self.db.now()
        lease = lease_seconds or self.lease_seconds
        kind_sql, kind_params = _kind_filter(kinds)
        reap = now - self._last_reap >= self.reap_interval_s
        if reap:
            self._last_reap = now

        def tx(conn: sqlite3.Connection) -> tuple | None:
            if reap:
                # A task whose lease expired with no attempts left will never succeed: end it.
                conn.execute(
                    "UPDATE tasks SET status = 'failed', finished_at = ?, updated_at = ?, "
                    "last_error = coalesce(last_error, 'lease expired') || ' (no attempts left)', "
                    "lease_owner = NULL, lease_expires_at = NULL WHERE status = 'running' "
                    "AND lease_expires_at < ? AND attempts >= max_attempts",
                    (now, now, now),
                )
            return conn.execute(
                f"UPDATE tasks SET status = 'running', attempts = attempts + 1, lease_owner = ?, "
                f"lease_expires_at = ?, updated_at = ? "
                # Two indexed probes instead of one OR: an OR makes SQLite sort every ready row.
                f"WHERE id = (SELECT id FROM ("
                f"SELECT * FROM (SELECT id, run_after FROM tasks WHERE status = 'queued' "
                f"AND run_after <= ?{kind_sql} ORDER BY run_after, id LIMIT 1) UNION ALL "
                f"SELECT * FROM (SELECT id, run_after FROM tasks WHERE status = 'running' "
                f"AND lease_expires_at < ? AND attempts < max_attempts{kind_sql} "
                f"ORDER BY lease_expires_at LIMIT 1)) ORDER BY run_after, id LIMIT 1) "
                f"RETURNING {_COLUMNS}",
                (owner, now + lease, now, now, *kind_params, now, *kind_params),
            ).fetchone()

        row = await self.db.write_sync(tx)
        return Task.from_row(row) if row is not None else None

    async def renew(self, task_id: int, owner: str, *, lease_seconds: float | None = None) -> None:
        """Extend the lease of a long step; raises `LeaseLost` if it is no longer ours."""
        now = self.db.now()
        until = now + (lease_seconds or self.lease_seconds)
        await self.db.write_sync(
            lambda conn: _fenced(
                conn, task_id, owner, "lease_expires_at = ?, updated_at = ?", (until, now)
            )
        )

    # -- finish --------------------------------------------------------------------------------

    async def complete(
        self,
        task_id: int,
        owner: str,
        *,
        then: Iterable[NewTask] = (),
        effects: Effects | None = None,
    ) -> list[int]:
        """Mark done, apply `effects`, and enqueue `then` – all in one transaction.

        Returns the ids of the enqueued tasks. Raises `LeaseLost` (changing nothing) when the
        lease is no longer held by `owner`.
        """
        now = self.db.now()
        follow = list(then)

        def tx(conn: sqlite3.Connection) -> list[int]:
            _fenced(
                conn,
                task_id,
                owner,
                "status = 'done', finished_at = ?, updated_at = ?, lease_owner = NULL, "
                "lease_expires_at = NULL",
                (now, now),
            )
            if effects is not None:
                effects(conn)
            return [self.add(conn, new) for new in follow]

        return await self.db.write_sync(tx)

    async def retry(
        self,
        task_id: int,
        owner: str,
        error: str,
        *,
        delay: float | None = None,
        attempts: int | None = None,
        payload: dict[str, Any] | None = None,
        effects: Effects | None = None,
    ) -> bool:
        """Put the task back with backoff; fails it instead when no attempts are left.

        Returns True when requeued, False when the task was failed for good. `delay` overrides
        the exponential backoff; `attempts` overrides the attempt count stored.
        """
        now = self.db.now()

        def tx(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT attempts, max_attempts FROM tasks WHERE id = ? AND lease_owner = ? "
                "AND status = 'running'",
                (task_id, owner),
            ).fetchone()
            if row is None:
                raise LeaseLost(f"task {task_id} is no longer leased by {owner}")
            done_attempts = row[0] if attempts is None else attempts
            if done_attempts >= row[1]:
                _fenced(conn, task_id, owner, *_failed_set(now, error))
                if effects is not None:
                    effects(conn)
                return False
            wait = self.backoff(done_attempts) if delay is None else delay
            sets = (
                "status = 'queued', run_after = ?, last_error = ?, updated_at = ?, "
                "lease_owner = NULL, lease_expires_at = NULL, attempts = ?"
            )
            params: tuple[Any, ...] = (now + wait, error, now, done_attempts)
            if payload is not None:
                sets += ", payload = ?"
                params += (json.dumps(payload),)
            _fenced(conn, task_id, owner, sets, params)
            if effects is not None:
                effects(conn)
            return True

        return await self.db.write_sync(tx)

    async def reschedule(
        self,
        task_id: int,
        owner: str,
        delay: float,
        *,
        payload: dict[str, Any] | None = None,
        effects: Effects | None = None,
    ) -> None:
        """Come back later without counting an attempt (a poll that found work still running)."""
        now = self.db.now()
        sets = (
            "status = 'queued', run_after = ?, updated_at = ?, lease_owner = NULL, "
            "lease_expires_at = NULL, attempts = max(attempts - 1, 0)"
        )
        params: tuple[Any, ...] = (now + delay, now)
        if payload is not None:
            sets += ", payload = ?"
            params += (json.dumps(payload),)

        def tx(conn: sqlite3.Connection) -> None:
            _fenced(conn, task_id, owner, sets, params)
            if effects is not None:
                effects(conn)

        await self.db.write_sync(tx)

    async def fail(
        self, task_id: int, owner: str, error: str, *, effects: Effects | None = None
    ) -> None:
        """End the task for good with `error`."""
        now = self.db.now()

        def tx(conn: sqlite3.Connection) -> None:
            _fenced(conn, task_id, owner, *_failed_set(now, error))
            if effects is not None:
                effects(conn)

        await self.db.write_sync(tx)

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: uniform in [base/2, base·2^(n-1)], capped."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** max(0, attempts - 1)))
        return self._rng.uniform(min(ceiling, self.backoff_base / 2), ceiling)

    # -- housekeeping --------------------------------------------------------------------------

    async def cancel(self, *, key_prefix: str | None = None, task_id: int | None = None) -> int:
        """Cancel queued tasks by id or idempotency-key prefix; running ones finish their step."""
        now = self.db.now()
        if task_id is not None:
            where, params = "id = ?", (task_id,)
        elif key_prefix is not None:
            where, params = "idempotency_key LIKE ? ESCAPE '\\'", (_like_prefix(key_prefix),)
        else:
            raise ValueError("cancel() needs key_prefix or task_id")
        return await self.db.execute(
            f"UPDATE tasks SET status = 'cancelled', finished_at = ?, updated_at = ? "
            f"WHERE status = 'queued' AND {where}",
            (now, now, *params),
        )

    async def prune(self, older_than_s: float) -> int:
        """Delete finished (done, failed, cancelled) tasks older than `older_than_s`."""
        cutoff = self.db.now() - older_than_s
        return await self.db.execute(
            "DELETE FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ? "
            "AND status IN ('done', 'failed', 'cancelled')",
            (cutoff,),
        )

    async def get(self, task_id: int) -> Task | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,))
        return Task.from_row(row) if row is not None else None

    async def unfinished(self, key_prefixes: Sequence[str], *, besides: int | None = None) -> int:
        """How many queued or running tasks (other than `besides`) have an idempotency key that
        starts with one of `key_prefixes`."""
        if not key_prefixes:
            return 0
        likes = " OR ".join("idempotency_key LIKE ? ESCAPE '\\'" for _ in key_prefixes)
        row = await self.db.fetchone(
            f"SELECT count(*) FROM tasks WHERE status IN ('queued', 'running') AND id != ? "
            f"AND ({likes})", (-1 if besides is None else besides,
                               *(_like_prefix(k) for k in key_prefixes)))
        return int(row[0])

    async def counts(self) -> dict[str, int]:
        """Number of tasks per status."""
        rows = await self.db.fetchall("SELECT status, count(*) FROM tasks GROUP BY status")
        return {row[0]: row[1] for row in rows}

    async def next_run_after(self, kinds: Sequence[str] | None = None) -> float | None:
        """When the earliest queued task becomes ready (for sleeping until then)."""
        kind_sql, kind_params = _kind_filter(kinds)
        row = await self.db.fetchone(
            f"SELECT min(run_after) FROM tasks WHERE status = 'queued'{kind_sql}", kind_params
        )
        return row[0] if row is not None else None


def _fenced(
    conn: sqlite3.Connection, task_id: int, owner: str, sets: str, params: tuple[Any, ...]
) -> None:
    """Apply `sets` only if `owner` still holds the lease; otherwise raise `LeaseLost`."""
    cur = conn.execute(
        f"UPDATE tasks SET {sets} WHERE id = ? AND lease_owner = ? AND status = 'running'",
        (*params, task_id, owner),
    )
    if cur.rowcount != 1:
        raise LeaseLost(f"task {task_id} is no longer leased by {owner}")


def _failed_set(now: float, error: str) -> tuple[str, tuple[Any, ...]]:
    return (
        "status = 'failed', finished_at = ?, updated_at = ?, last_error = ?, "
        "lease_owner = NULL, lease_expires_at = NULL",
        (now, now, error),
    )


def _kind_filter(kinds: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if not kinds:
        return "", ()
    return f" AND kind IN ({', '.join('?' for _ in kinds)})", tuple(kinds)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
