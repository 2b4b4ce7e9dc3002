"""Review buttons under each finished item: select clips, upscale to 4K, zip, retry a failure.

`BatchService.get(batch_id, user_id)` refuses a batch of someone else; on top of that every
clip/item id in a payload must belong to that batch, so a forged payload changes nothing.
Selection buttons carry the state they set, so a double tap is harmless.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.services.batches import BatchError, BatchService, BatchView
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import ClipCb, ReviewCb
from bot.telegram.notifier import TelegramNotifier

router = Router(name=__name__)


def item_keyboard(view: BatchView, item_id: int) -> InlineKeyboardMarkup:
    clips = [c for c in view.clips if c.item_id == item_id and c.status == "ready"]
    return keyboards.review(view.id, item_id, [(c.id, n, c.selected) for n, c in enumerate(clips, 1)])


@router.callback_query(ClipCb.filter())
async def on_clip(query: CallbackQuery, callback_data: ClipCb, batches: BatchService) -> None:
    uid = query.from_user.id
    try:
        view = await batches.get(callback_data.batch_id, uid)
        if view is None:
            await query.answer(texts.GONE, show_alert=True)
            return
        clip = next((c for c in view.clips if c.id == callback_data.clip_id), None)
        if clip is None or clip.item_id != callback_data.item_id:
            await query.answer(texts.NOT_YOURS, show_alert=True)
            return
        await batches.set_selected(clip.id, uid, bool(callback_data.sel))
    except BatchError as err:
        await query.answer(texts.batch_error(err), show_alert=True)
        return
    view = await batches.get(callback_data.batch_id, uid)
    if view is None:
        return
    selected = len(view.selected_clips)
    await query.answer(texts.CLIPS_SELECTED.format(count=selected, id=view.id))
    await _set_markup(query, item_keyboard(view, callback_data.item_id))


@router.callback_query(ReviewCb.filter())
async def on_review(query: CallbackQuery, callback_data: ReviewCb, batches: BatchService,
                    notifier: TelegramNotifier) -> None:
    uid, cb = query.from_user.id, callback_data
    try:
        view = await batches.get(cb.batch_id, uid)
        if view is None:
            await query.answer(texts.GONE, show_alert=True)
            return
        if cb.item_id and all(i.id != cb.item_id for i in view.items):
            await query.answer(texts.NOT_YOURS, show_alert=True)
            return
        if cb.action == "upscale":
            if not view.selected_clips:
                await query.answer(texts.SELECT_FIRST_ALBUM, show_alert=True)
                return
            await query.answer(texts.CHOOSE_QUALITY)
            await _set_markup(query, keyboards.presets(view.id, cb.item_id))
        elif cb.action == "preset":
            queued = await batches.request_upscale(view.id, uid, cb.value)
            await query.answer(upscale_reply(view, cb.value, queued), show_alert=not queued)
            await _set_markup(query, item_keyboard(view, cb.item_id))
        elif cb.action == "flow1080":
            if not view.selected_clips:
                await query.answer(texts.SELECT_FIRST_ALBUM, show_alert=True)
                return
            queued = await batches.request_flow_1080p(view.id, uid)
            await query.answer(
                texts.FLOW1080_ASKED.format(n=queued) if queued
                else texts.FLOW1080_ALREADY, show_alert=not queued)
        elif cb.action == "back":
            await query.answer()
            await _set_markup(query, item_keyboard(view, cb.item_id))
        elif cb.action == "zip":
            export_id = await batches.request_export(view.id, uid, cb.value)
            after = await batches.get(view.id, uid)
            await query.answer(zip_reply(after or view, cb.value, export_id), show_alert=True)
        elif cb.action == "retry":
            item = next((i for i in view.items if i.id == cb.item_id), None)
            if item is None or item.status != "failed":
                await query.answer(texts.NOT_FAILED)
                return
            cost = await batches.retry_cost(item.id)
            await query.answer()
            await _set_markup(query, keyboards.retry_confirm(view.id, item.id, cost))
        elif cb.action == "retry_ok":
            again = await batches.retry_item(cb.item_id, uid)
            await query.answer(texts.RETRYING if again else texts.ALREADY_RETRIED)
            await _set_markup(query, None)
            if again:
                await notifier.show_batch_state(view.id)  # a finished batch runs again
        elif cb.action == "retry_no":
            await query.answer(texts.NOT_RETRIED)
            await _set_markup(query, keyboards.retry(view.id, cb.item_id))
        else:
            await query.answer()
    except BatchError as err:
        await query.answer(texts.batch_error(err), show_alert=True)


def upscale_reply(view: BatchView, preset: str, queued: int) -> str:
    """What the 4K button promises, from what `request_upscale` actually queued."""
    if queued:
        return texts.UPSCALING.format(n=queued)
    chosen = [c for c in view.selected_clips if c.status == "ready"]
    if not chosen:
        return texts.NONE_SELECTED
    if all(c.status_4k == "ready" and c.preset_4k == preset for c in chosen):
        return texts.ALREADY_UPSCALED
    return texts.BEING_UPSCALED


def zip_reply(view: BatchView, resolution: str, export_id: int | None) -> str:
    """What the zip button promises, from what `request_export` did (None: nothing to zip)."""
    label = resolution.upper()
    if export_id is None:
        if resolution == "4k":
            return texts.NOTHING_TO_ZIP_4K
        return texts.NOTHING_TO_ZIP
    export = next((e for e in view.exports if e.id == export_id), None)
    if export is not None and export.status == "delivered":
        return texts.ZIP_ALREADY_SENT.format(label=label)
    have = [c for c in view.clips if (c.path_4k if resolution == "4k" else c.path_720)]
    chosen = [c for c in have if c.selected] or have
    text = texts.ZIP_PREPARING.format(label=label, n=len(chosen))
    if resolution == "4k":
        waiting = [c for c in view.selected_clips if c.status_4k in ("queued", "running")]
        if waiting:
            text += texts.ZIP_WAITING.format(n=len(waiting))
    return text


async def _set_markup(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    if query.message is None:
        return
    if _same_markup(query.message.reply_markup, markup):
        return  # a double tap: nothing to redraw, and Telegram would refuse the edit anyway
    try:
        await query.message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as err:
        if "not modified" not in str(err):
            raise


def _same_markup(current: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup | None) -> bool:
    def rows(m: InlineKeyboardMarkup | None) -> list:
        return [[(b.text, b.callback_data) for b in row] for row in (m.inline_keyboard if m else [])]

    return rows(current) == rows(new)
