"""Injected faults and refusals: 429 floods, 5xx, dropped connections, blocked users, tokens."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from tests.fixtures.telegram import close_bot, make_bot


async def test_flood_raises_retry_after_for_that_chat_only(telegram, tg_bot, ann):
    bob = telegram.user(43, "Bob")
    telegram.flood(chat_id=ann.id, retry_after=7, count=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await tg_bot.send_message(ann.id, "hi")
        assert caught.value.retry_after == 7
        assert "Original description: Too Many Requests: retry after 7" in caught.value.message
    await tg_bot.send_message(bob.id, "not flooded")
    await tg_bot.send_message(ann.id, "third try works")
    assert [m.text for m in telegram.outbox(ann.id)] == ["third try works"]
    assert [c.status for c in telegram.calls] == [429, 429, 200, 200]


async def test_automatic_flood_limit_per_chat(telegram, tg_bot, ann):
    telegram.enforce_flood = True
    bob = telegram.user(43, "Bob")
    sent = 0
    with pytest.raises(TelegramRetryAfter) as caught:
        for _ in range(10):  # a burst of 3 passes, then ~1/s: refused well before 10
            await tg_bot.send_message(ann.id, "fast")
            sent += 1
    assert 3 <= sent < 10 and caught.value.retry_after >= 1
    await tg_bot.send_message(bob.id, "other chats have their own budget")
    telegram.enforce_flood = False
    await tg_bot.send_message(ann.id, "limit off")


async def test_fail_next_gives_server_errors(telegram, tg_bot, ann):
    telegram.fail_next("sendMessage", status=502, count=1)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await tg_bot.send_message(ann.id, "hi")
    telegram.fail_next(status=500, count=1, html=True)
    with pytest.raises(ClientDecodeError):
        await tg_bot.send_chat_action(ann.id, "typing")
    assert (await tg_bot.send_message(ann.id, "recovered")).text == "recovered"


async def test_blocked_user(telegram, tg_bot, ann):
    telegram.block(ann.id)
    with pytest.raises(TelegramForbiddenError) as caught:
        await tg_bot.send_message(ann.id, "hi")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    telegram.unblock(ann.id)
    await tg_bot.send_message(ann.id, "welcome back")


async def test_wrong_token_is_unauthorized(telegram, ann):
    bot = make_bot(telegram, "987654321:AAE" + "z" * 32)
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await bot.get_me()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{telegram.base_url}/file/botWRONG/photos/file_1.jpg") as resp:
                assert resp.status == 401
    finally:
        await close_bot(bot)
    assert telegram.calls[0].status == 401


async def test_dropped_connection_is_a_network_error(telegram, tg_bot, ann):
    from aiogram.exceptions import TelegramNetworkError

    telegram.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await tg_bot.send_message(ann.id, "lost")
    assert (await tg_bot.send_message(ann.id, "again")).text == "again"
    assert [m.text for m in telegram.outbox(ann.id)] == ["again"]


async def test_blocked_user_refuses_chat_actions_too(telegram, tg_bot, ann):
    telegram.block(ann.id, notify=False)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await tg_bot.send_chat_action(ann.id, "upload_video")
    assert telegram.updates.pending == []


async def test_bot_cannot_initiate_a_conversation(telegram, tg_bot):
    stranger = telegram.user(77, "Stranger", started=False)
    with pytest.raises(TelegramForbiddenError) as caught:
        await tg_bot.send_message(stranger.id, "hello?")
    assert caught.value.message == "Forbidden: bot can't initiate conversation with a user"
    await telegram.send_command(stranger, "/start")
    assert (await tg_bot.send_message(stranger.id, "hi")).chat.id == 77


def test_automatic_global_limit_is_30_per_second():
    from fake_telegram.errors import ApiError
    from fake_telegram.faults import Faults

    faults = Faults(enforce_flood=True)
    for chat_id in range(30):
        faults.check("sendmessage", chat_id)
    with pytest.raises(ApiError) as caught:
        faults.check("sendmessage", 30)
    assert (caught.value.status, caught.value.parameters) == (429, {"retry_after": 1})
    faults.check("getupdates", 31)  # only sending methods are limited
