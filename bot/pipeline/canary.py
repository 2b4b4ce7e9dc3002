"""The drift canary: `flowbot flow check`'s checker, run by the pipeline before money is spent.

When it runs: before a batch's first submission (no clean check since the batch started) and
at least once every `FLOW_CANARY_INTERVAL_S` (a day), before the next submission and also while
the queue is idle. The check walks Flow the way a submission would but never submits (nothing
is paid, see `bot/pipeline/flow/check.py`).

What it decides (`FLOW_CANARY_STRICT`, default on):
* every element matched its primary selector → clear, submissions go on;
* an element matched nothing → the account is paused *before* any submission, and admins get
  the element, the selectors that failed and a screenshot (a `deliver` task → `Notifier`);
* elements matched only through a fallback (Flow changed, the driver still copes) → paused
  too when strict; otherwise one admin warning per distinct drift and submissions go on;
* the check itself crashed (page did not load, …) → tried again after `ERROR_RETRY_S`; after
  `MAX_ERRORS` crashes in a row the account pauses like a drift. A signed-out page pauses the
  account as an expired session, as any stage does.

State lives in the `kv` table (`flow.canary`), so a restart neither repeats nor skips a check.
The pipeline never imports aiogram: alerts go through `stages.deliver_task(... "admin" ...)`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.errors import FlowError
from bot.pipeline import policy, stages
from bot.storage import repo
from bot.storage.db import Database

log = logging.getLogger(__name__)

KV_CANARY = "flow.canary"        # {"at", "status", "errors", "ok_at", "warned"}
PAUSE_KIND = "drift"
ERROR_RETRY_S = 60.0             # a crashed check is tried again this much later
MAX_ERRORS = 3                   # crashed checks in a row before the account pauses
KEEP_SCREENSHOTS = 5             # canary screenshots kept on disk (older ones are deleted)
ALERT_LINES = 8                  # elements listed in one admin alert (Telegram caps a message)


@dataclass(frozen=True)
class ElementLine:
    """One element the check looked for, as the admin sees it."""

    stage: str
    key: str
    status: str  # ok | fallback | MISSING
    selector: str


@dataclass(frozen=True)
class DriftReport:
    """The outcome of one check: `status` is ok, fallback (drift covered) or broken."""

    status: str
    elements: tuple[ElementLine, ...]
    url: str
    screenshot: Path | None = None

    @property
    def drifted(self) -> list[ElementLine]:
        """Elements that did not match their primary selector, missing ones first."""
        bad = [e for e in self.elements if e.status != "ok"]
        return sorted(bad, key=lambda e: e.status != "MISSING")

    def signature(self) -> str:
        return ";".join(f"{e.key}:{e.status}" for e in self.drifted)


class DriftChecker(Protocol):
    """Runs the drift check somewhere it cannot spend credits; raises `FlowError` on a page
    it cannot judge (signed out, say) and anything else when the check itself broke."""

    async def check_drift(self) -> DriftReport: ...


class ClientDriftChecker:
    """Runs `check.run_check` on a side page of the driver's own browser session."""

    def __init__(self, client: Any, artifacts_dir: Path) -> None:
        self.client = client
        self.artifacts_dir = Path(artifacts_dir)

    async def check_drift(self) -> DriftReport:
        from bot.pipeline.flow.check import BROKEN, OK, exit_code, run_check
        from bot.pipeline.flow.locate import NotFound

        page = await self.client.session.new_page()
        try:
            # The project the driver submits into, once it has one: checking there makes no
            # new project in the account (one per batch would litter it) and reaches the tiles.
            url = getattr(self.client, "_project_url", None) or self.client.base_url
            try:
                results = await run_check(page, url, timeout=self.client.timeout,
                                          **_generation_args(run_check, self.client.settings))
            except NotFound as err:
                # Not even what the walk needs to go on is there (no known UI at all): the
                # largest drift there is, not a hiccup to retry.
                line = ElementLine("page", err.key, "MISSING", str(err))
                return DriftReport("broken", (line,), url, await self._screenshot(page))
            code = exit_code(results)
            status = "ok" if code == OK else ("broken" if code == BROKEN else "fallback")
            shot = None if status == "ok" else await self._screenshot(page)
            lines = tuple(ElementLine(r.stage, r.key, r.status, r.selector) for r in results)
            return DriftReport(status, lines, url, shot)
        finally:
            try:
                await page.close()
            except Exception:  # noqa: BLE001 - a dead page is closed enough
                pass

    async def _screenshot(self, page: Any) -> Path | None:
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        path = self.artifacts_dir / f"canary-{time.strftime('%Y%m%d-%H%M%S')}.png"
        try:
            await page.screenshot(path=str(path), full_page=False)
            path.chmod(0o600)
        except Exception as err:  # noqa: BLE001 - evidence is best effort
            log.debug("no canary screenshot: %s", err)
            return None
        # This module owns its screenshots: keep the newest few, delete the rest.
        for old in sorted(self.artifacts_dir.glob("canary-*.png"))[:-KEEP_SCREENSHOTS]:
            old.unlink(missing_ok=True)
        return path


def _generation_args(run_check: Any, settings: Any) -> dict[str, Any]:
    """The driver's pinned language, where the checker takes it."""
    import inspect

    params = inspect.signature(run_check).parameters
    wanted = {"lang": getattr(settings, "ui_lang", None)}
    return {k: v for k, v in wanted.items() if k in params and v is not None}


def default_checker(flow: Any, artifacts_dir: Path) -> DriftChecker | None:
    """The checker for a Playwright-driven client; None for anything else (no browser)."""
    from bot.pipeline.flow.client import PlaywrightFlowClient

    if isinstance(flow, PlaywrightFlowClient):
        return ClientDriftChecker(flow, artifacts_dir)
    return None


def alert_text(report: DriftReport) -> str:
    """What admins read: which elements drifted and which selectors failed."""
    bad = report.drifted
    lines = [f"{e.key} ({e.stage}): {e.status.lower()}; {e.selector}" for e in bad[:ALERT_LINES]]
    more = f" (+{len(bad) - ALERT_LINES} more)" if len(bad) > ALERT_LINES else ""
    what = "no longer match anything" if report.status == "broken" else "match only a fallback"
    return (f"Flow's page changed: {len(bad)} element(s) {what}{more}. "
            + " | ".join(lines))


class Canary:
    """Decides when the drift check runs and acts on its result (see the module docstring).

    The pipeline asks `submit_clear()` before claiming a submit and calls `tick()` every tick;
    a check runs in the background (one at a time), and `on_done` wakes the dispatcher.
    """

    def __init__(self, ctx: stages.StageContext, checker: DriftChecker,
                 on_done: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self.db: Database = ctx.db
        self.queue = ctx.queue
        self.checker = checker
        self.settings: Settings = ctx.settings
        self.clock: Clock = ctx.clock
        self.on_done = on_done
        self.interval_s = self.settings.flow.canary_interval_s
        self.strict = self.settings.flow.canary_strict
        self.task: asyncio.Task | None = None
        self.runs = 0

    # -- when ----------------------------------------------------------------------------------

    async def state(self) -> dict:
        return await repo.kv_read(self.db, KV_CANARY) or {}

    async def submit_clear(self) -> bool:
        """True when the next ready submission may go ahead; otherwise a check is (being) run.
        A cheap look before claiming; `clear_for(task)` decides for the task actually claimed."""
        if self.running:
            return False
        started = await self._newest_waiting_batch_start(self.clock.now())
        if started is None:
            return True  # nothing ready to submit: nothing to guard
        return await self._clear_since(started)

    async def clear_for(self, task: Any) -> bool:
        """Whether the claimed submit `task` may submit now (else a check is (being) run).

        Asked after the claim as well, because a batch started between the look and the claim
        must not slip through unchecked."""
        if self.running:
            return False
        row = await self.db.fetchone(
            "SELECT coalesce(b.started_at, b.created_at) FROM items i "
            "JOIN batches b ON b.id = i.batch_id WHERE i.id = ?", (task.payload.get("item_id"),))
        if row is None or row[0] is None:
            return True  # not an item of a batch: nothing of ours to judge
        return await self._clear_since(row[0])

    async def _clear_since(self, started: float) -> bool:
        now = self.clock.now()
        st = await self.state()
        ok_at = st.get("ok_at")
        if ok_at is not None and now - ok_at < self.interval_s and ok_at >= started:
            return True
        if st.get("status") == "error" and now - st.get("at", 0) < ERROR_RETRY_S:
            return False  # a crashed check: wait a little before trying again
        self.start()
        return False

    async def tick(self) -> None:
        """The daily check while the queue is idle (a paused account is left alone). The very
        first check waits for a batch: a bot that was never used has nothing to protect."""
        if self.running:
            return
        st = await self.state()
        now = self.clock.now()
        if "at" not in st or now - st["at"] < self.interval_s:
            return
        if await repo.kv_read(self.db, repo.KV_PAUSE) is not None:
            return
        self.start(daily=True)

    async def _newest_waiting_batch_start(self, now: float) -> float | None:
        """When the newest batch with a submission ready to go was started."""
        row = await self.db.fetchone(
            "SELECT max(coalesce(b.started_at, b.created_at)) FROM tasks t "
            "JOIN items i ON i.id = json_extract(t.payload, '$.item_id') "
            "JOIN batches b ON b.id = i.batch_id "
            "WHERE t.kind = 'submit' AND t.status = 'queued' AND t.run_after <= ?", (now,))
        return row[0] if row is not None else None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, daily: bool = False) -> None:
        """Run one check in the background (no-op while one runs); the daily one also learns
        what the account can buy from the page (`stages.relearn_catalog`)."""
        if self.running:
            return
        self.task = asyncio.get_running_loop().create_task(self._run(daily), name="flow-canary")

    async def run_now(self) -> str:
        """Run a check and wait for it; returns the status recorded (tests and the CLI)."""
        self.start()
        assert self.task is not None
        await asyncio.shield(self.task)
        return (await self.state()).get("status", "")

    async def stop(self) -> None:
        if self.running:
            assert self.task is not None
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    # -- what ----------------------------------------------------------------------------------

    async def _run(self, daily: bool = False) -> None:
        self.runs += 1
        try:
            try:
                report = await self.checker.check_drift()
            except asyncio.CancelledError:
                raise
            except FlowError as err:
                if err.error_class in ("session", "paused"):
                    await self._pause_for(err)
                else:
                    await self._crashed(err)
                return
            except Exception as err:  # noqa: BLE001 - a broken check must not stop the pipeline
                await self._crashed(err)
                return
            await self._judge(report)
            if daily and report.status in ("ok", "fallback"):
                # Flow changes its models every few weeks (FLOW_2026 Dec. 1): learn them daily.
                await stages.relearn_catalog(self.ctx)
        finally:
            if self.on_done is not None:
                self.on_done()

    async def _judge(self, report: DriftReport) -> None:
        now = self.clock.now()
        pause = report.status == "broken" or (report.status == "fallback" and self.strict)
        log.info("flow canary: %s%s", report.status,
                 f" ({report.signature()})" if report.status != "ok" else "")
        shot = str(report.screenshot) if report.screenshot else None

        def tx(conn: sqlite3.Connection) -> None:

            st = repo.kv_get(conn, KV_CANARY) or {}
            st.update(at=now, status=report.status, errors=0, url=report.url)
            if report.status == "ok" or not pause:
                st["ok_at"] = now
            if report.status in ("fallback", "broken") and not pause \
                    and st.get("warned") != report.signature():
                st["warned"] = report.signature()
                self.queue.add(conn, stages.deliver_task(
                    None, "admin", f"canary:{now:.3f}", kind="drift_warning",
                    text=alert_text(report),
                    action=("The driver still copes through fallbacks; update the selectors "
                            "before they run out (run `flowbot flow check`)."),
                    screenshot=shot))
            repo.kv_set(conn, KV_CANARY, st, now)
            if pause and repo.set_pause(conn, PAUSE_KIND, alert_text(report)[:500], now):
                self.queue.add(conn, stages.deliver_task(
                    None, "admin", f"canary:{now:.3f}", kind=PAUSE_KIND,
                    text="Submissions are paused before spending any credits. " + alert_text(report),
                    action=("Run `flowbot flow check` to see every element, update the driver's "
                            "selectors for the new page, then /resume."),
                    screenshot=shot))

        await self.db.write_sync(tx)

    async def _crashed(self, err: BaseException) -> None:
        now = self.clock.now()
        text = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
        log.warning("flow canary could not run: %s", text)

        def tx(conn: sqlite3.Connection) -> None:

            st = repo.kv_get(conn, KV_CANARY) or {}
            errors = int(st.get("errors", 0)) + 1
            st.update(at=now, status="error", errors=errors, error=text)
            repo.kv_set(conn, KV_CANARY, st, now)
            if errors >= MAX_ERRORS and repo.set_pause(
                    conn, PAUSE_KIND, f"the drift check failed {errors} times: {text}", now):
                self.queue.add(conn, stages.deliver_task(
                    None, "admin", f"canary:{now:.3f}", kind=PAUSE_KIND,
                    text=(f"Submissions are paused: the check of Flow's page failed {errors} "
                          f"times in a row ({text})."),
                    action="Open Flow in a browser, run `flowbot flow check`, then /resume."))

        await self.db.write_sync(tx)

    async def _pause_for(self, err: FlowError) -> None:

        now = self.clock.now()
        kind = policy.decide(err, {}, self.settings.flow).pause_kind or err.code
        await self.db.write_sync(lambda conn: stages.pause_account(
            self.ctx, conn, kind, err.text or str(err), now))
