"""Batch use cases shared by the Telegram bot and the CLI.

`BatchService(db, queue, settings, clock, data_dir)` is the only way the outside creates,
starts, cancels and inspects batches, selects clips and asks for 4K or zip exports. Every
method checks ownership (`NotYourBatchError`, a `PermissionError`) and is safe to call twice
(a double tap): starting, upscaling and exporting use idempotency keys or look for the request
already made.

Typical flow::

    svc = BatchService(db, queue, settings, clock, data_dir)
    batch_id = await svc.create_batch(user_id, chat_id, [NewItem(path, "prompt")],
                                      aspect="9:16", outputs=2, model="Veo 3.1 - Fast")
    await svc.start(batch_id, user_id)          # the Pipeline does the rest
    view = await svc.get(batch_id)              # counts per state, items, clips, errors
    await svc.toggle_clip(clip_id, user_id)     # select for 4K / export
    await svc.request_upscale(batch_id, user_id, "balanced")
    export_id = await svc.request_export(batch_id, user_id, "720p")
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bot.clock import Clock
from bot.config import ASPECTS, PRESETS, Settings
from bot.errors import FlowbotError
from bot.pipeline import catalog, policy, stages
from bot.pipeline.retirement import Gone, SwitchOffer, gone, requeue_held, switch_offer
from bot.services.audit import record_audit
from bot.services.budgets import BudgetCheck, BudgetService
from bot.storage import repo
from bot.storage.batch_images import batch_images_dir, delete_batch_images
from bot.storage.blobstore import sha256_file
from bot.storage.db import Database
from bot.storage.queue import NewTask, TaskQueue

# Why a batch request was refused: a stable code -> its English sentence (str(error): logs and
# the CLI). Each code's `params` are plain values; the Telegram layer words every code in the
# user's language (bot/telegram/texts.py, `batch_error`), so this layer never imports gettext.
IMAGES_GONE = ("The image of this item is no longer kept (a finished batch keeps its images for "
               "a week). Send the image again to make new clips of it.")
BATCH_ERRORS: dict[str, str] = {
    "no_prompts": "A batch needs at least one prompt.",
    "image_not_found": "Image not found: {path}",
    "empty_prompt": "Empty prompt for {name}.",
    "empty_prompt_text_only": "Empty prompt for a text-only item.",
    "settings_locked": "This batch already started; its settings can no longer change.",
    "cancelled": "This batch was cancelled.",
    "budget": "This batch needs {cost} credits; the budget has {left} left this {period}.",
    "no_item": "No such item.",
    "no_image": "No such image.",
    "no_clip": "No such clip.",
    "no_batch": "No batch #{id}.",
    "item_not_yours": "This item belongs to someone else.",
    "batch_not_yours": "This batch belongs to someone else.",
    "clip_not_yours": "This clip belongs to someone else.",
    "clip_not_in_batch": "This clip is not part of that batch.",
    "clips_not_in_batch": "Some of these clips are not part of this batch.",
    "clip_not_in_review": "That clip is not part of this batch.",
    "image_not_in_batch": "That image is not part of this batch.",
    "no_finished_clips": "That image has no finished clips yet.",
    "bad_preset": "Unknown preset {preset!r}; use one of {presets}.",
    "bad_export_resolution": "Resolution must be 720p or 4k.",
    "bad_aspect": "Aspect must be one of {aspects}.",
    "bad_outputs": "Outputs per prompt must be 1 to 4.",
    "bad_model": "Model must be one of: {models} (the {plan} plan).",
    "bad_duration": "{model} makes {durations} clips on the {plan} plan.",
    "bad_duration_range": "{model} makes clips of {min} to {max} s on the {plan} plan.",
    "duration_needs_plan": ("{model} clips over {max} s need the Pro or Ultra plan; this account "
                            "is on the {plan} plan."),
    "pairs_too_long": ("Start+end pairs (an end frame) work up to {max} s with {model}: choose "
                       "{max} s or less, or turn pairs off. Nothing was spent."),
    "model_retired": ("{model} was retired by Flow on {since}: switch this batch to {nearest} "
                      "first. Nothing was spent."),
    "model_gone": ("Flow no longer offers {model}: switch this batch to {nearest} first. Nothing "
                   "was spent."),
    "model_gone_no_nearest": "Flow no longer offers {model}, and the {plan} plan has no other model.",
    "bad_resolution": "{model} renders {resolutions} only.",
    "images_gone": IMAGES_GONE,
    "pairs_need_images": ("Start+end pairs need an image for every clip; text-only prompts "
                          "cannot be paired."),
    "pairs_odd": ("Start+end pairs need an even number of images: you sent {images}. "
                  "Add or remove one image (1→2, 3→4 … are paired); nothing was spent."),
    "pairs_odd_short": "Start+end pairs need an even number of images.",
}


class BatchError(FlowbotError):
    """A batch request that cannot be done: `code` (a key of `BATCH_ERRORS`) and its `params`.

    `str(error)` is the English sentence (logs, the CLI); the bot words `code` itself in the
    user's language. `message` overrides the English only where a list needs joining."""

    def __init__(self, code: str, message: str | None = None, **params: object) -> None:
        english = BATCH_ERRORS.get(code)
        if message is None:
            message = english.format(**params) if english is not None else code
        super().__init__(message)
        self.code = code
        self.params = params


class BudgetExceededError(BatchError):
    """Starting the batch would spend more than its owner's credit budget has left.

    `check` says by how much; the Telegram layer words it (texts.budget_refused)."""

    def __init__(self, check: BudgetCheck) -> None:
        super().__init__("budget", cost=check.cost, left=check.left, period=check.budget.period)
        self.check = check


class ModelRetiredError(BatchError):
    """The batch names a model the account no longer offers: it is held until its owner
    switches (`BatchService.switch_model`); nothing was spent. `gone` says what and since when."""

    def __init__(self, held: Gone) -> None:
        if held.nearest is None:
            super().__init__("model_gone_no_nearest", model=held.model, plan=held.plan.capitalize())
        elif held.since is not None:
            super().__init__("model_retired", model=held.model, since=held.since_text,
                             nearest=held.nearest)
        else:
            super().__init__("model_gone", model=held.model, nearest=held.nearest)
        self.gone = held


class NotFoundError(BatchError, LookupError):
    """No such batch, item or clip."""


class NotYourBatchError(BatchError, PermissionError):
    """The batch, item or clip belongs to another user."""


class BatchStateError(BatchError):
    """The request does not fit the batch's state (e.g. changing settings of a running batch)."""


@dataclass(frozen=True)
class NewItem:
    """One image and its prompt for `create_batch`; no image = a text-to-video item."""

    image_path: Path | None
    prompt: str


@dataclass(frozen=True)
class ItemView:
    id: int
    position: int
    prompt: str
    image_path: Path | None  # None: text-to-video
    status: str          # pending|queued|submitting|generating|collecting|done|failed|cancelled
    progress: int        # 0..100 of the current generation
    attempts: int
    error_code: str | None
    reason: str | None   # plain words for the user when failed (or why it waits)
    retryable: bool
    kind: str = "i2v"    # t2v | i2v | interpolation
    end_image_path: Path | None = None

    @property
    def error_text(self) -> str | None:
        return self.reason


@dataclass(frozen=True)
class ClipView:
    id: int
    item_id: int
    position: int
    variant: int
    status: str          # pending|ready|failed
    path_720: Path | None
    size_720: int | None
    selected: bool
    status_4k: str | None  # None|queued|running|ready|failed
    preset_4k: str | None
    path_4k: Path | None
    size_4k: int | None
    status_1080: str | None = None  # None|queued|running|ready|fallback|failed (Flow's 1080p)
    path_1080: Path | None = None
    size_1080: int | None = None


@dataclass(frozen=True)
class ExportView:
    id: int
    resolution: str
    status: str
    parts: list[Path]
    error: str | None


@dataclass(frozen=True)
class BatchView:
    id: int
    user_id: int
    chat_id: int | None
    source: str
    status: str          # draft|running|done|cancelled
    aspect: str
    outputs: int
    model: str
    preset: str
    title: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    counts: dict[str, int]
    card_message_id: int | None = None
    progress_message_id: int | None = None
    duration: int = 8
    resolution: str = "720p"
    pairs: bool = False          # consecutive images are start and end frames (1→2, 3→4 …)
    flow_1080p: bool = False     # fetch Flow's own 1080p of every clip (the CLI's --flow-1080p)
    plan: str = "pro"            # the account's plan these settings and prices are for
    auto_upscale: str | None = None  # the 4K preset every clip gets once collected (None: off)
    # Its model is no longer offered and work is waiting: the switch on offer (retirement.py).
    held: SwitchOffer | None = None
    items: list[ItemView] = field(default_factory=list)
    clips: list[ClipView] = field(default_factory=list)
    exports: list[ExportView] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def errors(self) -> list[tuple[int, str]]:
        """(position, reason) of every failed item."""
        return [(i.position, i.reason or "failed") for i in self.items if i.status == "failed"]

    @property
    def selected_clips(self) -> list[ClipView]:
        return [c for c in self.clips if c.selected]

    @property
    def text_only(self) -> bool:
        """Every item is text-to-video (no images)."""
        return bool(self.items) and all(i.image_path is None for i in self.items)


class Estimate(NamedTuple):
    """What a batch will cost: Flow credits and seconds (a tuple, or by name)."""

    credits: int
    seconds: float


@dataclass(frozen=True)
class BatchSummary:
    id: int
    status: str
    total: int
    done: int
    failed: int
    created_at: float
    title: str | None


class BatchService:
    """Create, start, watch and finish batches. See the module docstring for the flow."""

    def __init__(self, db: Database, queue: TaskQueue, settings: Settings, clock: Clock,
                 data_dir: Path | None = None, budgets: BudgetService | None = None) -> None:
        self.db = db
        self.queue = queue
        self.settings = settings
        self.clock = clock
        self.data_dir = Path(data_dir or settings.paths.data_dir)
        # Credit budgets per user (issue 14); None: nobody is limited (the CLI, tests).
        self.budgets = budgets
        # Called with a `retirement.Gone` when a draft is created held (its model is gone): the
        # composition root wires the admins' one notice per model here (None: nobody told).
        self.on_held: Callable[[Gone], Awaitable[None]] | None = None

    # -- creating and configuring --------------------------------------------------------------

    async def plan(self) -> str:
        """The Flow account's plan: as the page last showed it, else FLOW_PLAN."""
        return await repo.plan_read(self.db, self.settings.flow.plan)

    async def create_batch(self, user_id: int, chat_id: int | None, items: list[NewItem], *,
                           aspect: str | None = None, outputs: int | None = None,
                           model: str | None = None, source: str = "telegram",
                           title: str | None = None, preset: str | None = None,
                           duration: int | None = None, resolution: str | None = None,
                           pairs: bool = False, flow_1080p: bool = False) -> int:
        """A draft batch; images are copied into the data dir (the originals may go away).

        Items without an image are text-to-video. `pairs` makes consecutive images start and
        end frames of one clip (1→2, 3→4 …); an odd count is refused here, before anything.
        `duration`/`resolution` left out take the model's defaults; given ones must exist for
        the model on the account's plan (`catalog`), or `BatchError` says what does.
        """
        if not items:
            raise BatchError("no_prompts")
        flow = self.settings.flow
        plan = await self.plan()
        now = self.clock.now()
        aspect, outputs, model = (aspect or flow.default_aspect, outputs or flow.default_outputs,
                                  model or flow.effective_default_model(plan, now))
        # A model the account no longer offers makes a held draft (its card offers the switch):
        # a saved default is never swapped silently. Starting it is refused (`start`).
        duration, resolution = _check(aspect, outputs, model, plan, duration, resolution,
                                      now=now, allow_gone=True, pairs=pairs)
        preset = preset or self.settings.upscale.preset
        for item in items:
            if item.image_path is not None and not Path(item.image_path).is_file():
                raise BatchError("image_not_found", path=str(item.image_path))
            if not item.prompt.strip():
                if item.image_path is None:
                    raise BatchError("empty_prompt_text_only")
                raise BatchError("empty_prompt", name=Path(item.image_path).name)
        if pairs:
            _check_pairs(sum(1 for i in items if i.image_path is not None), len(items))
        batch_id = await self.db.write_sync(lambda conn: repo.insert_batch(
            conn, user_id=user_id, chat_id=chat_id, source=source, aspect=aspect, outputs=outputs,
            model=model, preset=preset, title=title, now=now, duration=duration,
            resolution=resolution, pairs=pairs, flow_1080p=flow_1080p))
        await self._add_rows(batch_id, items, first=1, now=now)
        if self.on_held is not None:
            held = gone(model, plan, now)
            if held is not None:
                await self.on_held(held)
        return batch_id

    async def add_items(self, batch_id: int, user_id: int, items: list[NewItem]) -> BatchView:
        """Append items to the owner's draft (the late part of one drop of images).

        Refused with `BatchStateError` once the batch left the draft state, or for start+end
        pairs (a late part would shift which image ends which clip); nothing is copied then.
        """
        batch = await self._own(batch_id, user_id)
        if batch["status"] != "draft":
            raise BatchStateError("settings_locked")
        if batch["pairs"]:
            raise BatchStateError("settings_locked")
        if not items:
            raise BatchError("no_prompts")
        for item in items:
            if item.image_path is not None and not Path(item.image_path).is_file():
                raise BatchError("image_not_found", path=str(item.image_path))
            if not item.prompt.strip():
                raise BatchError("empty_prompt", name=Path(item.image_path or "").name)
        last = await self.db.fetchone("SELECT max(position) FROM items WHERE batch_id = ?", (batch_id,))
        await self._add_rows(batch_id, items, first=int(last[0] or 0) + 1, now=self.clock.now(),
                             only_draft=True)
        return await self._view(batch_id)

    async def _add_rows(self, batch_id: int, items: list[NewItem], *, first: int, now: float,
                        only_draft: bool = False) -> None:
        """Copy the items' images into the batch's folder and insert their rows from position
        `first`; with `only_draft`, the insert happens only while the batch is still a draft
        (a Start pressed meanwhile wins, and the copies are deleted)."""
        folder = batch_images_dir(self.data_dir, batch_id)

        def copy_images() -> list[tuple[int, str, str | None, str]]:
            # Copying and hashing up to 50 images is disk work: keep it off the event loop.
            rows: list[tuple[int, str, str | None, str]] = []
            for pos, item in enumerate(items, start=first):
                if item.image_path is None:
                    rows.append((pos, "", None, item.prompt.strip()))
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                src = Path(item.image_path)
                dst = folder / f"{pos:03d}_{src.stem[:40]}{src.suffix.lower() or '.jpg'}"
                shutil.copyfile(src, dst)
                rows.append((pos, str(dst), sha256_file(dst), item.prompt.strip()))
            return rows

        rows = await asyncio.to_thread(copy_images)

        def insert(conn: sqlite3.Connection) -> bool:
            if only_draft and conn.execute("SELECT status FROM batches WHERE id = ?",
                                           (batch_id,)).fetchone()[0] != "draft":
                return False
            for pos, path, digest, prompt in rows:
                repo.insert_item(conn, batch_id=batch_id, position=pos, image_path=path,
                                 image_sha256=digest, prompt=prompt, now=now,
                                 kind="i2v" if path else "t2v")
            return True

        if not await self.db.write_sync(insert):
            for _, path, _, _ in rows:
                if path:
                    Path(path).unlink(missing_ok=True)
            raise BatchStateError("settings_locked")

    async def update_settings(self, batch_id: int, user_id: int, *, aspect: str | None = None,
                              outputs: int | None = None, model: str | None = None,
                              preset: str | None = None, duration: int | None = None,
                              resolution: str | None = None,
                              pairs: bool | None = None) -> BatchView:
        """Change a draft batch's aspect, outputs, model, duration, resolution, pairing or preset.

        A new model keeps the duration and resolution where it offers them and otherwise takes
        its defaults (Omni 10 s → Veo 8 s); an explicit choice the model lacks is refused.
        """
        batch = await self._own(batch_id, user_id)
        if batch["status"] != "draft":
            raise BatchStateError("settings_locked")
        plan = await self.plan()
        now = self.clock.now()
        new_model = model or batch["model"]
        new_pairs = bool(batch["pairs"] if pairs is None else pairs)
        if model is not None and model != batch["model"]:
            if not catalog.is_offered(model, plan, now):
                raise _bad_model(plan, now)
            keep_d, keep_r = catalog.normalise(model, plan, batch["duration"], batch["resolution"])
            if duration is None and new_pairs and \
                    not catalog.offer(model, plan).end_frame_ok(keep_d):
                keep_d = catalog.normalise(model, plan, None, None)[0]
            duration = keep_d if duration is None else duration
            resolution = resolution or keep_r
        new_d, new_r = _check(aspect or batch["aspect"], outputs or batch["outputs"], new_model,
                              plan, batch["duration"] if duration is None else duration,
                              resolution or batch["resolution"], now=now, allow_gone=True,
                              pairs=new_pairs)
        if preset is not None and preset not in PRESETS:
            raise BatchError("bad_preset", preset=preset, presets=", ".join(PRESETS))
        if pairs:
            rows = await self.db.fetchall(
                "SELECT image_path FROM items WHERE batch_id = ? AND status != 'cancelled'",
                (batch_id,))
            _check_pairs(sum(1 for r in rows if r[0]), len(rows))
        await self.db.execute(
            "UPDATE batches SET aspect = ?, outputs = ?, model = ?, upscale_preset = ?, "
            "duration = ?, resolution = ?, pairs = ? WHERE id = ?",
            (aspect or batch["aspect"], outputs or batch["outputs"], new_model,
             preset or batch["upscale_preset"], new_d, new_r,
             int(batch["pairs"] if pairs is None else pairs), batch_id))
        return await self._view(batch_id)

    async def estimate(self, batch: BatchView | int) -> Estimate:
        """(Flow credits, seconds) the batch's unfinished items take with this account's slots."""
        view = batch if isinstance(batch, BatchView) else await self._view(batch)
        pending = [i for i in view.items if i.status not in ("done", "cancelled")]
        n = len(pending) // 2 if view.pairs and view.status == "draft" else len(pending)
        flow = self.settings.flow
        frames = 0 if view.text_only else 2 if view.pairs else 1
        render_s = flow.sim_generation_seconds if flow.backend == "simulator" else None
        model, duration, resolution = priced(view.model, view.plan, view.duration,
                                             view.resolution)
        return Estimate(*catalog.estimate(
            n, view.outputs, model, view.plan, duration, resolution,  # type: ignore[arg-type]
            render_slots=flow.render_slots, render_s=render_s, frames_per_item=frames))

    async def budget_check(self, view: BatchView) -> BudgetCheck | None:
        """What starting this draft would leave of its owner's budget (None: not limited)."""
        if self.budgets is None or view.status != "draft":
            return None
        return await self.budgets.check(view.user_id, (await self.estimate(view)).credits)

    async def set_card_message(self, batch_id: int, message_id: int | None) -> None:
        """Remember the Telegram message showing the batch card (to edit it after a restart)."""
        await self.db.execute("UPDATE batches SET card_message_id = ? WHERE id = ?",
                              (message_id, batch_id))

    async def set_progress_message(self, batch_id: int, message_id: int | None) -> None:
        """Remember the Telegram message showing the batch's progress."""
        await self.db.execute("UPDATE batches SET progress_message_id = ? WHERE id = ?",
                              (message_id, batch_id))

    # -- running -------------------------------------------------------------------------------

    async def start(self, batch_id: int, user_id: int) -> BatchView:
        """Queue every pending item for submission; a second call changes nothing."""
        batch = await self._own(batch_id, user_id)
        if batch["status"] == "cancelled":
            raise BatchStateError("cancelled")
        now = self.clock.now()
        plan = await self.plan()
        credits = 0
        if batch["status"] == "draft":
            held = gone(batch["model"], plan, now)
            if held is not None:  # retired since the card was drawn: held, nothing spent
                raise ModelRetiredError(held)
            # The plan may have changed since the card was drawn: never submit what it lacks.
            _check(batch["aspect"], batch["outputs"], batch["model"], plan, batch["duration"],
                   batch["resolution"], strict=True, now=now, pairs=bool(batch["pairs"]))
            draft = await self._view(batch_id)
            budget = await self.budget_check(draft)
            if budget is not None and not budget.fits:
                raise BudgetExceededError(budget)
            credits = (await self.estimate(draft)).credits

        def tx(conn: sqlite3.Connection) -> None:
            started = conn.execute(
                "UPDATE batches SET status = 'running', started_at = coalesce(started_at, ?) "
                "WHERE id = ? AND status = 'draft'", (now, batch_id)).rowcount
            if started:  # the credit-spending action, in the same transaction as the start
                record_audit(conn, now, user_id, "batch_start", batch_id=batch_id, credits=credits)
            if started and batch["pairs"]:
                _merge_pairs(conn, batch_id, now)
            for item in conn.execute("SELECT id FROM items WHERE batch_id = ? AND status = 'pending' "
                                     "ORDER BY position", (batch_id,)).fetchall():
                repo.set_item(conn, item[0], now, status="queued")
                self.queue.add(conn, stages.submit_task(batch_id, item[0], batch["outputs"], 0))

        await self.db.write_sync(tx)
        return await self._view(batch_id)

    async def switch_model(self, batch_id: int, user_id: int, model: str | None = None) -> BatchView:
        """The owner's one tap: a batch held for a model the account no longer offers takes the
        nearest one (`retirement.Gone.nearest`), its duration/resolution normalised to it.

        `model` is what the button offered; a stale button (the nearest changed meanwhile) is
        refused with the current offer (`ModelRetiredError`). A running batch's held items are
        queued again. A batch whose model is offered is left as it is (a double tap)."""
        batch = await self._own(batch_id, user_id)
        if batch["status"] not in ("draft", "running"):
            raise BatchStateError("settings_locked")
        plan, now = await self.plan(), self.clock.now()
        held = gone(batch["model"], plan, now)
        if held is None:
            return await self._view(batch_id)
        if held.nearest is None or (model is not None and model != held.nearest):
            raise ModelRetiredError(held)
        target, old = held.nearest, batch["model"]
        d, r = catalog.normalise(target, plan, batch["duration"], batch["resolution"])
        ends = await self.db.fetchone(
            "SELECT count(*) FROM items WHERE batch_id = ? AND end_image_path IS NOT NULL "
            "AND status IN ('pending', 'queued', 'paused')", (batch_id,))
        if (batch["pairs"] or ends[0]) and not catalog.offer(target, plan).end_frame_ok(d):
            d = catalog.normalise(target, plan, None, None)[0]  # its default fits an end frame
        offered = (await self._view(batch_id)).held
        credits = offered.credits if offered is not None else None

        def tx(conn: sqlite3.Connection) -> list[int]:
            changed = conn.execute("UPDATE batches SET model = ?, duration = ?, resolution = ? "
                                   "WHERE id = ? AND model = ?", (target, d, r, batch_id, old))
            if not changed.rowcount:
                return []
            record_audit(conn, now, user_id, "model_switch", batch_id=batch_id, credits=credits,
                         detail=f"{old} -> {target}")
            ids = requeue_held(conn, batch_id, now)
            for item_id in ids:
                self.queue.add(conn, stages.submit_task(batch_id, item_id, batch["outputs"],
                                                        f"m{catalog.MODELS.index(target)}"))
            return ids

        await self.db.write_sync(tx)
        return await self._view(batch_id)

    async def cancel(self, batch_id: int, user_id: int | None) -> BatchView:
        """Stop a batch: items not yet submitted are cancelled; renders already paid for finish.

        `user_id=None` is an admin acting on anyone's batch.
        """
        await self._own(batch_id, user_id)
        now = self.clock.now()

        def tx(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT status FROM batches WHERE id = ?", (batch_id,)).fetchone()
            conn.execute(
                "UPDATE tasks SET status = 'cancelled', finished_at = ?, updated_at = ? "
                "WHERE status = 'queued' AND kind = ? AND idempotency_key LIKE ?",
                (now, now, stages.SUBMIT, f"b{batch_id}:%"))
            conn.execute(
                "UPDATE items SET status = 'cancelled', updated_at = ? WHERE batch_id = ? "
                "AND status IN ('pending', 'queued', 'paused') AND NOT EXISTS (SELECT 1 FROM "
                "generations g WHERE g.item_id = items.id AND g.status IN ('submitting', 'submitted'))",
                (now, batch_id))
            conn.execute("UPDATE batches SET status = 'cancelled', finished_at = ? WHERE id = ? "
                         "AND status IN ('draft', 'running')", (now, batch_id))
            return row[0] if row is not None else None

        if await self.db.write_sync(tx) == "draft":
            # A draft never reached Flow: nothing will read its image copies again.
            await asyncio.to_thread(delete_batch_images, self.data_dir, batch_id)
        return await self._view(batch_id)

    async def retry_item(self, item_id: int, user_id: int) -> bool:
        """Submit a failed item again; False when it is not failed (or already retried)."""
        item = await self.db.fetchone(
            "SELECT i.*, b.user_id, b.outputs, b.status AS batch_status FROM items i "
            "JOIN batches b ON b.id = i.batch_id WHERE i.id = ?", (item_id,))
        if item is None:
            raise NotFoundError("no_item")
        if item["user_id"] != user_id:
            raise NotYourBatchError("item_not_yours")
        check_images_kept(item)
        now = self.clock.now()
        batch_row = await self._batch(item["batch_id"])
        held = gone(batch_row["model"], await self.plan(), now)
        if held is not None:
            raise ModelRetiredError(held)
        cost = await self.retry_cost(item_id)
        if self.budgets is not None:
            budget = await self.budgets.check(user_id, cost)
            if budget is not None and not budget.fits:
                raise BudgetExceededError(budget)

        def tx(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("UPDATE items SET status = 'queued', error_class = NULL, "
                               "error_code = NULL, error_text = NULL, progress = 0, updated_at = ? "
                               "WHERE id = ? AND status = 'failed'", (now, item_id))
            if cur.rowcount != 1:
                return False
            conn.execute("UPDATE batches SET status = 'running', finished_at = NULL WHERE id = ?",
                         (item["batch_id"],))
            n = repo.next_attempt(conn, item_id) - 1
            self.queue.add(conn, stages.submit_task(item["batch_id"], item_id, item["outputs"],
                                                    f"u{n}"))
            record_audit(conn, now, user_id, "item_retry", batch_id=item["batch_id"], credits=cost,
                         detail=f"item {item_id}")
            return True

        return await self.db.write_sync(tx)

    # -- clips, 4K and exports -----------------------------------------------------------------

    async def toggle_clip(self, clip_id: int, user_id: int, batch_id: int | None = None) -> bool:
        """Flip a clip's selection; returns the new state.

        Raises `NotYourBatchError` for another user's clip (or one outside `batch_id`) and
        `NotFoundError` for an unknown clip.
        """
        clip = await self._own_clip(clip_id, user_id)
        if batch_id is not None and clip["batch_id"] != batch_id:
            raise NotYourBatchError("clip_not_in_batch")
        now = self.clock.now()
        await self.db.write_sync(lambda conn: conn.execute(
            "UPDATE clips SET selected = 1 - selected, updated_at = ? WHERE id = ?", (now, clip_id)))
        return not bool(clip["selected"])

    async def set_selected(self, clip_id: int, user_id: int, selected: bool) -> None:
        """Set a clip's selection explicitly (idempotent, unlike a toggle)."""
        await self._own_clip(clip_id, user_id)
        await self.db.execute("UPDATE clips SET selected = ?, updated_at = ? WHERE id = ?",
                              (int(selected), self.clock.now(), clip_id))

    async def selected_clips(self, batch_id: int, user_id: int | None = None) -> list[ClipView]:
        """The batch's selected clips (for redrawing a review keyboard)."""
        view = await self.get(batch_id, user_id)
        return view.selected_clips if view is not None else []

    async def request_upscale(self, batch_id: int, user_id: int, preset: str | None = None,
                              clip_ids: list[int] | None = None) -> int:
        """Queue 4K upscales of the given (default: selected) clips; returns how many were queued.

        0 when nothing is selected; a double tap queues nothing new (clips already queued,
        running or done with that preset are skipped).
        """
        batch = await self._own(batch_id, user_id)
        preset = preset or batch["upscale_preset"]
        if preset not in PRESETS:
            raise BatchError("bad_preset", preset=preset, presets=", ".join(PRESETS))
        ids = clip_ids if clip_ids is not None else await self._selected_ready_clips(batch_id)
        if not ids:
            return 0
        await self._check_clips(batch_id, ids)
        now = self.clock.now()
        ctx = _QueueCtx(self.queue)
        return await self.db.write_sync(lambda conn: sum(
            stages.enqueue_upscale(ctx, conn, batch_id, cid, preset, now) for cid in ids))

    async def _selected_ready_clips(self, batch_id: int) -> list[int]:
        """Ids of the batch's clips the user selected that are ready to upscale or fetch."""
        return [r[0] for r in await self.db.fetchall(
            "SELECT c.id FROM clips c JOIN items i ON i.id = c.item_id WHERE i.batch_id = ? "
            "AND c.selected = 1 AND c.status = 'ready'", (batch_id,))]

    async def request_flow_1080p(self, batch_id: int, user_id: int,
                                 clip_ids: list[int] | None = None) -> int:
        """Ask Flow for its free 1080p of the given (default: selected) clips; returns how many
        were queued. A clip whose 1080p never comes gets our own 4K upscale instead, and its
        delivery says so. A double tap queues nothing new."""
        await self._own(batch_id, user_id)
        ids = clip_ids if clip_ids is not None else await self._selected_ready_clips(batch_id)
        if not ids:
            return 0
        await self._check_clips(batch_id, ids)
        now = self.clock.now()
        ctx = _QueueCtx(self.queue)
        return await self.db.write_sync(lambda conn: sum(
            stages.enqueue_fetch_1080(ctx, conn, batch_id, cid, now) for cid in ids))

    async def set_auto_upscale(self, batch_id: int, user_id: int, preset: str) -> None:
        """Upscale every clip to 4K as soon as it is collected (the CLI's --upscale)."""
        await self._own(batch_id, user_id)
        if preset not in PRESETS:
            raise BatchError("bad_preset", preset=preset, presets=", ".join(PRESETS))
        now = self.clock.now()
        await self.db.write_sync(lambda conn: repo.kv_set(
            conn, f"batch.{batch_id}.auto_upscale", preset, now))

    async def clear_auto_upscale(self, batch_id: int, user_id: int) -> None:
        """Stop upscaling every clip of the batch on its own (clips already queued go on)."""
        await self._own(batch_id, user_id)
        await self.db.write_sync(lambda conn: repo.kv_delete(conn, f"batch.{batch_id}.auto_upscale"))

    async def request_export(self, batch_id: int, user_id: int, resolution: str = "720p",
                             clip_ids: list[int] | None = None) -> int | None:
        """Queue a zip of the selected clips (all ready ones when none is selected).

        Returns the export id, or None when there is no clip at that resolution yet; asking
        again for the same clips returns the same export.
        """
        await self._own(batch_id, user_id)
        if resolution not in ("720p", "4k"):
            raise BatchError("bad_export_resolution")
        column = "path_4k" if resolution == "4k" else "path_720"
        if clip_ids is None:
            rows = await self.db.fetchall(
                f"SELECT c.id, c.selected FROM clips c JOIN items i ON i.id = c.item_id "
                f"WHERE i.batch_id = ? AND c.{column} IS NOT NULL ORDER BY c.id", (batch_id,))
            chosen = [r[0] for r in rows if r[1]] or [r[0] for r in rows]
        else:
            await self._check_clips(batch_id, clip_ids)
            chosen = sorted(clip_ids)
        if not chosen:
            return None
        now = self.clock.now()
        wanted = json.dumps(chosen)

        def tx(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT id FROM exports WHERE batch_id = ? AND resolution = ? AND clip_ids_json = ? "
                "AND status IN ('queued', 'running', 'ready', 'delivered')",
                (batch_id, resolution, wanted)).fetchone()
            if row is not None:
                return int(row[0])
            export_id = conn.execute(
                "INSERT INTO exports (batch_id, user_id, resolution, clip_ids_json, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (batch_id, user_id, resolution, wanted, now)).fetchone()[0]
            self.queue.add(conn, NewTask(stages.EXPORT, {"export_id": export_id},
                                         stages.key(batch_id, stages.EXPORT, export_id),
                                         max_attempts=3))
            return int(export_id)

        return await self.db.write_sync(tx)

    # -- reading -------------------------------------------------------------------------------

    async def get(self, batch_id: int, user_id: int | None = None) -> BatchView | None:
        """Everything about a batch: counts per item state, items, clips, exports, errors.

        None for an unknown batch; `NotYourBatchError` when `user_id` is given and not the owner.
        """
        try:
            return await self._view(batch_id, user_id)
        except NotFoundError:
            return None

    async def retry_cost(self, item_id: int) -> int:
        """Flow credits one more try of the item costs (for the confirmation)."""
        row = await self.db.fetchone("SELECT b.outputs, b.model, b.duration, b.resolution "
                                     "FROM items i JOIN batches b ON b.id = i.batch_id "
                                     "WHERE i.id = ?", (item_id,))
        if row is None:
            raise NotFoundError("no_item")
        plan = await self.plan()
        held = gone(row[1], plan, self.clock.now())
        if held is not None:  # Retry / Again on a retired model: refused before any confirmation
            raise ModelRetiredError(held)
        model, duration, resolution = priced(row[1], plan, row[2], row[3])
        return row[0] * catalog.credits_per_output(model, plan, duration, resolution)  # type: ignore[arg-type]

    async def _view(self, batch_id: int, user_id: int | None = None) -> BatchView:
        batch = await self._own(batch_id, user_id)
        items = await self.db.fetchall("SELECT * FROM items WHERE batch_id = ? ORDER BY position",
                                       (batch_id,))
        clips = await self.db.fetchall(
            "SELECT c.*, i.position FROM clips c JOIN items i ON i.id = c.item_id "
            "WHERE i.batch_id = ? ORDER BY i.position, c.generation_id, c.variant", (batch_id,))
        exports = await self.db.fetchall("SELECT * FROM exports WHERE batch_id = ? ORDER BY id",
                                         (batch_id,))
        plan = await self.plan()
        held = None
        waiting = sum(1 for r in items if r["status"] in ("pending", "queued", "paused"))
        if batch["status"] in ("draft", "running") and waiting:
            is_gone = gone(batch["model"], plan, self.clock.now())
            if is_gone is not None:
                n = waiting // 2 if batch["pairs"] and batch["status"] == "draft" else waiting
                held = switch_offer(is_gone, items=n, outputs=batch["outputs"],
                                    duration=batch["duration"], resolution=batch["resolution"],
                                    pairs=bool(batch["pairs"]))
                if held is None:  # nothing to switch to: still held, with no offer
                    held = SwitchOffer(is_gone, batch["model"], batch["duration"],
                                       batch["resolution"], 0, False)
        return BatchView(
            id=batch["id"], user_id=batch["user_id"], chat_id=batch["chat_id"], source=batch["source"],
            status=batch["status"], aspect=batch["aspect"], outputs=batch["outputs"],
            model=batch["model"], preset=batch["upscale_preset"], title=batch["title"],
            created_at=batch["created_at"], started_at=batch["started_at"],
            finished_at=batch["finished_at"], card_message_id=batch["card_message_id"],
            progress_message_id=batch["progress_message_id"],
            duration=batch["duration"], resolution=batch["resolution"], pairs=bool(batch["pairs"]),
            flow_1080p=bool(batch["flow_1080p"]), plan=plan, held=held,
            auto_upscale=await repo.kv_read(self.db, f"batch.{batch_id}.auto_upscale"),
            counts=dict(Counter(r["status"] for r in items)),
            items=[ItemView(r["id"], r["position"], r["prompt"], _path(r["image_path"]), r["status"],
                            r["progress"], r["attempts"], r["error_code"],
                            r["error_text"] or (policy.user_reason_for(r["error_code"])
                                                if r["error_code"] else None),
                            r["status"] == "failed" and policy.retryable_by_user(r["error_code"]),
                            r["kind"], _path(r["end_image_path"]))
                   for r in items],
            clips=[ClipView(c["id"], c["item_id"], c["position"], c["variant"], c["status"],
                            _path(c["path_720"]), c["size_720"], bool(c["selected"]), c["status_4k"],
                            c["preset_4k"], _path(c["path_4k"]), c["size_4k"], c["status_1080"],
                            _path(c["path_1080"]), c["size_1080"]) for c in clips],
            exports=[ExportView(e["id"], e["resolution"], e["status"],
                                [Path(p) for p in json.loads(e["parts_json"])], e["error_text"])
                     for e in exports],
        )

    async def list_for_user(self, user_id: int, limit: int = 10) -> list[BatchSummary]:
        """The user's latest batches, newest first."""
        rows = await self.db.fetchall(
            "SELECT b.id, b.status, b.created_at, b.title, count(i.id), "
            "coalesce(sum(i.status = 'done'), 0), coalesce(sum(i.status = 'failed'), 0) "
            "FROM batches b LEFT JOIN items i ON i.batch_id = b.id WHERE b.user_id = ? "
            "GROUP BY b.id ORDER BY b.created_at DESC, b.id DESC LIMIT ?", (user_id, limit))
        return [BatchSummary(r[0], r[1], r[4], r[5], r[6], r[2], r[3]) for r in rows]

    # -- ownership -----------------------------------------------------------------------------

    async def _batch(self, batch_id: int) -> sqlite3.Row:
        row = await self.db.fetchone("SELECT * FROM batches WHERE id = ?", (batch_id,))
        if row is None:
            raise NotFoundError("no_batch", id=batch_id)
        return row

    async def _own(self, batch_id: int, user_id: int | None) -> sqlite3.Row:
        row = await self._batch(batch_id)
        if user_id is not None and row["user_id"] != user_id:
            raise NotYourBatchError("batch_not_yours")
        return row

    async def _own_clip(self, clip_id: int, user_id: int) -> sqlite3.Row:
        row = await self.db.fetchone(
            "SELECT c.*, b.user_id, i.batch_id FROM clips c JOIN items i ON i.id = c.item_id "
            "JOIN batches b ON b.id = i.batch_id WHERE c.id = ?", (clip_id,))
        if row is None:
            raise NotFoundError("no_clip")
        if row["user_id"] != user_id:
            raise NotYourBatchError("clip_not_yours")
        return row

    async def _check_clips(self, batch_id: int, clip_ids: list[int]) -> None:
        marks = ", ".join("?" for _ in clip_ids)
        rows = await self.db.fetchall(
            f"SELECT c.id FROM clips c JOIN items i ON i.id = c.item_id WHERE i.batch_id = ? "
            f"AND c.id IN ({marks})", (batch_id, *clip_ids))
        if len(rows) != len(set(clip_ids)):
            raise NotYourBatchError("clips_not_in_batch")


class _QueueCtx:
    """The slice of `StageContext` that `stages.enqueue_upscale` uses."""

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue


def _bad_model(plan: str, now: float | None = None) -> BatchError:
    models = list(catalog.models_for(plan, now))
    return BatchError("bad_model", models=", ".join(models), plan=plan.capitalize())


def _check(aspect: str, outputs: int, model: str, plan: str, duration: int | None,
           resolution: str | None, *, strict: bool = False, now: float | None = None,
           allow_gone: bool = False, pairs: bool = False) -> tuple[int, str]:
    """Validate a batch's settings against what the account offers now; returns (duration,
    resolution).

    None takes the model's default; a value the model lacks on this plan is refused with the
    choices it has (a slider model: its range; over 10 s on the free plan: the plan it needs;
    an end frame over the model's limit: why). `allow_gone` accepts a model the account no
    longer offers (a held draft), checked against our knowledge of it.
    """
    if aspect not in ASPECTS:
        raise BatchError("bad_aspect", aspects=", ".join(ASPECTS))
    if not 1 <= int(outputs) <= 4:
        raise BatchError("bad_outputs")
    if not catalog.is_offered(model, plan, now) and \
            not (allow_gone and catalog.gone(model, plan, now)):
        raise _bad_model(plan, now)
    offer = catalog.offer(model, plan)
    d = offer.default_duration if duration is None and not strict else duration
    r = offer.default_resolution if resolution is None and not strict else resolution
    check_duration(model, plan, d, pairs=pairs)
    if r not in offer.resolutions:
        raise BatchError("bad_resolution", model=model, resolutions=list(offer.resolutions),
                         message=f"{model} renders {_list(offer.resolutions)} only.")
    return int(d), str(r)  # type: ignore[arg-type]


def check_duration(model: str, plan: str, duration: object, *, pairs: bool = False) -> None:
    """`BatchError` saying why `model` on `plan` cannot make `duration`-second clips (with an
    end frame when `pairs`): its radios, its range, the plan a longer clip needs, the end-frame
    limit. `catalog.UnknownOffer` when the plan has no such model at all."""
    offer = catalog.offer(model, plan)
    if not offer.allows(duration):
        if offer.duration_range is not None:
            lo, hi = offer.duration_range
            wider = catalog.widest_range(model)
            if isinstance(duration, int) and wider is not None and hi < duration <= wider[1]:
                raise BatchError("duration_needs_plan", model=model, max=hi,
                                 plan=plan.capitalize())
            raise BatchError("bad_duration_range", model=model, min=lo, max=hi,
                             plan=plan.capitalize())
        raise BatchError("bad_duration", model=model, durations=list(offer.durations),
                         plan=plan.capitalize(),
                         message=f"{model} makes {_list(f'{x} s' for x in offer.durations)} clips "
                                 f"on the {plan.capitalize()} plan.")
    if pairs and not offer.end_frame_ok(duration):  # type: ignore[arg-type]
        raise BatchError("pairs_too_long", model=model, max=offer.end_frame_max)


def _list(values: Iterable[str]) -> str:
    v = list(values)
    return v[0] if len(v) == 1 else ", ".join(v[:-1]) + " or " + v[-1]


def check_images_kept(item: sqlite3.Row | dict) -> None:
    """Raise `BatchError` when an item's frames were deleted with its batch's image copies
    (`bot/storage/batch_images.py`): submitting it again could only fail in Flow."""
    for key in ("image_path", "end_image_path"):
        path = item[key]
        if path and not Path(path).exists():
            raise BatchError("images_gone")


def _check_pairs(images: int, items: int) -> None:
    """Start+end pairing needs images only, and an even number of them."""
    if images != items:
        raise BatchError("pairs_need_images")
    if images % 2:
        raise BatchError("pairs_odd", images=images)


def _merge_pairs(conn: sqlite3.Connection, batch_id: int, now: float) -> None:
    """Turn images 1,2 / 3,4 … of a starting draft into start+end items (prompt of the first).

    The second image of each pair becomes the first's end frame and its own row goes away:
    nothing references a draft item yet.
    """
    rows = conn.execute("SELECT id, image_path FROM items WHERE batch_id = ? AND status = "
                        "'pending' ORDER BY position", (batch_id,)).fetchall()
    if len(rows) % 2:
        raise BatchError("pairs_odd_short")
    for n, (first, second) in enumerate(zip(rows[::2], rows[1::2], strict=True), start=1):
        conn.execute("DELETE FROM items WHERE id = ?", (second["id"],))
        conn.execute("UPDATE items SET kind = 'interpolation', end_image_path = ?, position = ?, "
                     "updated_at = ? WHERE id = ?", (second["image_path"], -n, now, first["id"]))
    # Positions were negated to avoid UNIQUE clashes while renumbering: 1, 2, 3 … again.
    conn.execute("UPDATE items SET position = -position WHERE batch_id = ? AND position < 0",
                 (batch_id,))


def priced(model: str, plan: str, duration: int, resolution: str) -> tuple[str, int, str]:
    """A (model, duration, resolution) the catalog can price: the stored one when the plan
    offers it, else the nearest it offers (a plan change under a batch must not crash a card)."""
    try:
        catalog.credits_per_output(model, plan, duration, resolution)
        return model, duration, resolution
    except catalog.UnknownOffer:
        pass
    try:
        catalog.offer(model, plan)
    except catalog.UnknownOffer:
        model = catalog.default_model(plan)
    d, r = catalog.normalise(model, plan, duration, resolution)
    return model, d, r


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
