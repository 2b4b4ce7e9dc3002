"""/status (running batches), /history (recent batches) and /cancel (dialog or batch)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.batches import BatchService
from bot.services.dialogs import DialogService
from bot.telegram import texts
from bot.telegram.callbacks import CardCb
from bot.telegram.notifier import TelegramNotifier

router = Router(name=__name__)

STATUS_ICONS = {"draft": "📝", "running": "⏳", "done": "✅", "cancelled": "🚫"}


@router.message(Command("status"))
async def status(message: Message, batches: BatchService) -> None:
    active = [b for b in await batches.list_for_user(message.from_user.id, limit=20)
              if b.status in ("draft", "running")]
    if not active:
        await message.answer(texts.NOTHING_RUNNING)
        return
    lines = [texts.IN_PROGRESS_TITLE]
    for b in active:
        lines.append(texts.status_line(STATUS_ICONS[b.status], b.id, b.done, b.failed, b.total,
                                       b.status == "draft"))
    await message.answer("\n".join(lines))


@router.message(Command("history"))
async def history(message: Message, batches: BatchService) -> None:
    recent = await batches.list_for_user(message.from_user.id, limit=10)
    if not recent:
        await message.answer(texts.NO_BATCHES)
        return
    lines = [texts.RECENT_TITLE]
    for b in recent:
        lines.append(texts.history_line(STATUS_ICONS.get(b.status, "•"), b.id, b.total, b.done,
                                        b.failed, b.status))
    await message.answer("\n".join(lines))


@router.message(Command("cancel"))
async def cancel(message: Message, dialogs: DialogService, batches: BatchService,
                 notifier: TelegramNotifier) -> None:
    uid = message.from_user.id
    # A pending "New prompt" of the review view is a dialog too: /cancel drops it, or the
    # next text would still be taken as that prompt (and its confirmation could still spend).
    prompt_dropped = await _drop_new_prompt(uid, notifier)
    if await dialogs.clear(uid, message.chat.id):
        await message.answer(texts.DIALOG_CANCELLED)
        return
    if prompt_dropped:
        await message.answer(texts.NEW_PROMPT_CANCELLED)
        return
    active = [b for b in await batches.list_for_user(uid, limit=20) if b.status in ("draft", "running")]
    if not active:
        await message.answer(texts.NOTHING_TO_CANCEL)
        return
    kb = InlineKeyboardBuilder()
    for b in active:
        kb.button(text=texts.CANCEL_NUMBER.format(id=b.id), callback_data=CardCb(action="cancel", batch_id=b.id))
    kb.adjust(2)
    await message.answer(texts.WHICH_TO_CANCEL, reply_markup=kb.as_markup())


async def _drop_new_prompt(uid: int, notifier: TelegramNotifier) -> bool:
    """Drop the user's pending "New prompt" and put the view's buttons back; False if none."""
    pending = await notifier.review.pending_prompt(uid)
    if pending is None:
        return False
    await notifier.review.drop_prompt(uid)
    await notifier.viewer.show(pending.batch_id)  # its "Cancel new prompt" menu goes away
    return True
