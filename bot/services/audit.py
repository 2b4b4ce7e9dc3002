"""The audit log: every admin action and every credit-spending action, one row each.

A row says who (`actor_id`), what (`action`, a short fixed word such as ``pause`` or
``batch_start``), when (`at`, from the injected clock), which batch and how many credits. The
optional `detail` is bounded plain words (a /pause reason, a user id); it passes through
`logsafe.redact` so a registered secret can never be stored, and nothing from /login is ever
passed in. `/audit` pages through it, newest first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.clock import Clock
from bot.logsafe import redact
from bot.storage.db import Database

MAX_DETAIL = 120
PAGE_SIZE = 10


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor_id: int | None
    action: str
    batch_id: int | None
    credits: int | None
    detail: str | None


def _clean(detail: str | None) -> str | None:
    return redact(" ".join(str(detail).split()))[:MAX_DETAIL] if detail else None


def record_audit(conn: sqlite3.Connection, now: float, actor_id: int | None, action: str, *,
                 batch_id: int | None = None, credits: int | None = None,
                 detail: str | None = None) -> None:
    """Append one row inside the caller's transaction (e.g. the start of a batch)."""
    conn.execute("INSERT INTO audit (at, actor_id, action, batch_id, credits, detail) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (now, actor_id, action[:40], batch_id, credits, _clean(detail)))


class AuditService:
    """Append to and page through the audit table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, actor_id: int | None, action: str, *, batch_id: int | None = None,
                     credits: int | None = None, detail: str | None = None) -> None:
        """Append one row (its own transaction)."""
        now = self.clock.now()
        await self.db.write_sync(lambda conn: record_audit(
            conn, now, actor_id, action, batch_id=batch_id, credits=credits, detail=detail))

    async def page(self, page: int, size: int = PAGE_SIZE) -> tuple[list[AuditEntry], int]:
        """Rows of page `page` (0 = newest) and the total number of rows."""
        total = (await self.db.fetchone("SELECT count(*) FROM audit"))[0]
        rows = await self.db.fetchall(
            "SELECT id, at, actor_id, action, batch_id, credits, detail FROM audit "
            "ORDER BY id DESC LIMIT ? OFFSET ?", (size, max(0, page) * size))
        return [AuditEntry(*r) for r in rows], int(total)

    async def actions(self) -> list[str]:
        """Every action recorded, oldest first (for tests and /audit summaries)."""
        return [r[0] for r in await self.db.fetchall("SELECT action FROM audit ORDER BY id")]
