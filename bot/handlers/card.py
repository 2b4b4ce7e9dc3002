"""The batch card's buttons: Start, Settings (aspect, outputs, model, duration, resolution,
start+end pairs) and Cancel, edited in place; the estimate follows every change.

Every press re-reads the batch through `BatchService`, which checks it belongs to the presser; a
forged or foreign payload gets a short refusal and changes nothing. Start twice starts once.

A slider model's "other…" duration (`durx`) waits for the user's next short message: a whole
number of seconds (ASCII digits, bounded), checked like a button against the model, the plan and
start+end pairs; anything else gets a friendly refusal and changes nothing. "🔁 Switch" (`switch`)
moves a batch held for a retired model to the nearest one (issue 17).
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import ASPECTS, MODELS
from bot.pipeline import catalog
from bot.services.batches import (
    BatchError,
    BatchService,
    BatchView,
    BudgetExceededError,
    ModelRetiredError,
    check_duration,
)
from bot.services.users import UserService
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import CardCb, small_number
from bot.telegram.cards import card_markup, card_text
from bot.telegram.intake import RecentDrafts
from bot.telegram.notifier import TelegramNotifier

router = Router(name=__name__)


@router.callback_query(CardCb.filter(F.batch_id > 0))
async def on_card(query: CallbackQuery, callback_data: CardCb, batches: BatchService,
                  notifier: TelegramNotifier, users: UserService,
                  drafts: RecentDrafts | None = None) -> None:
    uid, batch_id, action = query.from_user.id, callback_data.batch_id, callback_data.action
    if drafts is not None and query.message is not None:
        drafts.forget(uid, query.message.chat.id)  # acted on: the next drop is a batch of its own
    try:
        view = await batches.get(batch_id, uid)
        if view is None:
            await query.answer(texts.GONE, show_alert=True)
            return
        if action == "switch":  # a batch held for a retired model takes the nearest one
            number = small_number(callback_data.value)
            if number is None or number >= len(MODELS):
                await query.answer(texts.OPTION_MISSING, show_alert=True)
                return
            before = view.model
            after = await batches.switch_model(batch_id, uid, MODELS[number])
            await query.answer(texts.SWITCHED.format(model=after.model) if after.model != before
                               else texts.NOTHING_TO_SWITCH)
            if query.message is not None and query.message.message_id != view.card_message_id:
                await _close(query)  # the owner's message: its button is spent
                await notifier.show_batch_state(batch_id)
                return
        elif action == "durx":
            if view.status != "draft":
                await query.answer(texts.NOT_ON_DRAFT, show_alert=True)
                return
            await ask_duration(query, users, batch_id, view.model, view.plan)
            return
        elif action == "start":
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
    except ModelRetiredError as err:  # held: the card now shows the switch instead of Start
        await query.answer(texts.batch_error(err), show_alert=True)
        await _redraw(query, batches, batch_id, settings=False)
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
        ok = number is not None and catalog.MIN_DURATION <= number <= catalog.MAX_DURATION
        return {"duration": number} if ok else None
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


async def _close(query: CallbackQuery) -> None:
    """Take the buttons off the message pressed (its one tap was used)."""
    try:
        await query.message.edit_reply_markup(reply_markup=None)  # type: ignore[union-attr]
    except TelegramBadRequest as err:
        if "not modified" not in str(err):
            raise


# -- "other…": a duration typed as a number -----------------------------------------------------

_SECONDS = re.compile(r"([0-9]{1,3})\s?(?:s|sec|secs|seconds)?\.?", re.I)


def parse_seconds(text: str) -> int | None:
    """A whole number of seconds the user typed ("12", "12 s", "12s"), or None.

    ASCII digits only, at most three of them: "١٢", "²", "-5", "12.5" and a 20-digit number are
    refused before any arithmetic. The range is the model's and the plan's (checked after).
    """
    m = _SECONDS.fullmatch(text.strip()) if len(text) <= 16 else None
    return int(m.group(1)) if m else None


async def ask_duration(query: CallbackQuery, users: UserService, batch_id: int, model: str,
                        plan: str) -> None:
    """Wait for the user's number for `batch_id` (0: their defaults), if the model has a range."""
    try:
        offer = catalog.offer(model, plan)
    except catalog.UnknownOffer:
        offer = None
    if offer is None or offer.duration_range is None:
        await query.answer(texts.DURATION_NO_RANGE.format(model=model), show_alert=True)
        return
    message = query.message
    await users.await_duration(query.from_user.id, batch_id,
                               message.chat.id if message is not None else query.from_user.id,
                               message.message_id if message is not None else None)
    lo, hi = offer.duration_range
    await query.answer(texts.DURATION_ASK.format(min=lo, max=hi), show_alert=True)


async def _waiting_duration(message: Message, users: UserService) -> Any:
    """A short text while an "other…" duration waits for it (commands pass through)."""
    if message.from_user is None or not message.text or message.text.startswith("/") \
            or len(message.text) > 32:
        return False
    pending = await users.pending_duration(message.from_user.id)
    return {"pending": pending} if pending is not None else False


@router.message(F.text, _waiting_duration)
async def on_duration_number(message: Message, pending: dict, users: UserService,
                             batches: BatchService) -> None:
    """The number for "other…": applied like a button press, or refused saying why (nothing
    changes then, and the ask stays open for another try)."""
    from bot.handlers.preferences import DEFAULTS_ID, defaults_markup, defaults_text

    uid, batch_id = message.from_user.id, pending["batch_id"]
    seconds = parse_seconds(message.text or "")
    try:
        if batch_id == DEFAULTS_ID:
            d = await users.defaults(uid)
            offer = catalog.offer(d.model, d.plan)
            lo, hi = offer.duration_range or (min(offer.durations), max(offer.durations))
            if seconds is None:
                await message.answer(texts.DURATION_NOT_A_NUMBER.format(min=lo, max=hi))
                return
            check_duration(d.model, d.plan, seconds)
            d = await users.set_default(uid, "duration", seconds)
            text, markup = defaults_text(d), defaults_markup(d)
        else:
            view = await batches.get(batch_id, uid)
            if view is None or view.status != "draft":
                await users.drop_duration(uid)
                await message.answer(texts.NOT_ON_DRAFT if view is not None else texts.GONE)
                return
            offer = catalog.offer(view.model, view.plan)
            lo, hi = offer.duration_range or (min(offer.durations), max(offer.durations))
            if seconds is None:
                await message.answer(texts.DURATION_NOT_A_NUMBER.format(min=lo, max=hi))
                return
            check_duration(view.model, view.plan, seconds, pairs=view.pairs)
            view = await batches.update_settings(batch_id, uid, duration=seconds)
            credits, secs = await batches.estimate(view)
            text = card_text(view, credits, secs, await batches.budget_check(view))
            markup = settings_markup(view)
    except BatchError as err:
        await message.answer(f"❌ {texts.esc(texts.batch_error(err))}")
        return
    except catalog.UnknownOffer:
        await message.answer(texts.OPTION_MISSING)
        return
    await users.drop_duration(uid)
    await message.answer(texts.DURATION_SET.format(duration=texts.duration(seconds)))
    if pending.get("message_id"):
        try:
            await message.bot.edit_message_text(text, chat_id=pending["chat_id"],
                                                message_id=pending["message_id"],
                                                reply_markup=markup)
        except TelegramBadRequest as err:
            if "not modified" not in str(err) and "not found" not in str(err):
                raise


async def _redraw(query: CallbackQuery, batches: BatchService, batch_id: int, *, settings: bool) -> None:
    view = await batches.get(batch_id)
    if view is None:
        return
    credits, seconds = await batches.estimate(view)
    budget = await batches.budget_check(view)
    if settings and view.status == "draft":
        markup = settings_markup(view)
    else:
        markup = card_markup(view, batches.settings.webapp.gallery_url(view.id))
    if query.message is None:
        return
    try:
        await query.message.edit_text(card_text(view, credits, seconds, budget), reply_markup=markup)
    except TelegramBadRequest as err:
        # A double tap redraws the same card: Telegram answers "message is not modified".
        if "not modified" not in str(err):
            raise
