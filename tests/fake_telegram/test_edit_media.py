"""editMessageMedia as Telegram behaves: new uploads and file_id reuse, "message is not
modified", caption limits, album kinds, messages that are gone or not the bot's, and the inline
keyboard replaced (or removed when not given). Through aiogram's real Bot over HTTP."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)


def kb(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label)]])


def video(data: bytes, name: str = "clip.mp4", caption: str | None = None) -> InputMediaVideo:
    return InputMediaVideo(media=BufferedInputFile(data, name), caption=caption)


async def test_a_new_upload_then_the_same_file_by_id(telegram, tg_bot, ann):
    sent = await tg_bot.send_video(ann.id, BufferedInputFile(b"clip-one", "one.mp4"), caption="1 of 2",
                                   reply_markup=kb("next"))
    edited = await tg_bot.edit_message_media(media=video(b"clip-two", "two.mp4", "2 of 2"),
                                             chat_id=ann.id, message_id=sent.message_id,
                                             reply_markup=kb("back"))
    assert edited.video.file_id != sent.video.file_id and edited.caption == "2 of 2"
    stored = telegram.message(ann.id, sent.message_id)
    assert stored.files == [("video", "two.mp4", b"clip-two")] and stored.buttons() == [("back", "back")]
    # Back to the first clip by file_id: nothing is uploaded, the message shows the first file.
    again = await tg_bot.edit_message_media(media=InputMediaVideo(media=sent.video.file_id, caption="1 of 2"),
                                            chat_id=ann.id, message_id=sent.message_id,
                                            reply_markup=kb("next"))
    assert again.video.file_unique_id == sent.video.file_unique_id
    assert stored.files == [] and len(stored.edits) == 2
    assert telegram.calls_to("editMessageMedia")[-1].params["media"]  # a JSON object, no file part


async def test_the_same_file_caption_and_keyboard_is_not_modified(telegram, tg_bot, ann):
    sent = await tg_bot.send_video(ann.id, BufferedInputFile(b"clip", "c.mp4"), caption="clip 1",
                                   reply_markup=kb("☐"))
    same = InputMediaVideo(media=sent.video.file_id, caption="clip 1")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await tg_bot.edit_message_media(media=same, chat_id=ann.id, message_id=sent.message_id,
                                        reply_markup=kb("☐"))
    # The same file with another keyboard (or caption) is a change.
    await tg_bot.edit_message_media(media=same, chat_id=ann.id, message_id=sent.message_id,
                                    reply_markup=kb("✅"))
    assert telegram.message(ann.id, sent.message_id).buttons() == [("✅", "✅")]
    # An upload is always a change, even of the same bytes (it becomes a new file).
    await tg_bot.edit_message_media(media=video(b"clip", "c.mp4", "clip 1"), chat_id=ann.id,
                                    message_id=sent.message_id, reply_markup=kb("✅"))


async def test_caption_limit_and_refusals_leave_the_message_alone(telegram, tg_bot, ann, jpeg):
    sent = await tg_bot.send_video(ann.id, BufferedInputFile(b"clip", "c.mp4"), caption="short",
                                   reply_markup=kb("keep"))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await tg_bot.edit_message_media(media=video(b"v2", caption="x" * 1025), chat_id=ann.id,
                                        message_id=sent.message_id)
    await tg_bot.edit_message_media(media=video(b"v2", caption="x" * 1024), chat_id=ann.id,
                                    message_id=sent.message_id, reply_markup=kb("keep"))
    photo = await tg_bot.send_photo(ann.id, BufferedInputFile(jpeg, "p.jpg"))
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await tg_bot.edit_message_media(media=InputMediaVideo(media=photo.photo[-1].file_id),
                                        chat_id=ann.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await tg_bot.edit_message_media(media=InputMediaVideo(media="BAACAgIAAxkBAAIforged"),
                                        chat_id=ann.id, message_id=sent.message_id)
    stored = telegram.message(ann.id, sent.message_id)
    assert stored.caption == "x" * 1024 and stored.files == [("video", "clip.mp4", b"v2")]
    assert len(stored.edits) == 1 and stored.buttons() == [("keep", "keep")]


async def test_gone_foreign_and_text_messages_cannot_be_edited(telegram, tg_bot, ann):
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await tg_bot.edit_message_media(media=video(b"v"), chat_id=ann.id, message_id=999)
    await telegram.send_text(ann, "hello")
    users = [m for m in telegram.messages(ann.id) if not m.from_bot]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await tg_bot.edit_message_media(media=video(b"v"), chat_id=ann.id, message_id=users[0].message_id)
    sent = await tg_bot.send_video(ann.id, BufferedInputFile(b"clip", "c.mp4"))
    await tg_bot.delete_message(ann.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await tg_bot.edit_message_media(media=video(b"v"), chat_id=ann.id, message_id=sent.message_id)


async def test_no_keyboard_given_removes_it(telegram, tg_bot, ann):
    sent = await tg_bot.send_video(ann.id, BufferedInputFile(b"clip", "c.mp4"), reply_markup=kb("◀"))
    await tg_bot.edit_message_media(media=video(b"other"), chat_id=ann.id, message_id=sent.message_id)
    stored = telegram.message(ann.id, sent.message_id)
    assert stored.buttons() == [] and stored.caption is None


async def test_an_album_member_keeps_its_albums_kinds(telegram, tg_bot, ann, jpeg):
    album = await tg_bot.send_media_group(ann.id, [video(b"a", "a.mp4"), video(b"b", "b.mp4")])
    with pytest.raises(TelegramBadRequest, match="album"):
        await tg_bot.edit_message_media(media=InputMediaDocument(media=BufferedInputFile(b"d", "d.bin")),
                                        chat_id=ann.id, message_id=album[0].message_id)
    edited = await tg_bot.edit_message_media(media=InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg")),
                                             chat_id=ann.id, message_id=album[0].message_id)
    assert edited.photo and edited.media_group_id == album[0].media_group_id
