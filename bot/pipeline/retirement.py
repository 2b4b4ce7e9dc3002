"""A model Flow retired (or the account's catalogue dropped) is a product event, not drift.

Work that names a model the current catalogue no longer offers (`catalog.gone`) is HELD: a draft
cannot start, a saved default is shown with the notice, a queued item that was not submitted is
set aside (status ``paused``, error code ``model_retired``) before anything is clicked. The owner
is told which model is gone, since when (`catalog.RETIRED`), and offered the nearest model with
the new price for their batch: one tap switches (`BatchService.switch_model`,
`UserService.set_default`); nothing is switched silently, nothing is spent, the account is not
paused. Admins get one notice per gone model (`claim_admin_notice`, deduplicated in `kv`).

The pipeline's submit stage calls `hold_item(conn, item_id, plan=..., now=...)` inside the
transaction that would otherwise record the submission, and `announce(notifier, held)` after it
(see the function docstrings). Nothing here imports aiogram: the Telegram layer words the
events (`bot/telegram/texts.py`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.pipeline import catalog
from bot.pipeline.notifier import AdminAlert, ModelRetired
from bot.storage import repo

HELD_CODE = "model_retired"
_ADMIN_KEY = "retired.admin.{model}"  # kv: set once the admins were told about `model`
_OWNER_KEY = "retired.owner.b{batch_id}.{model}"  # kv: the owner was told about this batch


@dataclass(frozen=True)
class Gone:
    """A model the account no longer offers, and what to offer instead."""

    model: str
    since: date | None  # Flow's retirement day, None when only the learned catalogue dropped it
    nearest: str | None  # None: the plan offers nothing else
    plan: str

    @property
    def since_text(self) -> str | None:
        return self.since.isoformat() if self.since is not None else None

    def english(self) -> str:
        """One English sentence (logs, the CLI, the pipeline's stored reason)."""
        head = (f"{self.model} was retired by Flow on {self.since_text}" if self.since
                else f"Flow no longer offers {self.model}")
        if self.nearest is None:
            return f"{head}; the {self.plan} plan offers no other model."
        return f"{head}; the nearest model is {self.nearest}."


@dataclass(frozen=True)
class SwitchOffer:
    """What a held batch becomes with the nearest model: its settings and new price."""

    gone: Gone
    model: str
    duration: int
    resolution: str
    credits: int  # for what is left of the batch (a draft: all of it)
    pairs_ok: bool = True  # False: the batch's end frames do not fit the new model's duration


def gone(model: str, plan: str, now: float | None = None) -> Gone | None:
    """`Gone` when `model` is no longer offered on `plan` (see `catalog.gone`), else None."""
    if not catalog.gone(model, plan, now):
        return None
    return Gone(model, catalog.retired_on(model), catalog.nearest(model, plan, now), plan)


def switch_offer(held: Gone, *, items: int, outputs: int, duration: int, resolution: str,
                 pairs: bool = False) -> SwitchOffer | None:
    """The nearest model's settings for a batch of `items` clips × `outputs` now at
    `duration`/`resolution`, and what they cost; None when there is nothing to switch to."""
    if held.nearest is None:
        return None
    d, r = catalog.normalise(held.nearest, held.plan, duration, resolution)
    offer = catalog.offer(held.nearest, held.plan)
    pairs_ok = True
    if pairs and not offer.end_frame_ok(d):
        pairs_ok = False
    try:
        per = catalog.credits_per_output(held.nearest, held.plan, d, r)
    except catalog.UnknownOffer:
        return None
    return SwitchOffer(held, held.nearest, d, r, items * outputs * per, pairs_ok)


# -- the pipeline's hook -----------------------------------------------------------------------

@dataclass(frozen=True)
class HeldItem:
    """An item `hold_item` set aside, and who must be told."""

    batch_id: int
    item_id: int
    user_id: int
    chat_id: int | None
    gone: Gone
    switch: SwitchOffer | None
    notify_owner: bool  # the first item of this batch held for this model
    notify_admins: bool  # the first hold anywhere for this model


def hold_item(conn: sqlite3.Connection, item_id: int, *, plan: str, now: float) -> HeldItem | None:
    """The submit stage's check, before anything is recorded or clicked for `item_id`.

    Returns None when the item's batch names a model the account still offers (submit as usual).
    Otherwise, in the caller's transaction: the item becomes ``paused`` with error code
    ``model_retired`` (the English reason in `error_text`), and the returned `HeldItem` says
    whether its owner and the admins still need telling. The caller then completes the submit
    task without submitting (the switch queues a new one) and calls `announce` after the
    transaction. Nothing is spent; the account is not paused.
    """
    item = repo.item_row(conn, item_id)
    if item is None or item["status"] in repo.ITEM_TERMINAL:
        return None
    held = gone(item["model"], plan, now)
    if held is None:
        return None
    conn.execute("UPDATE items SET status = 'paused', error_class = 'retired', error_code = ?, "
                 "error_text = ?, updated_at = ? WHERE id = ?",
                 (HELD_CODE, held.english(), now, item_id))
    batch = conn.execute("SELECT outputs, duration, resolution, pairs FROM batches WHERE id = ?",
                         (item["batch_id"],)).fetchone()
    waiting = conn.execute("SELECT count(*) FROM items WHERE batch_id = ? AND status IN "
                           "('pending', 'queued', 'paused')", (item["batch_id"],)).fetchone()[0]
    switch = switch_offer(held, items=waiting, outputs=batch["outputs"],
                          duration=batch["duration"], resolution=batch["resolution"],
                          pairs=bool(batch["pairs"]) and bool(item["end_image_path"]))
    owner_key = _OWNER_KEY.format(batch_id=item["batch_id"], model=held.model)
    notify_owner = repo.kv_get(conn, owner_key) is None
    if notify_owner:
        repo.kv_set(conn, owner_key, {"at": now}, now)
    return HeldItem(item["batch_id"], item_id, item["user_id"], item["chat_id"], held, switch,
                    notify_owner, claim_admin_notice_sync(conn, held.model, now))


def claim_admin_notice_sync(conn: sqlite3.Connection, model: str, now: float) -> bool:
    """True exactly once per model: the caller tells the admins."""
    key = _ADMIN_KEY.format(model=model)
    if repo.kv_get(conn, key) is not None:
        return False
    repo.kv_set(conn, key, {"at": now}, now)
    return True


async def claim_admin_notice(db: Any, model: str) -> bool:
    now = db.now()
    return await db.write_sync(lambda conn: claim_admin_notice_sync(conn, model, now))


def admin_alert(held: Gone) -> AdminAlert:
    """The one admin notice of a gone model (English; the Telegram layer translates it)."""
    if held.since is not None:
        text = (f"Flow retired {held.model} on {held.since_text}: work that names it is held "
                f"and its owners are offered {held.nearest or 'no other model'}.")
    else:
        text = (f"Flow no longer offers {held.model} on this account: work that names it is held "
                f"and its owners are offered {held.nearest or 'no other model'}.")
    return AdminAlert(kind="model_retired", text=text, action=ADMIN_ACTION,
                      key=f"retired.{held.model}")


ADMIN_ACTION = ("Nothing was spent and the account is not paused. If FLOW_DEFAULT_MODEL names "
                "this model, change it.")


async def announce(notifier: Any, held: HeldItem) -> None:
    """Tell the owner (where `held.notify_owner`) and the admins (where `held.notify_admins`).

    The owner's message goes through the notifier's optional `model_retired(event)` (the
    Telegram notifier words it with a one-tap switch; the CLI prints it); the admins' through
    `admin_alert`. Never raises (a notifier must not stop the pipeline)."""
    if held.notify_owner and hasattr(notifier, "model_retired"):
        sw = held.switch
        await notifier.model_retired(ModelRetired(
            batch_id=held.batch_id, user_id=held.user_id, chat_id=held.chat_id,
            model=held.gone.model, since=held.gone.since_text, nearest=held.gone.nearest,
            credits=sw.credits if sw is not None else None,
            index=catalog.MODELS.index(sw.model) if sw is not None and sw.model in catalog.MODELS
            else None))
    if held.notify_admins:
        await notifier.admin_alert(admin_alert(held.gone))


def requeue_held(conn: sqlite3.Connection, batch_id: int, now: float) -> list[int]:
    """The items of `batch_id` held for a gone model, back to ``queued`` (the caller enqueues
    their submit tasks); returns their ids. A second call finds none."""
    rows = conn.execute("SELECT id FROM items WHERE batch_id = ? AND status = 'paused' AND "
                        "error_code = ? ORDER BY position", (batch_id, HELD_CODE)).fetchall()
    for row in rows:
        conn.execute("UPDATE items SET status = 'queued', error_class = NULL, error_code = NULL, "
                     "error_text = NULL, updated_at = ? WHERE id = ?", (now, row[0]))
    for key in conn.execute("SELECT key FROM kv WHERE key LIKE ?",
                            (f"retired.owner.b{batch_id}.%",)).fetchall():
        repo.kv_delete(conn, key[0])
    return [int(r[0]) for r in rows]
