"""/settings (default model, duration, resolution, aspect, outputs) and /prompt (default prompt)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.config import ASPECTS, MODELS
from bot.pipeline import catalog
from bot.services.users import UserDefaults, UserService
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import CardCb, small_number
from bot.telegram.intake import IntakeRejected, check_prompt

router = Router(name=__name__)

# A card payload with batch_id 0 means "the user's defaults" (real batch ids start at 1).
DEFAULTS_ID = 0


def defaults_text(d: UserDefaults) -> str:
    text = texts.defaults_text(model=d.model, seconds=d.duration, resolution=d.resolution,
                               aspect=d.aspect, outputs=d.outputs, credits=_per_output(d),
                               plan=d.plan, review_mode=d.review_mode, auto_upscale=d.auto_upscale)
    switch = _switch(d)
    if d.gone is not None:  # the saved model was retired: kept, shown, one tap to switch
        text += "\n\n" + texts.retired_defaults(d.gone.model, d.gone.since_text,
                                                 switch[0] if switch else None,
                                                 switch[1] if switch else None)
    return text


def _per_output(d: UserDefaults) -> int:
    return catalog.credits_per_output(d.model, d.plan, d.duration, d.resolution)


def _switch(d: UserDefaults) -> tuple[str, int] | None:
    """(nearest model, credits per video at the defaults' duration/resolution) of held defaults."""
    if d.gone is None or d.gone.nearest is None:
        return None
    dur, res = catalog.normalise(d.gone.nearest, d.plan, d.duration, d.resolution)
    return d.gone.nearest, catalog.credits_per_output(d.gone.nearest, d.plan, dur, res)


def defaults_markup(d: UserDefaults) -> InlineKeyboardMarkup:
    """/settings' keyboard: the card's settings rows, the review mode, auto 4K, Done; held
    defaults (a retired model) start with the one-tap switch."""
    markup = keyboards.card_settings(DEFAULTS_ID, d.aspect, d.outputs, d.model, plan=d.plan,
                                     duration=d.duration, resolution=d.resolution)
    # Issue 13: the review mode is a per-user default only (a batch card has no such row).
    other = "albums" if d.review_mode == "view" else "view"
    label = texts.review_mode_switch(other)
    button = InlineKeyboardButton(text=label, callback_data=CardCb(action="review", batch_id=DEFAULTS_ID,
                                                                   value=other).pack())
    auto = keyboards.auto_upscale_button(DEFAULTS_ID, d.auto_upscale)  # issue 14
    switch = _switch(d)
    head = [[keyboards.switch_button(DEFAULTS_ID, *switch)]] if switch else []
    return InlineKeyboardMarkup(inline_keyboard=[*head, *markup.inline_keyboard[:-1], [button],
                                                 [auto], *markup.inline_keyboard[-1:]])


@router.message(Command("settings"))
async def show_settings(message: Message, users: UserService) -> None:
    d = await users.defaults(message.from_user.id)
    await message.answer(defaults_text(d), reply_markup=defaults_markup(d))


@router.callback_query(CardCb.filter(F.batch_id == DEFAULTS_ID))
async def change_default(query: CallbackQuery, callback_data: CardCb, users: UserService) -> None:
    uid = query.from_user.id
    number = small_number(callback_data.value)  # None for anything but a few ASCII digits
    try:
        if callback_data.action in ("aspect", "outputs", "model", "dur", "switch") and number is None:
            raise ValueError(callback_data.value)  # "-1" would pick the last option
        if callback_data.action == "aspect":
            await users.set_default(uid, "aspect", ASPECTS[number])
        elif callback_data.action == "outputs":
            await users.set_default(uid, "outputs", number)
        elif callback_data.action == "model":
            model = MODELS[number]
            if not catalog.is_offered(model, (await users.defaults(uid)).plan, users.db.now()):
                raise ValueError(model)
            await users.set_default(uid, "model", model)
        elif callback_data.action == "switch":  # the saved model was retired: the nearest one
            d = await users.defaults(uid)
            if d.gone is None:
                await query.answer(texts.NOTHING_TO_SWITCH)
                return
            if number is None or number >= len(MODELS) or MODELS[number] != d.gone.nearest:
                raise ValueError(callback_data.value)  # a stale button: the offer changed
            await users.set_default(uid, "model", d.gone.nearest)
            await query.answer(texts.SWITCHED.format(model=d.gone.nearest))
            await _edit(query, await users.defaults(uid))
            return
        elif callback_data.action == "durx":
            from bot.handlers.card import ask_duration

            d = await users.defaults(uid)
            await ask_duration(query, users, DEFAULTS_ID, d.model, d.plan)
            return
        elif callback_data.action in ("dur", "res"):
            d = await users.defaults(uid)
            offer = catalog.offer(d.model, d.plan)
            if callback_data.action == "dur":
                if number not in offer.durations:
                    raise ValueError(callback_data.value)
                await users.set_default(uid, "duration", number)
            else:
                if callback_data.value not in offer.resolutions:
                    raise ValueError(callback_data.value)
                await users.set_default(uid, "resolution", callback_data.value)
        elif callback_data.action == "review":
            await users.set_default(uid, "review_mode", callback_data.value)
        elif callback_data.action == "auto":
            if callback_data.value not in ("0", "1"):
                raise ValueError(callback_data.value)
            await users.set_default(uid, "auto_upscale", callback_data.value == "1")
        elif callback_data.action == "back":
            await query.answer(texts.SAVED)
            if query.message is not None:
                await query.message.edit_reply_markup(reply_markup=None)
            return
        else:
            await query.answer()
            return
    except (ValueError, IndexError):
        await query.answer(texts.OPTION_MISSING, show_alert=True)
        return
    d = await users.defaults(uid)
    await query.answer(texts.SAVED)
    await _edit(query, d)


async def _edit(query: CallbackQuery, d: UserDefaults) -> None:
    if query.message is not None:
        try:
            await query.message.edit_text(defaults_text(d), reply_markup=defaults_markup(d))
        except TelegramBadRequest as err:
            if "not modified" not in str(err):  # a tap on the value already chosen
                raise


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
