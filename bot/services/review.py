"""The review view of a batch: which clips it pages through, what it shows, and the requests
made from it (select, select a whole image, Again, New prompt, the contact sheet).

The view's state lives in `review_views` (one row per batch): the message showing it, the clip
shown, and a digest of what was last rendered, so a restarted bot edits the same message and a
redraw that would change nothing is skipped. Clips are numbered in view order: image position,
then generation, then variant. Items made by "Again" and "New prompt" take the next positions,
so their clips join the end of the view and earlier numbers stay put.

Every method checks ownership through `BatchService` and is safe to call twice.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.pipeline import contactsheet, stages
from bot.services.audit import record_audit
from bot.services.batches import (
    BatchError,
    BatchService,
    BudgetExceededError,
    NotFoundError,
    NotYourBatchError,
    check_images_kept,
)
from bot.storage import repo

ReviewMode = Literal["view", "albums"]
REVIEW_MODES: tuple[ReviewMode, ...] = ("view", "albums")
DEFAULT_MODE: ReviewMode = "view"
# A "New prompt" waits this long for its text; later texts are ordinary messages again (a
# forgotten tap must not take someone's next prompt days later).
PROMPT_WAIT_S = 30 * 60


@dataclass(frozen=True)
class ViewClip:
    """One ready clip as the review view shows it."""

    number: int             # 1-based place in the view
    id: int
    item_id: int
    image: int              # the image's number (of the source item for Again / New prompt)
    prompt: str
    variant: int
    path: Path
    size: int
    file_id: str | None     # Telegram's id once uploaded: later shows reuse it
    selected: bool
    kind: str


@dataclass(frozen=True)
class ClipMedia:
    """Where one clip's files are (for the gallery's signed links): local paths, R2 keys."""

    clip_id: int
    batch_id: int
    owner_id: int
    paths: dict[str, Path]      # "720" | "1080" | "4k" -> file
    keys: dict[str, str]        # the same kinds -> R2 key, where the blob store has one


# How many clips one gallery request may name (a 40 x 4 batch has 160; Again adds more).
MAX_SELECTION = 1000


@dataclass(frozen=True)
class ViewState:
    batch_id: int
    chat_id: int
    message_id: int | None
    clip_id: int | None
    rendered: str
    sheet_message_id: int | None
    sheet_key: str


@dataclass(frozen=True)
class PendingPrompt:
    """A "New prompt" in progress: the frame of `item_id`, and the prompt once it was sent."""

    batch_id: int
    item_id: int
    prompt: str | None = None


class ReviewService:
    """Review-view state and requests; see the module docstring."""

    def __init__(self, batches: BatchService) -> None:
        self.batches = batches
        self.db = batches.db

    # -- the user's choice ----------------------------------------------------------------------

    async def mode(self, user_id: int) -> ReviewMode:
        """"view" (one message per batch, the default) or "albums" (today's per-item albums)."""
        row = await self.db.fetchone("SELECT settings_json FROM users WHERE id = ?", (user_id,))
        try:
            value = json.loads(row[0]).get("review_mode") if row else None
        except (ValueError, AttributeError):
            value = None
        if value in REVIEW_MODES:
            return value  # type: ignore[return-value]
        default = getattr(self.batches.settings.telegram, "review_mode", DEFAULT_MODE)
        return default if default in REVIEW_MODES else DEFAULT_MODE

    # -- clips and state ------------------------------------------------------------------------

    async def clips(self, batch_id: int) -> list[ViewClip]:
        """The batch's ready clips in view order."""
        rows = await self.db.fetchall(
            "SELECT c.id, c.item_id, c.variant, c.path_720, c.size_720, c.tg_file_id_720, "
            "c.selected, i.prompt, i.kind, coalesce(s.position, i.position) AS image "
            "FROM clips c JOIN items i ON i.id = c.item_id "
            "LEFT JOIN items s ON s.id = i.source_item_id "
            "WHERE i.batch_id = ? AND c.status = 'ready' AND c.path_720 IS NOT NULL "
            "ORDER BY i.position, c.generation_id, c.variant", (batch_id,))
        return [ViewClip(n, r["id"], r["item_id"], r["image"], r["prompt"], r["variant"],
                         Path(r["path_720"]), r["size_720"] or 0, r["tg_file_id_720"],
                         bool(r["selected"]), r["kind"]) for n, r in enumerate(rows, 1)]

    async def state(self, batch_id: int) -> ViewState | None:
        row = await self.db.fetchone("SELECT * FROM review_views WHERE batch_id = ?", (batch_id,))
        if row is None:
            return None
        return ViewState(row["batch_id"], row["chat_id"], row["message_id"], row["clip_id"],
                         row["rendered"], row["sheet_message_id"], row["sheet_key"])

    async def save_view(self, batch_id: int, chat_id: int, *, message_id: int | None,
                        clip_id: int | None, rendered: str) -> None:
        """Remember the view message, the clip it shows and a digest of what it shows."""
        now = self.batches.clock.now()
        await self.db.execute(
            "INSERT INTO review_views (batch_id, chat_id, message_id, clip_id, rendered, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO UPDATE SET chat_id = excluded.chat_id, "
            "message_id = excluded.message_id, clip_id = excluded.clip_id, "
            "rendered = excluded.rendered, updated_at = excluded.updated_at",
            (batch_id, chat_id, message_id, clip_id, rendered, now))

    async def save_sheet(self, batch_id: int, message_id: int | None, key: str) -> None:
        await self.db.execute("UPDATE review_views SET sheet_message_id = ?, sheet_key = ?, "
                              "updated_at = ? WHERE batch_id = ?",
                              (message_id, key, self.batches.clock.now(), batch_id))

    async def set_file_id(self, clip_id: int, file_id: str) -> None:
        """Telegram's id of an uploaded preview: the next show sends the id, not the file."""
        await self.db.execute("UPDATE clips SET tg_file_id_720 = ? WHERE id = ?", (file_id, clip_id))

    async def latest_view(self, user_id: int, chat_id: int) -> ViewState | None:
        """The newest review view in this chat of this user's batches (for a sent number)."""
        row = await self.db.fetchone(
            "SELECT v.batch_id FROM review_views v JOIN batches b ON b.id = v.batch_id "
            "WHERE b.user_id = ? AND v.chat_id = ? AND v.message_id IS NOT NULL "
            "ORDER BY v.batch_id DESC LIMIT 1", (user_id, chat_id))
        return await self.state(row[0]) if row else None

    # -- selection ------------------------------------------------------------------------------

    async def select(self, batch_id: int, user_id: int, clip_id: int, selected: bool) -> None:
        """Set one clip's selection (the state the button carries: a double tap is harmless)."""
        await self._own_clip(batch_id, user_id, clip_id)
        await self.batches.set_selected(clip_id, user_id, selected)

    async def select_item(self, batch_id: int, user_id: int, item_id: int, selected: bool) -> int:
        """Select (or unselect) every ready clip of one image; returns how many it covers."""
        await self.batches._own(batch_id, user_id)
        now = self.batches.clock.now()
        return await self.db.execute(
            "UPDATE clips SET selected = ?, updated_at = ? WHERE status = 'ready' AND item_id = "
            "(SELECT id FROM items WHERE id = ? AND batch_id = ?)",
            (int(selected), now, item_id, batch_id))

    async def set_selection(self, batch_id: int, user_id: int, clip_ids: list[int]) -> int:
        """Make exactly `clip_ids` the batch's selection (the gallery sends its whole choice);
        returns how many clips are selected. Every id must be a clip of this batch
        (`NotYourBatchError` otherwise, and nothing changes); at most `MAX_SELECTION`."""
        await self.batches._own(batch_id, user_id)
        wanted = sorted(set(clip_ids))
        if len(wanted) > MAX_SELECTION:
            raise BatchError("clips_not_in_batch")
        now = self.batches.clock.now()

        def tx(conn: sqlite3.Connection) -> int:
            ours = {r[0] for r in conn.execute(  # ready clips only, as the chat's buttons offer
                "SELECT c.id FROM clips c JOIN items i ON i.id = c.item_id WHERE i.batch_id = ? "
                "AND c.status = 'ready'", (batch_id,))}
            if not set(wanted) <= ours:
                raise NotYourBatchError("clips_not_in_batch")
            marks = ",".join("?" * len(wanted))
            # Only rows whose state changes are written (updated_at stays true).
            conn.execute(
                f"UPDATE clips SET selected = (id IN ({marks})), updated_at = ? WHERE item_id IN "
                f"(SELECT id FROM items WHERE batch_id = ?) AND selected != (id IN ({marks}))",
                (*wanted, now, batch_id, *wanted))
            return len(wanted)

        return await self.db.write_sync(tx)

    async def images(self, batch_id: int) -> dict[int, int]:
        """item id -> the image number it shows (Again / New prompt items: their source's)."""
        rows = await self.db.fetchall(
            "SELECT i.id, coalesce(s.position, i.position) FROM items i "
            "LEFT JOIN items s ON s.id = i.source_item_id WHERE i.batch_id = ?", (batch_id,))
        return {r[0]: r[1] for r in rows}

    async def media(self, batch_id: int) -> dict[int, ClipMedia]:
        """Every clip's files of the batch, by clip id."""
        rows = await self.db.fetchall(_MEDIA_SQL + "WHERE i.batch_id = ?", (batch_id,))
        return {r["id"]: _media(r) for r in rows}

    async def media_of(self, clip_id: int) -> ClipMedia | None:
        """One clip's files (None: no such clip)."""
        row = await self.db.fetchone(_MEDIA_SQL + "WHERE c.id = ?", (clip_id,))
        return _media(row) if row is not None else None

    async def _own_clip(self, batch_id: int, user_id: int, clip_id: int) -> None:
        await self.batches._own(batch_id, user_id)
        row = await self.db.fetchone("SELECT 1 FROM clips c JOIN items i ON i.id = c.item_id "
                                     "WHERE c.id = ? AND i.batch_id = ?", (clip_id, batch_id))
        if row is None:
            raise NotYourBatchError("clip_not_in_review")

    # -- Again and New prompt -------------------------------------------------------------------

    async def again_ticket(self, item_id: int) -> int:
        """How many items were already made from this one: the confirmation button carries it,
        so a second tap on the same confirmation finds it stale and submits nothing."""
        row = await self.db.fetchone("SELECT count(*) FROM items WHERE source_item_id = ?",
                                     (await self._root(item_id),))
        return int(row[0])

    async def cost(self, item_id: int) -> int:
        """Flow credits a new run of the item costs (outputs × price)."""
        return await self.batches.retry_cost(item_id)

    async def again(self, batch_id: int, user_id: int, item_id: int, ticket: int,
                    prompt: str | None = None) -> int | None:
        """New clips of the item's frame (its prompt, or `prompt`): a new item at the end of the
        batch, queued for submission. Returns its id, or None when `ticket` is stale (a double
        tap on the same confirmation). The budget is checked first, as for a retry."""
        await self.batches._own(batch_id, user_id)
        item = await self.db.fetchone("SELECT * FROM items WHERE id = ? AND batch_id = ?",
                                      (item_id, batch_id))
        if item is None:
            raise NotYourBatchError("image_not_in_batch")
        if item["status"] != "done":
            raise BatchError("no_finished_clips")
        check_images_kept(item)
        root = await self._root(item_id)
        cost = await self.cost(item_id)
        budgets = self.batches.budgets
        if budgets is not None:
            check = await budgets.check(user_id, cost)
            if check is not None and not check.fits:
                raise BudgetExceededError(check)
        now = self.batches.clock.now()
        text = (prompt or item["prompt"]).strip()

        def tx(conn: sqlite3.Connection) -> int | None:
            made = conn.execute("SELECT count(*) FROM items WHERE source_item_id = ?",
                                (root,)).fetchone()[0]
            if made != ticket:
                return None
            outputs, status = conn.execute("SELECT outputs, status FROM batches WHERE id = ?",
                                           (batch_id,)).fetchone()
            if status == "cancelled":
                raise BatchError("cancelled")
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM items WHERE "
                                    "batch_id = ?", (batch_id,)).fetchone()[0]
            new_id = repo.insert_item(conn, batch_id=batch_id, position=position,
                                      image_path=item["image_path"], image_sha256=item["image_sha256"],
                                      prompt=text, now=now, kind=item["kind"],
                                      end_image_path=item["end_image_path"])
            conn.execute("UPDATE items SET source_item_id = ?, status = 'queued' WHERE id = ?",
                         (root, new_id))
            conn.execute("UPDATE batches SET status = 'running', finished_at = NULL WHERE id = ?",
                         (batch_id,))
            self.batches.queue.add(conn, stages.submit_task(batch_id, new_id, outputs, 0))
            record_audit(conn, now, user_id, "item_new_prompt" if prompt else "item_again",
                         batch_id=batch_id, credits=cost, detail=f"item {item_id} -> {new_id}")
            return int(new_id)

        return await self.db.write_sync(tx)

    async def _root(self, item_id: int) -> int:
        row = await self.db.fetchone("SELECT coalesce(source_item_id, id) FROM items WHERE id = ?",
                                     (item_id,))
        if row is None:
            raise NotFoundError("no_image")
        return int(row[0])

    async def await_prompt(self, user_id: int, batch_id: int, item_id: int) -> None:
        """The user's next text message is a new prompt for the frame of `item_id`."""
        await self.batches._own(batch_id, user_id)
        now = self.batches.clock.now()
        await self.db.write_sync(lambda conn: repo.kv_set(
            conn, _prompt_key(user_id), {"batch_id": batch_id, "item_id": item_id}, now))

    async def pending_prompt(self, user_id: int) -> PendingPrompt | None:
        """The "New prompt" waiting for this user's text (None: none, or it waited too long)."""
        row = await self.db.fetchone("SELECT value, updated_at FROM kv WHERE key = ?",
                                     (_prompt_key(user_id),))
        if row is None or self.batches.clock.now() - row[1] > PROMPT_WAIT_S:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        return PendingPrompt(int(value["batch_id"]), int(value["item_id"]), value.get("prompt"))

    async def hold_prompt(self, user_id: int, prompt: str) -> PendingPrompt | None:
        """Keep the sent prompt until the cost is confirmed (buttons carry ids, not text)."""
        pending = await self.pending_prompt(user_id)
        if pending is None:
            return None
        now = self.batches.clock.now()
        await self.db.write_sync(lambda conn: repo.kv_set(conn, _prompt_key(user_id), {
            "batch_id": pending.batch_id, "item_id": pending.item_id, "prompt": prompt}, now))
        return PendingPrompt(pending.batch_id, pending.item_id, prompt)

    async def drop_prompt(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM kv WHERE key = ?", (_prompt_key(user_id),))

    # -- the contact sheet ----------------------------------------------------------------------

    async def contact_sheet(self, batch_id: int, clips: list[ViewClip]) -> Path:
        """The sheet of `clips` as a JPEG under the data dir; the caller deletes it once sent."""
        batch = await self.batches._batch(batch_id)
        dest = self.batches.data_dir / "sheets" / f"batch{batch_id}.jpg"
        return await contactsheet.make_contact_sheet(
            [contactsheet.SheetClip(c.number, c.path) for c in clips], dest,
            portrait=batch["aspect"] == "9:16", ffmpeg=self.batches.settings.upscale.ffmpeg_path)


_MEDIA_SQL = ("SELECT c.id, i.batch_id, b.user_id, c.path_720, c.path_1080, c.path_4k, "
              "c.storage_key_720, c.storage_key_1080, c.storage_key_4k FROM clips c "
              "JOIN items i ON i.id = c.item_id JOIN batches b ON b.id = i.batch_id ")


def _media(row: sqlite3.Row) -> ClipMedia:
    kinds = ("720", "1080", "4k")
    return ClipMedia(row["id"], row["batch_id"], row["user_id"],
                     {k: Path(row[f"path_{k}"]) for k in kinds if row[f"path_{k}"]},
                     {k: row[f"storage_key_{k}"] for k in kinds if row[f"storage_key_{k}"]})


def _prompt_key(user_id: int) -> str:
    return f"review.new_prompt.{user_id}"
