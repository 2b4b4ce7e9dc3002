"""The batch card's buttons: Start, Settings (aspect, outputs, model, duration, resolution,
start+end pairs) and Cancel, edited in place; the estimate follows every change.

Every press re-reads the batch through `BatchService`, which checks it belongs to the presser; a
forged or foreign payload gets a short refusal and changes nothing. Start twice starts once.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.config import ASPECTS, MODELS
from bot.pipeline import catalog
from bot.services.batches import BatchError, BatchService, BatchView, BudgetExceededError
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import CardCb, small_number
from bot.telegram.cards import card_markup, card_text
from bot.telegram.notifier import TelegramNotifier

router = Router(name=__name__)


@router.callback_query(CardCb.filter(F.batch_id > 0))
async def on_card(query: CallbackQuery, callback_data: CardCb, batches: BatchService,
                  notifier: TelegramNotifier) -> None:
    uid, batch_id, action = query.from_user.id, callback_data.batch_id, callback_data.action
    try:
        view = await batches.get(batch_id, uid)
        if view is None:
            await query.answer(texts.GONE, show_alert=True)
            return
        if action == "start":
            if view.status == "draft":
                await batches.start(batch_id, uid)
                await query.answer(texts.STARTED.format(id=batch_id))
                await notifier.show_place_in_line(batch_id)
            else:
                await query.answer(texts.batch_already(batch_id, view.status))
        elif action == "cancel":
            if view.status in ("draft", "running"):
                await batches.cancel(batch_id, uid)
                await query.answer(texts.CANCELLED.format(id=batch_id))
            else:
                await query.answer(texts.NOTHING_TO_CANCEL)
        elif action == "auto":  # issue 14: every clip to 4K as soon as it is collected
            if callback_data.value not in ("0", "1") or view.status != "draft":
                await query.answer(texts.NOT_ON_DRAFT if view.status != "draft" else
                                   texts.OPTION_MISSING, show_alert=True)
                return
            if callback_data.value == "1":
                await batches.set_auto_upscale(batch_id, uid, view.preset)
                await query.answer(texts.AUTO_UPSCALE_SET)
            else:
                await batches.clear_auto_upscale(batch_id, uid)
                await query.answer(texts.AUTO_UPSCALE_UNSET)
        elif action in SETTINGS_ACTIONS:
            change = _setting(action, callback_data.value)
            if change is None:
                await query.answer(texts.OPTION_MISSING, show_alert=True)
                return
            await batches.update_settings(batch_id, uid, **change)
            await query.answer(texts.UPDATED)
        else:  # settings / back
            await query.answer()
    except BudgetExceededError as err:
        c = err.check
        await query.answer(texts.budget_refused(c.cost, c.left, c.budget.period), show_alert=True)
        return
    except BatchError as err:
        await query.answer(texts.batch_error(err), show_alert=True)
        return
    await _redraw(query, batches, batch_id, settings=action in ("settings", *SETTINGS_ACTIONS))
    if action == "cancel":
        # The progress message follows too, and the card itself when the press came from
        # elsewhere (the /cancel chooser): no status display may keep saying "Running".
        on_card = query.message is not None and query.message.message_id == view.card_message_id
        await notifier.show_batch_state(batch_id, card=not on_card)


SETTINGS_ACTIONS = ("aspect", "outputs", "model", "dur", "res", "pairs")


def _setting(action: str, value: str) -> dict[str, Any] | None:
    """The settings change a button asks for, or None for a payload no button carries.

    Whether the value exists for the batch's model and plan is `BatchService`'s check.
    """
    number = small_number(value)  # None for anything but a few ASCII digits
    if action == "aspect":
        return {"aspect": ASPECTS[number]} if number is not None and number < len(ASPECTS) else None
    if action == "outputs":
        return {"outputs": int(value)} if value in ("1", "2", "3", "4") else None
    if action == "dur":
        return {"duration": number} if number in catalog.DURATIONS else None
    if action == "res":
        return {"resolution": value} if value in catalog.RESOLUTIONS else None
    if action == "pairs":
        return {"pairs": value == "1"} if value in ("0", "1") else None
    if action == "model" and number is not None and number < len(MODELS):
        return {"model": MODELS[number]}
    return None


def settings_markup(view: BatchView) -> InlineKeyboardMarkup:
    """The card's settings keyboard for this batch (pairing only where there are images)."""
    return keyboards.card_settings(view.id, view.aspect, view.outputs, view.model, plan=view.plan,
                                   duration=view.duration, resolution=view.resolution,
                                   pairs=None if view.text_only else view.pairs)


async def _redraw(query: CallbackQuery, batches: BatchService, batch_id: int, *, settings: bool) -> None:
    view = await batches.get(batch_id)
    if view is None:
        return
    credits, seconds = await batches.estimate(view)
    budget = await batches.budget_check(view)
    if settings and view.status == "draft":
        markup = settings_markup(view)
    else:
        markup = card_markup(view)
    if query.message is None:
        return
    try:
        await query.message.edit_text(card_text(view, credits, seconds, budget), reply_markup=markup)
    except TelegramBadRequest as err:
        # A double tap redraws the same card: Telegram answers "message is not modified".
        if "not modified" not in str(err):
            raise
