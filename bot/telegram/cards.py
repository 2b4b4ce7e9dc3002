"""The batch card (shown before anything is spent) and the progress/status texts."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.text_decorations import html_decoration

from bot.pipeline.notifier import BatchProgress
from bot.services.batches import BatchService, BatchView, NewItem
from bot.services.budgets import BudgetCheck
from bot.services.users import UserService
from bot.telegram import keyboards, texts

log = logging.getLogger(__name__)

# Item states in the order a progress message lists them.
PROGRESS_ORDER = ("queued", "pending", "submitting", "generating", "collecting", "paused", "done",
                  "failed", "cancelled")


def card_status(view: BatchView) -> str:
    """The card's status line, from the batch's state to its very end (never a stale "Running").

    A finished batch says how it ended: all done, some failed, or every image failed.
    """
    done, failed = view.counts.get("done", 0), view.counts.get("failed", 0)
    if view.status == "done":
        if failed and not done:
            return texts.card_failed(failed)
        return texts.card_finished(done, failed)
    if view.status == "cancelled":
        return texts.card_cancelled(done)
    return texts.CARD_STATUS.get(view.status, view.status)


def what_line(view: BatchView) -> str:
    """What the batch makes: images, text-only prompts, or start+end pairs, and outputs each."""
    n, each = view.total, texts.outputs_each(view.outputs)
    if view.text_only:
        return texts.what_text_only(n, each)
    if view.pairs and view.status == "draft":
        return texts.what_pairs(n, n // 2, each)
    if any(i.kind == "interpolation" for i in view.items):
        return texts.what_clips(n, each)
    return texts.what_images(n, each)


def card_text(view: BatchView, credits: int, seconds: float,
              budget: BudgetCheck | None = None) -> str:
    """The card; `budget` (a draft's check against the owner's budget) adds what it leaves."""
    status = card_status(view)
    # The estimate is of work still to do: only meaningful before and while the batch runs.
    cost = ("\n" + texts.card_cost(credits, texts.duration(seconds))
            if view.status in ("draft", "running") else "")
    if budget is not None and view.status == "draft":
        cost += "\n" + texts.budget_line(budget.budget.credits, budget.budget.period, budget.used,
                                         budget.cost, budget.left_after)
    if view.held is not None:  # its model is gone: held until the owner taps the switch
        g = view.held.gone
        offered = view.held.model if g.nearest is not None else None
        if view.status == "draft":
            cost += "\n" + texts.retired_card(g.model, g.since_text, offered,
                                              view.held.credits if offered else None)
        else:
            cost += "\n" + texts.retired_queued(view.id, g.model, g.since_text, offered,
                                                view.held.credits if offered else None)
    return (
        f"{texts.card_head(view.id, status)}\n"
        f"{what_line(view)}\n"
        f"📐 {view.aspect} · 🎞 {texts.esc(view.model)} · {texts.duration(view.duration)} · {view.resolution}"
        f"{cost}"
        + (f"\n{texts.AUTO_UPSCALE_CARD}" if view.auto_upscale and view.status in ("draft", "running")
           else "")
    )


def switch_of(view: BatchView) -> tuple[str, int | None] | None:
    """(nearest model, its credits for the batch) when the batch is held and can switch."""
    held = view.held
    if held is None or held.gone.nearest is None:
        return None
    return held.model, held.credits


def card_markup(view: BatchView, gallery: str | None = None) -> InlineKeyboardMarkup | None:
    """The card's buttons for the batch's state; `gallery` (the batch's gallery address, when
    the Mini App is served) adds its button once the batch has started."""
    if view.status == "draft":
        return keyboards.card(view.id, auto_upscale=view.auto_upscale is not None,
                              switch=switch_of(view))
    if view.status == "running":
        return keyboards.running(view.id, switch=switch_of(view), gallery=gallery)
    if gallery is not None:  # finished or cancelled: its clips stay reviewable
        return InlineKeyboardMarkup(inline_keyboard=[[keyboards.gallery_button(gallery)]])
    return None


async def send_new_card(bot: Bot, user_id: int, chat_id: int, items: list[tuple[Path | None, str]],
                        *, users: UserService, batches: BatchService) -> int:
    """Create the draft batch with the user's defaults and show its card; returns its id.

    An item without an image (None) is text-to-video. A saved default model Flow retired makes
    a held draft: its card says so and offers the switch (`BatchService.on_held` tells the
    admins once).
    """
    d = await users.defaults(user_id)
    batch_id = await batches.create_batch(
        user_id, chat_id, [NewItem(image_path=p, prompt=t) for p, t in items],
        aspect=d.aspect, outputs=d.outputs, model=d.model, source="telegram",
        duration=d.duration, resolution=d.resolution,
    )
    if d.auto_upscale:  # the user's default (issue 14); the card's toggle can still change it
        await batches.set_auto_upscale(batch_id, user_id, d.preset)
    view = await batches.get(batch_id)
    credits, seconds = await batches.estimate(view)
    budget = await batches.budget_check(view)
    msg = await bot.send_message(chat_id, card_text(view, credits, seconds, budget),
                                 reply_markup=card_markup(view))
    await batches.set_card_message(batch_id, msg.message_id)
    return batch_id


async def redraw_card(bot: Bot, view: BatchView, batches: BatchService) -> None:
    """Draw a batch's card again in place, as its state now is (a no-op if unchanged)."""
    if view.card_message_id is None or view.chat_id is None:
        return
    credits, seconds = await batches.estimate(view)
    budget = await batches.budget_check(view)
    markup = card_markup(view, batches.settings.webapp.gallery_url(view.id))
    try:
        await bot.edit_message_text(card_text(view, credits, seconds, budget), chat_id=view.chat_id,
                                    message_id=view.card_message_id, reply_markup=markup)
    except TelegramBadRequest as err:
        if "not modified" not in str(err):
            log.info("card of batch %s not editable (%s)", view.id, err)


def clock_time(now: float | None, in_s: float) -> str:
    """A clock time `in_s` seconds from `now` as the Bot API's date-time entity: each reader's
    Telegram shows it in their own time zone (format "t"); the text inside (UTC) is what a
    client without date-time entities shows."""
    at = int((now or 0) + in_s)
    label = time.strftime("%H:%M UTC", time.gmtime(at))
    return html_decoration.date_time(label, unix_time=at, date_time_format="t")


def progress_text(ev: BatchProgress, *, finished: bool = False, cancelled: bool = False) -> str:
    """The progress message; `cancelled` when the batch was cancelled (it never says "Working")."""
    done = sum(ev.counts.get(s, 0) for s in ("done", "failed", "cancelled"))
    # A late progress event of a finished batch must not turn the message back to "Working".
    finished = finished or cancelled or (ev.total > 0 and done >= ev.total)
    lines = [texts.progress_head(ev.batch_id, finished, cancelled),
             f"{texts.bar(done, ev.total)} {done}/{ev.total}"]
    parts = [
        f"{texts.STATE_LABELS.get(s, s)} {ev.counts[s]}"
        for s in PROGRESS_ORDER if ev.counts.get(s)
    ]
    if parts:
        lines.append(" · ".join(parts))
    if not finished and ev.queue_place is not None and ev.starts_in_s is not None:
        lines.append(texts.queue_place(ev.queue_place, ev.queue_ahead))
        lines.append(texts.starts_in(texts.duration(ev.starts_in_s),
                                     clock_time(ev.at, ev.starts_in_s)))
    if not finished and ev.eta_s is not None:
        wait = ev.starts_in_s if ev.queue_place is not None and ev.starts_in_s else 0.0
        if ev.at is None:
            lines.append(texts.time_left(texts.duration(ev.eta_s)))
        else:
            lines.append(texts.ready_in(texts.duration(ev.eta_s + wait),
                                        clock_time(ev.at, ev.eta_s + wait)))
    for position, reason in ev.failures[:10]:
        lines.append(texts.image_failed_line(position, texts.esc(texts.flow_reason(reason))))
    if len(ev.failures) > 10:
        lines.append(texts.more_failures(len(ev.failures) - 10))
    return "\n".join(lines)
