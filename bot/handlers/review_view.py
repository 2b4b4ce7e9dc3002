"""The review view's buttons (one message per batch, paging through its clips), the contact
sheet's number buttons, a number sent to jump the view, and "New prompt"'s text message.

Every payload is re-checked: the batch must be the user's and a clip id a ready clip of that
batch, a number within the view; anything else is answered politely and changes nothing.
Selection buttons carry the state they set and confirmations carry a ticket, so double taps
are harmless and nothing is paid twice.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.review import upscale_reply, zip_reply
from bot.services.batches import BatchError, BatchService, BudgetExceededError, NotYourBatchError
from bot.services.dialogs import DialogService
from bot.services.review import ReviewService, ViewClip
from bot.telegram import texts
from bot.telegram.callbacks import ViewCb, small_number
from bot.telegram.intake import IntakeRejected, check_prompt
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.review_view import Menu

router = Router(name=__name__)



@router.callback_query(ViewCb.filter())
async def on_view(query: CallbackQuery, callback_data: ViewCb, batches: BatchService,
                  notifier: TelegramNotifier) -> None:
    uid, cb = query.from_user.id, callback_data
    review, viewer = notifier.review, notifier.viewer
    try:
        view = await batches.get(cb.batch_id, uid)
    except NotYourBatchError:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    if view is None:
        await query.answer(texts.GONE, show_alert=True)
        return
    clips = await review.clips(view.id)
    if cb.action == "n":
        number = small_number(cb.value)
        if number is None or not 1 <= number <= len(clips):
            await query.answer(texts.NO_NUMBER, show_alert=True)
            return
        await viewer.show(view.id, clip_id=clips[number - 1].id)
        await query.answer(texts.CLIP_IN_VIEW.format(number=number))
        return
    clip = next((c for c in clips if c.id == cb.clip_id), None)
    if clip is None:
        await query.answer(texts.NO_CLIP, show_alert=True)
        return
    try:
        await _act(query, cb, view.id, uid, clip, clips, batches, review, notifier)
    except BudgetExceededError as err:
        c = err.check
        await query.answer(texts.budget_refused(c.cost, c.left, c.budget.period), show_alert=True)
    except BatchError as err:
        await query.answer(texts.batch_error(err), show_alert=True)


async def _act(query: CallbackQuery, cb: ViewCb, batch_id: int, uid: int, clip: ViewClip,
               clips: list[ViewClip], batches: BatchService, review: ReviewService,
               notifier: TelegramNotifier) -> None:
    viewer, a = notifier.viewer, cb.action
    if a == "go":
        await viewer.show(batch_id, clip_id=clip.id)
        await query.answer()
    elif a in ("sel", "all"):
        flag = small_number(cb.value)
        if flag not in (0, 1):
            await query.answer(texts.OPTION_MISSING, show_alert=True)
            return
        if a == "sel":
            await review.select(batch_id, uid, clip.id, bool(flag))
        else:
            await review.select_item(batch_id, uid, clip.item_id, bool(flag))
        shown = await viewer.show(batch_id, clip_id=clip.id)
        count = sum(c.selected for c in await review.clips(batch_id))
        await query.answer(texts.CLIPS_SELECTED.format(count=count, id=batch_id) if shown else "")
    elif a == "up":
        if not any(c.selected for c in clips):
            await query.answer(texts.SELECT_FIRST_VIEW, show_alert=True)
            return
        await viewer.show(batch_id, clip_id=clip.id, menu=Menu("presets"))
        await query.answer(texts.CHOOSE_QUALITY)
    elif a == "pre":
        view = await batches.get(batch_id, uid)
        queued = await batches.request_upscale(batch_id, uid, cb.value)
        await query.answer(upscale_reply(view, cb.value, queued), show_alert=not queued)  # type: ignore[arg-type]
        await viewer.show(batch_id, clip_id=clip.id)
    elif a == "zip":
        await viewer.show(batch_id, clip_id=clip.id, menu=Menu("zip"))
        await query.answer(texts.WHICH_SIZE)
    elif a == "zp":
        if cb.value not in ("720p", "4k"):
            await query.answer(texts.OPTION_MISSING, show_alert=True)
            return
        export_id = await batches.request_export(batch_id, uid, cb.value)
        after = await batches.get(batch_id, uid)
        await query.answer(zip_reply(after, cb.value, export_id), show_alert=True)  # type: ignore[arg-type]
        await viewer.show(batch_id, clip_id=clip.id)
    elif a == "hd":
        if not any(c.selected for c in clips):
            await query.answer(texts.SELECT_FIRST_VIEW, show_alert=True)
            return
        queued = await batches.request_flow_1080p(batch_id, uid)
        await query.answer(
            texts.FLOW1080_ASKED.format(n=queued) if queued
            else texts.FLOW1080_ALREADY, show_alert=not queued)
    elif a == "ag":
        cost, ticket = await review.cost(clip.item_id), await review.again_ticket(clip.item_id)
        await viewer.show(batch_id, clip_id=clip.id, menu=Menu("again", cost, ticket))
        await query.answer(texts.AGAIN_COST.format(image=clip.image, cost=cost))
    elif a == "agok":
        ticket = small_number(cb.value)
        made = None if ticket is None else await review.again(batch_id, uid, clip.item_id, ticket)
        await query.answer(texts.AGAIN_MADE.format(image=clip.image) if made else texts.ALREADY_ASKED)
        await viewer.show(batch_id, clip_id=clip.id)
        if made:
            await notifier.show_batch_state(batch_id)
    elif a == "np":
        await review.await_prompt(uid, batch_id, clip.item_id)
        await viewer.show(batch_id, clip_id=clip.id, menu=Menu("prompt"))
        await query.answer(texts.SEND_NEW_PROMPT.format(image=clip.image), show_alert=True)
    elif a == "npok":
        pending = await review.pending_prompt(uid)
        ticket = small_number(cb.value)
        if pending is None or pending.prompt is None or pending.batch_id != batch_id or ticket is None:
            await query.answer(texts.ASKED_OR_CANCELLED)
            await _close_confirmation(query)
            return
        made = await review.again(batch_id, uid, pending.item_id, ticket, prompt=pending.prompt)
        await review.drop_prompt(uid)
        await query.answer(texts.NEW_PROMPT_MADE if made else texts.ALREADY_ASKED)
        await _close_confirmation(query, texts.ASKED if made else None)
        await viewer.show(batch_id)  # the view's "Cancel new prompt" goes back to its buttons
        if made:
            await notifier.show_batch_state(batch_id)
    elif a == "no":
        await review.drop_prompt(uid)
        await query.answer(texts.NOT_CHANGED)
        if query.message is not None and getattr(query.message, "video", None) is None:
            await _close_confirmation(query, texts.CANCELLED_SHORT)
        await viewer.show(batch_id, clip_id=clip.id)
    elif a == "back":
        await query.answer()
        await viewer.show(batch_id, clip_id=clip.id)
    else:
        await query.answer()


async def _close_confirmation(query: CallbackQuery, text: str | None = None) -> None:
    """Take the buttons off a "New prompt" confirmation (it was used or is stale)."""
    message = query.message
    if message is None or getattr(message, "text", None) is None:
        return
    from aiogram.exceptions import TelegramBadRequest

    try:
        if text:
            await message.edit_text(f"{texts.esc(message.text)}\n{text}", reply_markup=None)
        else:
            await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest as err:
        if "not modified" not in str(err):
            raise


# -- text: a new prompt, or a number that jumps the view ------------------------------------------

async def _waiting_prompt(message: Message, notifier: TelegramNotifier) -> Any:
    if message.from_user is None or not message.text or message.text.startswith("/"):
        return False
    pending = await notifier.review.pending_prompt(message.from_user.id)
    return {"pending": pending} if pending is not None else False


@router.message(F.text, _waiting_prompt)
async def on_new_prompt(message: Message, pending: Any, notifier: TelegramNotifier,
                        batches: BatchService) -> None:
    uid, review = message.from_user.id, notifier.review
    try:
        prompt = check_prompt(message.text or "")
    except IntakeRejected as err:
        await message.answer(texts.esc(texts.batch_error(err)))
        return
    try:
        cost, ticket = await review.cost(pending.item_id), await review.again_ticket(pending.item_id)
        await batches.get(pending.batch_id, uid)
    except BatchError as err:
        await review.drop_prompt(uid)
        await message.answer(texts.esc(texts.batch_error(err)))
        return
    await review.hold_prompt(uid, prompt)
    clips = [c for c in await review.clips(pending.batch_id) if c.item_id == pending.item_id]
    image = clips[0].image if clips else "?"
    from aiogram.utils.keyboard import InlineKeyboardBuilder

    kb = InlineKeyboardBuilder()
    anchor = clips[0].id if clips else 0
    kb.button(text=texts.spend_confirm(cost),
              callback_data=ViewCb(action="npok", batch_id=pending.batch_id, clip_id=anchor, value=str(ticket)))
    kb.button(text=texts.NO_BUTTON, callback_data=ViewCb(action="no", batch_id=pending.batch_id, clip_id=anchor))
    kb.adjust(1)
    await message.answer(texts.NEW_PROMPT_CONFIRM.format(image=image, prompt=texts.esc(prompt[:500]),
                                                         cost=cost), reply_markup=kb.as_markup())


async def _number_for_view(message: Message, notifier: TelegramNotifier, dialogs: DialogService) -> Any:
    number = small_number((message.text or "").strip())
    if number is None or message.from_user is None:
        return False
    if await dialogs.get(message.from_user.id, message.chat.id) is not None:
        return False  # images wait for their prompt: a number is that prompt, not a jump
    state = await notifier.review.latest_view(message.from_user.id, message.chat.id)
    return {"number": number, "view_batch": state.batch_id} if state is not None else False


@router.message(F.text, _number_for_view)
async def on_number(message: Message, number: int, view_batch: int, notifier: TelegramNotifier) -> None:
    clips = await notifier.review.clips(view_batch)
    if not 1 <= number <= len(clips):
        await message.answer(texts.NO_SUCH_CLIP.format(id=view_batch, count=len(clips), number=number))
        return
    await notifier.viewer.show(view_batch, clip_id=clips[number - 1].id)
    await message.answer(texts.JUMPED.format(number=number, id=view_batch))
