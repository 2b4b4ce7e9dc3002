"""Changing sent messages: editMessageText/Caption/ReplyMarkup/Media, deleteMessage(s),
answerCallbackQuery.

Only the bot's own messages can be edited; bots may delete their own and, in private chats,
the user's messages. Editing to identical content is refused with "message is not modified".
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fake_telegram.api_send import MEDIA_KINDS, store_media
from fake_telegram.errors import bad_request
from fake_telegram.markup import validate
from fake_telegram.messages import render
from fake_telegram.params import Params
from fake_telegram.records import SentMessage
from fake_telegram.registry import method
from fake_telegram.text import check_caption, check_text

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


def _target(tg: FakeTelegram, p: Params) -> SentMessage:
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = tg.chat(p.chat_id())
    message_id = p.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = tg.find_message(chat.id, message_id)
    if msg is None:
        raise bad_request("message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


def _apply(tg: FakeTelegram, msg: SentMessage, method_name: str, **changes: Any) -> dict:
    before = (msg.text, msg.caption, msg.entities, msg.reply_markup)
    snapshot = msg.snapshot()
    for key, value in changes.items():
        setattr(msg, key, value)
    if (msg.text, msg.caption, msg.entities, msg.reply_markup) == before:
        raise bad_request(NOT_MODIFIED)
    snapshot["method"] = method_name
    snapshot["date"] = time.time()
    msg.edits.append(snapshot)
    return render(tg, msg)


@method("editMessageText")
async def edit_message_text(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    msg = _target(tg, p)
    text, entities = check_text(p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities"), edit=True)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    markup = validate(p.values.get("reply_markup"), inline_only=True)
    return _apply(tg, msg, "editMessageText", text=text, entities=entities, reply_markup=markup)


@method("editMessageCaption")
async def edit_message_caption(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    msg = _target(tg, p)
    if msg.text is not None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = check_caption(p.get_str("caption"), p.get_str("parse_mode"),
                                      p.get_json("caption_entities"))
    markup = validate(p.values.get("reply_markup"), inline_only=True)
    return _apply(tg, msg, "editMessageCaption", caption=caption, entities=entities,
                  reply_markup=markup)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    msg = _target(tg, p)
    markup = validate(p.values.get("reply_markup"), inline_only=True)
    return _apply(tg, msg, "editMessageReplyMarkup", reply_markup=markup)


# An album member keeps its album's kind: audio albums stay audio, document albums documents,
# and photo/video albums take a photo or a video (Bot API, editMessageMedia).
_ALBUM_KINDS = {"audio": ("audio",), "document": ("document",), "photo": ("photo", "video"),
                "video": ("photo", "video")}


def _unique_ids(media: dict[str, Any]) -> set[str]:
    """file_unique_ids of the media objects in a message payload (every PhotoSize of a photo)."""
    out: set[str] = set()
    for kind in MEDIA_KINDS:
        value = media.get(kind)
        for obj in value if isinstance(value, list) else [value] if value else []:
            if isinstance(obj, dict) and obj.get("file_unique_id"):
                out.add(obj["file_unique_id"])
    return out


@method("editMessageMedia")
async def edit_message_media(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    """Replace a message's media, caption and inline keyboard, as Telegram does.

    The new media is an uploaded file (`attach://`) or a file_id of the same family (a photo's
    id for a photo; any other file's for the rest); the caption and keyboard not given are
    removed. Re-sending the same file with the same caption and keyboard is refused with
    "message is not modified"; an album member only takes its album's kinds.
    """
    msg = _target(tg, p)
    item = p.get_json("media")
    if not isinstance(item, dict) or item.get("type") not in MEDIA_KINDS:
        raise bad_request("can't parse InputMedia JSON object")
    if msg.text is not None:
        raise bad_request("there is no media in the message to edit")
    if msg.media_group_id and item["type"] not in _ALBUM_KINDS.get(msg.kind, ()):
        raise bad_request(f"can't edit a {msg.kind} of an album to a {item['type']}")
    ref_value = item.get("media")
    if ref_value is None or ref_value == "":
        raise bad_request("there is no media in the request")
    caption, entities = check_caption(item.get("caption"), item.get("parse_mode"),
                                      item.get("caption_entities"))
    markup = validate(p.values.get("reply_markup"), inline_only=True)
    media, files = store_media(tg, item["type"], p.file_ref("media", ref_value), p, item)
    same_file = not files and _unique_ids(media) <= _unique_ids(msg.payload) and item["type"] == msg.kind
    if same_file and (caption, entities, markup) == (msg.caption, msg.entities, msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    snapshot = {**msg.snapshot(), "method": "editMessageMedia", "kind": msg.kind,
                "files": msg.files, "payload": msg.payload}
    msg.payload = {k: v for k, v in msg.payload.items() if k not in MEDIA_KINDS} | media
    msg.kind, msg.files, msg.media = item["type"], files, item
    msg.caption, msg.entities, msg.reply_markup = caption, entities, markup
    msg.edits.append(snapshot)
    return render(tg, msg)


@method("deleteMessage")
async def delete_message(tg: FakeTelegram, p: Params) -> bool:
    chat = tg.chat(p.chat_id())
    message_id = p.get_int("message_id")
    msg = tg.find_message(chat.id, message_id) if message_id is not None else None
    if msg is None:
        raise bad_request("message to delete not found")
    msg.deleted = True
    return True


@method("deleteMessages")
async def delete_messages(tg: FakeTelegram, p: Params) -> bool:
    chat = tg.chat(p.chat_id())
    ids = p.get_json("message_ids") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        msg = tg.find_message(chat.id, int(message_id))
        if msg is not None:
            msg.deleted = True
    return True


@method("answerCallbackQuery")
async def answer_callback_query(tg: FakeTelegram, p: Params) -> bool:
    query_id = p.get_str("callback_query_id")
    pressed = tg.callback_queries.get(query_id or "")
    too_old = pressed is not None and time.time() - pressed["time"] > tg.callback_timeout
    if pressed is None or pressed["answered"] or too_old:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    pressed["answered"] = True
    tg.answers.append({"callback_query_id": query_id, "text": text,
                       "show_alert": p.get_bool("show_alert"), "url": p.get_str("url"),
                       "cache_time": p.get_int("cache_time"), "data": pressed["data"],
                       "time": time.time()})
    return True
