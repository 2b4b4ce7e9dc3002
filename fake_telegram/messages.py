"""Rendering stored messages as Bot API `Message` objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_telegram.records import SentMessage

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram


def render(tg: FakeTelegram, msg: SentMessage) -> dict[str, Any]:
    """The Message object for `msg` in its current state."""
    chat = tg.users[msg.chat_id]
    data: dict[str, Any] = {
        "message_id": msg.message_id,
        "from": tg.bot_user() if msg.from_bot else chat.as_user(),
        "chat": chat.as_chat(),
        "date": int(msg.date),
    }
    if msg.edits:
        data["edit_date"] = int(msg.edits[-1]["date"])
    if msg.media_group_id:
        data["media_group_id"] = msg.media_group_id
    data.update(msg.payload)
    if msg.text is not None:
        data["text"] = msg.text
        if msg.entities:
            data["entities"] = msg.entities
    if msg.caption is not None:
        data["caption"] = msg.caption
        if msg.entities:
            data["caption_entities"] = msg.entities
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        data["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
    return data
