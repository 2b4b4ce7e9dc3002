"""/language: the user picks the language the bot speaks with them (stored in settings_json)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.users import UserService
from bot.telegram import texts
from bot.telegram.callbacks import LangCb
from bot.telegram.i18n import LANGUAGES, i18n, remember

router = Router(name=__name__)


def language_keyboard():
    """One button per offered language, each in its own name."""
    kb = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        kb.button(text=name, callback_data=LangCb(code=code))
    kb.adjust(3)
    return kb.as_markup()


@router.message(Command("language"))
async def language(message: Message) -> None:
    """Offer the languages."""
    await message.answer(texts.LANGUAGE_PICK, reply_markup=language_keyboard())


@router.callback_query(LangCb.filter())
async def picked(callback: CallbackQuery, callback_data: LangCb, users: UserService) -> None:
    """Store the choice and answer in the new language; a forged code changes nothing."""
    if callback_data.code not in LANGUAGES:
        await callback.answer(texts.LANGUAGE_UNKNOWN, show_alert=True)
        return
    await users.set_language(callback.from_user.id, callback_data.code)
    remember(callback.from_user.id, callback_data.code)
    # The rest of this update already runs in the old locale: switch for the answer.
    with i18n.use_locale(callback_data.code):
        done = texts.LANGUAGE_SET
    await callback.answer()
    if callback.message is not None:
        await callback.message.edit_text(done)
