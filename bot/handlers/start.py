"""/start and /help: what the bot does and how to use it."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.telegram import texts

router = Router(name=__name__)


@router.message(CommandStart())
async def start(message: Message) -> None:
    await message.answer(texts.START)


@router.message(Command("help"))
async def help_(message: Message, is_admin: bool = False) -> None:
    await message.answer(texts.HELP + (texts.ADMIN_HELP if is_admin else ""))
