"""Text-to-video intake: `/video` with one prompt per line, and the ✍️ button under a prompts
file sent alone. Either becomes a draft batch of items without images, with its own card.

Bounded before anything is written: at most `MAX_IMAGES_PER_BATCH` prompts, each one checked
like any prompt (length limits); a bad line gets a reply naming it and nothing is created.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.services.batches import BatchError, BatchService
from bot.services.dialogs import AWAITING_IMAGES, DialogService
from bot.services.users import UserService
from bot.telegram import texts
from bot.telegram.callbacks import TextCb
from bot.telegram.cards import send_new_card
from bot.telegram.intake import MAX_IMAGES_PER_BATCH, IntakeRejected, check_prompt

router = Router(name=__name__)


def prompt_lines(text: str) -> list[str]:
    """The prompts of a `/video` message, one per non-blank line, each checked.

    Raises `IntakeRejected` with the friendly reply for a bad line or too many lines.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_IMAGES_PER_BATCH:
        raise IntakeRejected(texts.VIDEO_TOO_MANY.format(n=len(lines), max=MAX_IMAGES_PER_BATCH))
    prompts = []
    for n, line in enumerate(lines, 1):
        try:
            prompts.append(check_prompt(line))
        except IntakeRejected as err:
            raise IntakeRejected(texts.VIDEO_LINE_BAD.format(n=n, why=err)) from None
    return prompts


@router.message(Command("video"))
async def on_video(message: Message, command: CommandObject, bot: Bot, users: UserService,
                   batches: BatchService) -> None:
    """`/video <prompt>` (one per line): a text-only batch card."""
    args = command.args or ""
    if not args.strip():
        await message.answer(texts.VIDEO_USAGE)
        return
    try:
        prompts = prompt_lines(args)
    except IntakeRejected as err:
        await message.answer(str(err))
        return
    await _card(bot, message.from_user.id, message.chat.id, prompts, users, batches)


@router.callback_query(TextCb.filter(F.action == "make"))
async def on_text_only(query: CallbackQuery, bot: Bot, dialogs: DialogService, users: UserService,
                       batches: BatchService) -> None:
    """The ✍️ button under a prompts file sent alone: its prompts become a text-only batch."""
    uid = query.from_user.id
    chat_id = query.message.chat.id if query.message is not None else uid
    dialog = await dialogs.get(uid, chat_id)
    prompts = (dialog.data.get("prompts") or []) if dialog and dialog.state == AWAITING_IMAGES else []
    if not prompts:
        await query.answer(texts.TEXT_ONLY_GONE, show_alert=True)
        return
    if len(prompts) > MAX_IMAGES_PER_BATCH:
        await query.answer()
        await bot.send_message(chat_id, texts.VIDEO_TOO_MANY.format(n=len(prompts),
                                                                    max=MAX_IMAGES_PER_BATCH))
        return
    await query.answer()
    await dialogs.clear(uid, chat_id)  # first: a double tap finds nothing waiting
    if query.message is not None:
        await query.message.edit_reply_markup(reply_markup=None)
    await _card(bot, uid, chat_id, prompts, users, batches)


async def _card(bot: Bot, user_id: int, chat_id: int, prompts: list[str], users: UserService,
                batches: BatchService) -> None:
    try:
        await send_new_card(bot, user_id, chat_id, [(None, p) for p in prompts], users=users,
                            batches=batches)
    except BatchError as err:
        await bot.send_message(chat_id, f"❌ {texts.esc(texts.batch_error(err))}")
