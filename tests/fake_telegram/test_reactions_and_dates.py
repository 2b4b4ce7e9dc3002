"""setMessageReaction, the date-time entity (<tg-time>) and button styles, as strict as Telegram."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji


async def test_a_reaction_needs_an_existing_message_and_an_allowed_emoji(telegram, tg_bot, ann):
    incoming = await telegram.send_text(ann.id, "hello")
    mid = incoming["message_id"]
    assert await tg_bot.set_message_reaction(ann.id, mid, [ReactionTypeEmoji(emoji="👍")])
    assert telegram.reaction_on(ann.id, mid) == ["👍"]
    with pytest.raises(TelegramBadRequest, match="REACTION_INVALID"):
        await tg_bot.set_message_reaction(ann.id, mid, [ReactionTypeEmoji(emoji="✅")])
    with pytest.raises(TelegramBadRequest, match="message to react not found"):
        await tg_bot.set_message_reaction(ann.id, mid + 100, [ReactionTypeEmoji(emoji="👍")])
    with pytest.raises(TelegramBadRequest, match="REACTIONS_TOO_MANY"):
        await tg_bot.set_message_reaction(ann.id, mid, [ReactionTypeEmoji(emoji="👍"),
                                                        ReactionTypeEmoji(emoji="🔥")])
    assert telegram.reaction_on(ann.id, mid) == ["👍"]  # refused calls changed nothing
    assert await tg_bot.set_message_reaction(ann.id, mid, [])
    assert telegram.reaction_on(ann.id, mid) == []


async def test_tg_time_becomes_a_date_time_entity_and_bad_formats_are_refused(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, 'ready ≈ <tg-time unix="1800000000" format="t">14:32</tg-time>',
                                     parse_mode="HTML")
    [entity] = sent.entities
    assert (entity.type, entity.unix_time, entity.date_time_format) == ("date_time", 1800000000, "t")
    assert sent.text == "ready ≈ 14:32"
    for bad in ('<tg-time unix="soon">x</tg-time>', '<tg-time unix="1" format="tw">x</tg-time>',
                '<tg-time format="t">x</tg-time>'):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await tg_bot.send_message(ann.id, bad, parse_mode="HTML")


async def test_button_styles_are_checked(telegram, tg_bot, ann):
    ok = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Start", callback_data="s", style="success"),
        InlineKeyboardButton(text="Cancel", callback_data="c", style="danger")]])
    sent = await tg_bot.send_message(ann.id, "card", reply_markup=ok)
    assert [b.style for b in sent.reply_markup.inline_keyboard[0]] == ["success", "danger"]
    bad = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Start", callback_data="s", style="green")]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_STYLE_INVALID"):
        await tg_bot.send_message(ann.id, "card", reply_markup=bad)
