"""/settings (default aspect, outputs, model) and /prompt (default prompt)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.config import ASPECTS, MODELS
from bot.services.users import UserDefaults, UserService
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import CardCb
from bot.telegram.intake import IntakeRejected, check_prompt

router = Router(name=__name__)

# A card payload with batch_id 0 means "the user's defaults" (real batch ids start at 1).
DEFAULTS_ID = 0


def defaults_text(d: UserDefaults) -> str:
    return (
        "<b>Your defaults for new batches</b>\n"
        f"Aspect: {d.aspect} · Outputs per image: {d.outputs} · Model: {texts.esc(d.model)}\n"
        "Tap to change; each batch card can still be changed before it starts."
    )


@router.message(Command("settings"))
async def show_settings(message: Message, users: UserService) -> None:
    d = await users.defaults(message.from_user.id)
    await message.answer(
        defaults_text(d), reply_markup=keyboards.card_settings(DEFAULTS_ID, d.aspect, d.outputs, d.model)
    )


@router.callback_query(CardCb.filter(F.batch_id == DEFAULTS_ID))
async def change_default(query: CallbackQuery, callback_data: CardCb, users: UserService) -> None:
    uid = query.from_user.id
    try:
        if callback_data.action == "aspect":
            await users.set_default(uid, "aspect", ASPECTS[int(callback_data.value)])
        elif callback_data.action == "outputs":
            await users.set_default(uid, "outputs", int(callback_data.value))
        elif callback_data.action == "model":
            await users.set_default(uid, "model", MODELS[int(callback_data.value)])
        elif callback_data.action == "back":
            await query.answer("Saved.")
            if query.message is not None:
                await query.message.edit_reply_markup(reply_markup=None)
            return
        else:
            await query.answer()
            return
    except (ValueError, IndexError):
        await query.answer("That option does not exist.", show_alert=True)
        return
    d = await users.defaults(uid)
    await query.answer("Saved.")
    if query.message is not None:
        await query.message.edit_text(
            defaults_text(d), reply_markup=keyboards.card_settings(DEFAULTS_ID, d.aspect, d.outputs, d.model)
        )


@router.message(Command("prompt"))
async def set_prompt(message: Message, command: CommandObject, users: UserService) -> None:
    uid = message.from_user.id
    args = (command.args or "").strip()
    if not args:
        current = await users.default_prompt(uid)
        await message.answer(
            texts.PROMPT_SHOW.format(prompt=texts.esc(current)) if current else texts.PROMPT_NONE
        )
        return
    if args.lower() in ("off", "clear", "none", "-"):
        await users.set_default_prompt(uid, None)
        await message.answer(texts.PROMPT_CLEARED)
        return
    try:
        prompt = check_prompt(args)
    except IntakeRejected as err:
        await message.answer(str(err))
        return
    await users.set_default_prompt(uid, prompt)
    await message.answer(texts.PROMPT_SET)
