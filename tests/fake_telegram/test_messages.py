"""Text messages, keyboards, edits, deletes and callback answers through aiogram's real Bot."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=text, callback_data=data)] for text, data in pairs])


async def test_send_message_is_stored_with_keyboard_and_returned_like_telegram(
        telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "Batch of 3", reply_markup=keyboard(("Start", "s:1")))
    assert sent.message_id == 1
    assert sent.chat.id == ann.id and sent.chat.type == "private"
    assert sent.from_user.is_bot and sent.text == "Batch of 3"
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "s:1"
    [stored] = telegram.outbox(ann.id)
    assert (stored.method, stored.text, stored.button_data("Start")) == ("sendMessage",
                                                                         "Batch of 3", "s:1")
    assert telegram.calls[-1].method == "sendMessage"
    assert telegram.calls[-1].params["text"] == "Batch of 3"


async def test_html_is_parsed_and_length_counted_after_parsing(telegram, tg_bot, ann):
    body = "x" * 4096
    sent = await tg_bot.send_message(ann.id, f"<b>{body}</b>", parse_mode="HTML")
    assert sent.text == body and sent.entities[0].type == "bold"
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await tg_bot.send_message(ann.id, "a <video> b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Character '.' is reserved"):
        await tg_bot.send_message(ann.id, "Done.", parse_mode="MarkdownV2")
    escaped = await tg_bot.send_message(ann.id, r"*Done\.* 1\-2", parse_mode="MarkdownV2")
    assert (escaped.text, escaped.entities[0].length) == ("Done. 1-2", 5)
    with pytest.raises(TelegramBadRequest, match="Can't find end of the entity starting at byte"):
        await tg_bot.send_message(ann.id, "clip_4k.mp4", parse_mode="Markdown")
    unknown = await tg_bot.send_message(ann.id, "Tom &nbsp; &amp; <i>Jerry</i>",
                                        parse_mode="HTML")
    assert unknown.text == "Tom &nbsp; & Jerry"


@pytest.mark.parametrize(
    ("text", "description"),
    [("", "Bad Request: message text is empty"),
     ("   \n", "Bad Request: message text is empty"),
     ("x" * 4097, "Bad Request: message is too long"),
     ("😀" * 2049, "Bad Request: message is too long")],  # 4,098 UTF-16 units
)
async def test_text_limits(telegram, tg_bot, ann, text, description):
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_message(ann.id, text)
    assert caught.value.message == description
    assert telegram.outbox(ann.id) == []


async def test_text_of_exactly_4096_utf16_units_is_accepted(tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "😀" * 2048)
    assert len(sent.text) == 2048


@pytest.mark.parametrize(
    ("markup", "description"),
    [(keyboard(("Go", "x" * 65)), "Bad Request: BUTTON_DATA_INVALID"),
     (keyboard(("Go", "é" * 33)), "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
     (keyboard(("Go", "")), "Bad Request: BUTTON_DATA_INVALID"),
     (InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go")]]),
      "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
      "inline keyboard"),
     (InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go", url="ftp://x")]]),
      "Bad Request: BUTTON_URL_INVALID"),
     (keyboard(*[("b", str(i)) for i in range(101)]), "Bad Request: reply markup is too long")],
)
async def test_reply_markup_is_validated(tg_bot, ann, markup, description):
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_message(ann.id, "hi", reply_markup=markup)
    assert caught.value.message == description


async def test_64_byte_callback_data_and_reply_keyboards_are_accepted(telegram, tg_bot, ann):
    await tg_bot.send_message(ann.id, "ok", reply_markup=keyboard(("Go", "é" * 32)))
    reply_kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Yes")]])
    sent = await tg_bot.send_message(ann.id, "pick", reply_markup=reply_kb)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    assert telegram.outbox(ann.id)[-1].reply_markup["keyboard"][0][0]["text"] == "Yes"


async def test_unknown_chat_is_refused(tg_bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await tg_bot.send_message(999, "hi")


async def test_edit_text_keeps_history_and_drops_keyboard_when_omitted(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "0%", reply_markup=keyboard(("Cancel", "c")))
    edited = await tg_bot.edit_message_text("50%", chat_id=ann.id, message_id=sent.message_id,
                                            reply_markup=keyboard(("Cancel", "c")))
    assert edited.text == "50%" and edited.edit_date is not None
    await tg_bot.edit_message_text("done", chat_id=ann.id, message_id=sent.message_id)
    [stored] = telegram.outbox(ann.id)
    assert [e["text"] for e in stored.edits] == ["0%", "50%"]
    assert stored.text == "done" and stored.reply_markup is None


async def test_edit_refusals(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "same", reply_markup=keyboard(("A", "a")))
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.edit_message_text("same", chat_id=ann.id, message_id=sent.message_id,
                                       reply_markup=keyboard(("A", "a")))
    assert caught.value.message == NOT_MODIFIED
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.edit_message_reply_markup(chat_id=ann.id, message_id=sent.message_id,
                                               reply_markup=keyboard(("A", "a")))
    assert caught.value.message == NOT_MODIFIED
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await tg_bot.edit_message_text("x", chat_id=ann.id, message_id=77)
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await tg_bot.edit_message_text("x" * 4097, chat_id=ann.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await tg_bot.edit_message_caption(chat_id=ann.id, message_id=sent.message_id,
                                          caption="c")
    theirs = await telegram.send_text(ann, "mine")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be edited"):
        await tg_bot.edit_message_text("x", chat_id=ann.id, message_id=theirs["message_id"])
    assert telegram.outbox(ann.id)[0].edits == []


async def test_edit_reply_markup_and_caption(telegram, tg_bot, ann, jpeg):
    from aiogram.types import BufferedInputFile

    photo = await tg_bot.send_photo(ann.id, BufferedInputFile(jpeg, "p.jpg"), caption="v1",
                                    reply_markup=keyboard(("☐ 1", "t:1")))
    await tg_bot.edit_message_reply_markup(chat_id=ann.id, message_id=photo.message_id,
                                           reply_markup=keyboard(("✅ 1", "t:1")))
    edited = await tg_bot.edit_message_caption(chat_id=ann.id, message_id=photo.message_id,
                                               caption="v2", reply_markup=keyboard(("✅ 1", "t:1")))
    assert edited.caption == "v2"
    stored = telegram.outbox(ann.id)[0]
    assert stored.buttons() == [("✅ 1", "t:1")]
    assert [e["method"] for e in stored.edits] == ["editMessageReplyMarkup", "editMessageCaption"]
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await tg_bot.edit_message_text("x", chat_id=ann.id, message_id=photo.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await tg_bot.edit_message_caption(chat_id=ann.id, message_id=photo.message_id,
                                          caption="c" * 1025)


async def test_delete_bot_and_user_messages(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "bye")
    cookies = await telegram.send_text(ann, "secret cookies")
    assert await tg_bot.delete_message(ann.id, sent.message_id) is True
    assert await tg_bot.delete_message(ann.id, cookies["message_id"]) is True
    assert telegram.outbox(ann.id)[0].deleted
    assert telegram.message(ann.id, cookies["message_id"]).deleted
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await tg_bot.delete_message(ann.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await tg_bot.edit_message_text("x", chat_id=ann.id, message_id=sent.message_id)


async def test_answer_callback_query_once_and_in_time(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "pick", reply_markup=keyboard(("Go", "go")))
    query_id = await telegram.press(ann, sent.message_id, "go")
    assert await tg_bot.answer_callback_query(query_id, text="Started") is True
    assert telegram.answers[-1]["text"] == "Started" and telegram.answers[-1]["data"] == "go"
    too_old = ("Bad Request: query is too old and response timeout expired or query ID is "
               "invalid")
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.answer_callback_query(query_id)
    assert caught.value.message == too_old
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await tg_bot.answer_callback_query("12345")
    telegram.callback_timeout = 0.05
    late = await telegram.press(ann, sent.message_id, "go")
    await asyncio.sleep(0.1)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await tg_bot.answer_callback_query(late)


async def test_press_checks_buttons_unless_forged(telegram, tg_bot, ann):
    sent = await tg_bot.send_message(ann.id, "pick", reply_markup=keyboard(("Go", "go")))
    with pytest.raises(ValueError, match="has no button"):
        await telegram.press(ann, sent.message_id, "evil")
    query_id = await telegram.press(ann, sent.message_id, "evil", forge=True)
    update = telegram.updates.pending[-1]["callback_query"]
    assert update["id"] == query_id and update["data"] == "evil"
    assert update["message"]["message_id"] == sent.message_id


async def test_chat_action_and_commands(telegram, tg_bot, ann):
    from aiogram.types import BotCommand, BotCommandScopeChat

    assert await tg_bot.send_chat_action(ann.id, "upload_video") is True
    assert telegram.chat_actions == [(ann.id, "upload_video")]
    with pytest.raises(TelegramBadRequest, match="wrong parameter action in request"):
        await tg_bot.send_chat_action(ann.id, "dancing")
    commands = [BotCommand(command="start", description="What this bot does"),
                BotCommand(command="status", description="Your batches")]
    assert await tg_bot.set_my_commands(commands) is True
    assert [c["command"] for c in telegram.commands] == ["start", "status"]
    assert [c.command for c in await tg_bot.get_my_commands()] == ["start", "status"]
    admin = [BotCommand(command="pause", description="Pause work")]
    await tg_bot.set_my_commands(admin, scope=BotCommandScopeChat(chat_id=ann.id))
    assert telegram.commands_by_scope[f"chat:{ann.id}"] == [
        {"command": "pause", "description": "Pause work"}]
    assert telegram.commands_for(ann.id)[0]["command"] == "pause"
    assert [c["command"] for c in telegram.commands] == ["start", "status"]  # still the default
    assert telegram.commands_for(7)[0]["command"] == "start"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await tg_bot.set_my_commands([BotCommand(command="Start!", description="x")])


async def test_edit_message_media_replaces_the_file(telegram, tg_bot, ann, jpeg):
    from aiogram.types import BufferedInputFile, InputMediaDocument

    sent = await tg_bot.send_photo(ann.id, BufferedInputFile(jpeg, "preview.jpg"), caption="720p")
    edited = await tg_bot.edit_message_media(
        media=InputMediaDocument(media=BufferedInputFile(b"4k-bytes", "clip_4k.mp4"),
                                 caption="4K"),
        chat_id=ann.id, message_id=sent.message_id)
    assert edited.document.file_name == "clip_4k.mp4" and edited.photo is None
    stored = telegram.last(ann.id)
    assert stored.files == [("document", "clip_4k.mp4", b"4k-bytes")]
    assert stored.edits[0]["files"][0][1] == "preview.jpg" and telegram.texts(ann.id) == ["4K"]
    text = await tg_bot.send_message(ann.id, "plain")
    with pytest.raises(TelegramBadRequest, match="there is no media in the message to edit"):
        await tg_bot.edit_message_media(
            media=InputMediaDocument(media=BufferedInputFile(b"x", "x.bin")),
            chat_id=ann.id, message_id=text.message_id)
    assert len(telegram.calls_to("editMessageMedia")) == 2
