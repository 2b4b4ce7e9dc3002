"""Credit budgets: how many Flow credits each user may spend per day or per month.

An admin gives a user a budget (`set`); admins themselves are unlimited (`check` answers None).
Spending counts what Flow actually billed: `generations.credits` of finished generations (a
failed generation is refunded by Flow and records 0), plus what is already committed and not
yet billed — generations in flight at their catalog price, and the queued items of the user's
running batches — so two batches started back to back cannot both fit the same credits.
Periods are calendar days and months in UTC, read from the injected clock: a new month starts
from zero without anything being reset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.clock import Clock
from bot.pipeline import catalog
from bot.storage import repo
from bot.storage.db import Database

Period = Literal["day", "month"]
PERIODS: tuple[Period, ...] = ("day", "month")
MAX_BUDGET = 10_000_000  # far above any plan's monthly credits; bounds an admin's typo


@dataclass(frozen=True)
class Budget:
    """A user's allowance: `credits` per `period`."""

    credits: int
    period: Period


@dataclass(frozen=True)
class BudgetCheck:
    """What a spend of `cost` credits would do to the user's budget."""

    budget: Budget
    used: int   # billed in this period + committed (in flight, queued)
    cost: int

    @property
    def left(self) -> int:
        """Credits left before this spend (never below zero)."""
        return max(0, self.budget.credits - self.used)

    @property
    def left_after(self) -> int:
        """Credits the spend would leave (negative: it does not fit)."""
        return self.budget.credits - self.used - self.cost

    @property
    def fits(self) -> bool:
        return self.left_after >= 0


def period_start(now: float, period: Period) -> float:
    """Epoch seconds of the start of the UTC day or month holding `now`."""
    t = dt.datetime.fromtimestamp(now, dt.UTC)
    start = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    return start.timestamp()


class BudgetService:
    """Budgets per user, and what a user has spent of theirs."""

    def __init__(self, db: Database, clock: Clock, admin_ids: frozenset[int] | set[int], *,
                 plan: str = "pro") -> None:
        self.db = db
        self.clock = clock
        self._admins = frozenset(admin_ids)
        self._configured_plan = plan

    async def get(self, user_id: int) -> Budget | None:
        """The user's budget, or None (no budget: unlimited)."""
        row = await self.db.fetchone("SELECT credits, period FROM budgets WHERE user_id = ?",
                                     (user_id,))
        return Budget(int(row[0]), row[1]) if row else None

    async def all(self) -> dict[int, Budget]:
        """Every budget, by user id."""
        rows = await self.db.fetchall("SELECT user_id, credits, period FROM budgets")
        return {int(r[0]): Budget(int(r[1]), r[2]) for r in rows}

    async def set(self, user_id: int, credits: int, period: Period, by: int | None) -> Budget:
        """Give `user_id` `credits` per `period` (replacing any budget); ValueError when invalid."""
        if period not in PERIODS or not 0 <= credits <= MAX_BUDGET:
            raise ValueError(f"invalid budget {credits}/{period}")
        await self.db.execute(
            "INSERT INTO budgets (user_id, credits, period, set_by, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET credits = excluded.credits, period = "
            "excluded.period, set_by = excluded.set_by, updated_at = excluded.updated_at",
            (user_id, credits, period, by, self.clock.now()))
        return Budget(credits, period)

    async def clear(self, user_id: int) -> bool:
        """Remove the user's budget (unlimited again); False when there was none."""
        return await self.db.execute("DELETE FROM budgets WHERE user_id = ?", (user_id,)) > 0

    async def used(self, user_id: int, period: Period) -> int:
        """Credits billed to the user since the period began, plus those already committed."""
        since = period_start(self.clock.now(), period)
        billed = await self.db.fetchone(
            "SELECT coalesce(sum(g.credits), 0) FROM generations g JOIN items i ON i.id = g.item_id "
            "JOIN batches b ON b.id = i.batch_id WHERE b.user_id = ? AND g.status = 'done' "
            "AND g.started_at >= ?", (user_id, since))
        # In flight: submitted (paid for if it renders) but not yet billed.
        flying = await self.db.fetchall(
            "SELECT g.model, g.plan, g.duration, g.resolution, g.outputs FROM generations g "
            "JOIN items i ON i.id = g.item_id JOIN batches b ON b.id = i.batch_id "
            "WHERE b.user_id = ? AND g.status IN ('submitting', 'submitted')", (user_id,))
        # Committed: items of started batches waiting for their submission.
        waiting = await self.db.fetchall(
            "SELECT b.model, NULL, b.duration, b.resolution, b.outputs FROM items i "
            "JOIN batches b ON b.id = i.batch_id WHERE b.user_id = ? AND b.status = 'running' "
            "AND i.status IN ('queued', 'pending', 'paused')", (user_id,))
        plan = await self._plan()
        committed = sum(_price(r[0], r[1] or plan, r[2], r[3]) * int(r[4]) for r in (*flying, *waiting))
        return int(billed[0]) + committed

    async def check(self, user_id: int, cost: int) -> BudgetCheck | None:
        """What spending `cost` credits would leave; None for admins and users without a budget."""
        if user_id in self._admins:
            return None
        budget = await self.get(user_id)
        if budget is None:
            return None
        return BudgetCheck(budget, await self.used(user_id, budget.period), cost)

    async def _plan(self) -> str:
        return await repo.plan_read(self.db, self._configured_plan)


def _price(model: str, plan: str, duration: int, resolution: str) -> int:
    try:
        return catalog.credits_per_output(model, plan, duration, resolution)  # type: ignore[arg-type]
    except catalog.UnknownOffer:
        return 0
