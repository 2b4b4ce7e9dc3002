"""getUpdates long polling, injected user actions, and aiogram's own Dispatcher against it."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Dispatcher, F
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


async def test_updates_arrive_in_order_and_offset_confirms(telegram, tg_bot, ann):
    await telegram.send_command(ann, "/start", args="ref42")
    await telegram.send_text(ann, "a cat surfing")
    first = await tg_bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["/start ref42", "a cat surfing"]
    assert first[0].message.entities[0].type == "bot_command"
    assert first[1].update_id == first[0].update_id + 1
    again = await tg_bot.get_updates(offset=first[0].update_id + 1, timeout=0)
    assert [u.message.text for u in again] == ["a cat surfing"]
    assert await tg_bot.get_updates(offset=first[1].update_id + 1, timeout=0) == []


async def test_long_poll_waits_for_an_injected_update(telegram, tg_bot, ann):
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(tg_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await telegram.send_text(ann, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates] == ["hello"]
    assert 0.2 <= loop.time() - started < 2
    empty_started = loop.time()
    assert await tg_bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == []
    assert loop.time() - empty_started >= 0.9


async def test_allowed_updates_filters_and_is_remembered(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "x", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]))
    await telegram.send_text(ann, "ignored")
    await telegram.press(ann, sent.message_id, "go")
    updates = await tg_bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["go"]
    await telegram.send_text(ann, "dropped too")
    assert await tg_bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []


async def test_second_poller_terminates_the_first_with_conflict(tg_bot):
    first = asyncio.create_task(tg_bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(tg_bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_album_arrives_as_separate_updates_sharing_a_group(telegram, tg_bot, ann, jpeg):
    sent = await telegram.send_album(ann, [(jpeg, "photo", "a.jpg"), (jpeg, "document", "b.jpg"),
                                           (jpeg, "photo", "c.jpg")], caption="prompt")
    updates = await tg_bot.get_updates(timeout=0)
    messages = [u.message for u in updates]
    assert len(messages) == 3 and len({m.media_group_id for m in messages}) == 1
    assert [m.caption for m in messages] == ["prompt", None, None]
    assert messages[1].document.file_name == "b.jpg" and messages[0].photo[-1].width == 1600
    assert [m["message_id"] for m in sent] == [m.message_id for m in messages]


async def test_block_queues_my_chat_member_and_webhook_calls(telegram, tg_bot, ann):
    assert await tg_bot.delete_webhook(drop_pending_updates=True) is True
    info = await tg_bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    telegram.block(ann.id)
    [update] = await tg_bot.get_updates(timeout=0, allowed_updates=["my_chat_member"])
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_aiogram_dispatcher_polls_and_replies(telegram, tg_bot, ann):
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Send me images", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Help", callback_data="help")]]))

    @dp.callback_query(F.data == "help")
    async def help_pressed(query: CallbackQuery) -> None:
        await query.answer("Here to help")
        await query.message.edit_text("Help: send images with a caption")

    polling = asyncio.create_task(dp.start_polling(tg_bot, polling_timeout=1,
                                                   handle_signals=False,
                                                   close_bot_session=False))
    try:
        await telegram.send_command(ann, "/start")
        [card] = await telegram.wait_for(lambda tg: tg.outbox(ann.id), timeout=5)
        assert card.text == "Send me images"
        await telegram.press(ann, card.message_id, card.button_data("Help"))
        await telegram.wait_for(lambda tg: card.edits, timeout=5)
        assert card.text.startswith("Help:") and telegram.answers[0]["text"] == "Here to help"
        polls = [c for c in telegram.calls if c.method == "getUpdates"]
        assert polls[0].params.get("allowed_updates") is not None
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)


async def test_wait_for_times_out_with_a_dump(telegram, tg_bot, ann):
    await tg_bot.send_message(ann.id, "progress 10%")
    with pytest.raises(TimeoutError, match="progress 10%"):
        await telegram.wait_for(lambda tg: len(tg.outbox(ann.id)) > 1, timeout=0.1)
