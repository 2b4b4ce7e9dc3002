"""Sending methods: sendMessage, sendPhoto/Video/Document/Audio/Animation, sendMediaGroup,
sendChatAction.

Uploads come as multipart parts (directly under the field name or via `attach://<part>`) or as
file_ids; URLs cannot be fetched here and are refused like an unreachable URL.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from fake_telegram.errors import ApiError, bad_request
from fake_telegram.files import describe
from fake_telegram.markup import validate
from fake_telegram.messages import render
from fake_telegram.params import Params, Upload
from fake_telegram.registry import method
from fake_telegram.text import check_caption, check_text

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}
MEDIA_KINDS = ("photo", "video", "document", "audio", "animation")


def _reply_payload(tg: FakeTelegram, chat_id: int, p: Params) -> dict[str, Any]:
    reply = p.get_json("reply_parameters") or {}
    target = reply.get("message_id") or p.get_int("reply_to_message_id")
    if not target:
        return {}
    original = tg.find_message(chat_id, int(target))
    if original is None:
        if reply.get("allow_sending_without_reply") or p.get_bool("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": render(tg, original)}


@method("sendMessage")
async def send_message(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    chat = tg.chat(p.chat_id())
    text, entities = check_text(p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities"))
    markup = validate(p.values.get("reply_markup"))
    payload = _reply_payload(tg, chat.id, p)
    msg = tg.add_message(chat.id, "sendMessage", text=text, entities=entities,
                         reply_markup=markup, payload=payload)
    return render(tg, msg)


def store_media(tg: FakeTelegram, kind: str, ref: Upload | str | None, p: Params,
                meta: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
    """Store one media reference; returns ({kind: object}, uploaded files)."""
    if ref is None:
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(ref, str) and ref.startswith("file://"):
        ref = _local_file(tg, ref)
    if isinstance(ref, str):
        return {kind: _reuse(tg, kind, ref)}, []
    if not ref.data:
        raise bad_request("file must be non-empty")
    files = [(kind, ref.filename, ref.data)]
    if kind == "photo":
        if len(ref.data) > tg.photo_limit:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        return {"photo": tg.files.add_photo(ref.data)}, files
    stored = tg.files.add(kind, ref.data, ref.filename, _mime(ref))
    extra: dict[str, Any] = {}
    if kind in ("video", "animation"):
        extra = {key: _number(meta, key) for key in ("width", "height", "duration")}
    elif kind == "audio":
        extra = {"duration": _number(meta, "duration")}
    thumb = meta.get("thumbnail")
    thumb_ref = p.file_ref("thumbnail", thumb) if thumb or "thumbnail" in p.files else None
    if isinstance(thumb_ref, Upload) and thumb_ref.data:
        t = tg.files.add("thumbnail", thumb_ref.data, thumb_ref.filename, "image/jpeg")
        extra["thumbnail"] = {"file_id": t.file_id, "file_unique_id": t.file_unique_id,
                              "file_size": t.size, "width": 320, "height": 180}
        files.append(("thumbnail", thumb_ref.filename, thumb_ref.data))
    stored.extra = extra
    return {kind: describe(stored)}, files


def _number(meta: dict[str, Any], key: str) -> int:
    try:
        return int(meta.get(key) or 0)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def _local_file(tg: FakeTelegram, uri: str) -> Upload:
    """A `file://` URI: only a `--local` server reads files from its own disk."""
    path = Path(unquote(urlparse(uri).path))
    if not tg.local_mode or not path.is_file():
        raise bad_request("wrong file identifier/HTTP URL specified")
    return Upload(path.name, path.read_bytes())


def _mime(upload: Upload) -> str | None:
    ctype = upload.content_type
    return None if not ctype or ctype == "application/octet-stream" else ctype


def _reuse(tg: FakeTelegram, kind: str, ref: str) -> Any:
    if ref.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = tg.files.get(ref)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if (stored.kind == "photo") != (kind == "photo"):
        raise bad_request("type of file mismatch")
    if kind == "photo":
        return [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                 "file_size": stored.size, "width": stored.width, "height": stored.height}]
    return describe(stored)


def _make_sender(kind: str):
    async def send(tg: FakeTelegram, p: Params) -> dict[str, Any]:
        chat = tg.chat(p.chat_id())
        caption, entities = check_caption(p.get_str("caption"), p.get_str("parse_mode"),
                                          p.get_json("caption_entities"))
        markup = validate(p.values.get("reply_markup"))
        payload = _reply_payload(tg, chat.id, p)
        meta = {key: p.values.get(key) for key in ("width", "height", "duration", "thumbnail")}
        media, files = store_media(tg, kind, p.file_ref(kind), p, meta)
        msg = tg.add_message(chat.id, f"send{kind.capitalize()}", caption=caption,
                             entities=entities, reply_markup=markup, kind=kind, files=files,
                             payload={**payload, **media})
        return render(tg, msg)

    send.__doc__ = f"send{kind.capitalize()}: one {kind}, uploaded or by file_id."
    return send


for _kind in MEDIA_KINDS:
    method(f"send{_kind.capitalize()}")(_make_sender(_kind))


def _album_kinds(items: list[dict[str, Any]]) -> None:
    kinds = {item.get("type") for item in items}
    for kind in kinds:
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request(f"can't parse InputMedia: type \"{kind}\" can't be used in "
                              "sendMediaGroup" if kind == "animation"
                              else f"can't parse InputMedia: type \"{kind}\" is unsupported")
    for lone in ("document", "audio"):
        if lone in kinds and len(kinds) > 1:
            raise bad_request(f"{lone} can't be mixed with other media types")


@method("sendMediaGroup")
async def send_media_group(tg: FakeTelegram, p: Params) -> list[dict[str, Any]]:
    chat = tg.chat(p.chat_id())
    items = p.get_json("media")
    if items is None:
        raise bad_request('parameter "media" is required')
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("can't parse media JSON object")
    if not items:
        raise bad_request("there are no messages to send")
    if len(items) > 10:
        raise bad_request("too many messages to send as an album")
    if len(items) < 2:
        raise bad_request("media group must include 2-10 items")
    _album_kinds(items)
    prepared = []
    for number, item in enumerate(items, start=1):
        caption, entities = check_caption(item.get("caption"), item.get("parse_mode"),
                                          item.get("caption_entities"))
        ref_value = item.get("media")
        if isinstance(ref_value, str) and ref_value.startswith("attach://") and (
                ref_value.removeprefix("attach://") not in p.files):
            raise bad_request("can't parse InputMedia: media not found")
        try:
            ref = p.file_ref("media", ref_value)
            media, files = store_media(tg, item["type"], ref, p, item)
        except ApiError as exc:
            reason = exc.description.removeprefix("Bad Request: ")
            raise bad_request(f'failed to send message #{number} with the error message '
                              f'"{reason[:1].upper()}{reason[1:]}"') from None
        prepared.append((item, caption, entities, media, files))
    group_id = str(secrets.randbelow(10**17) + 10**17)
    payload = _reply_payload(tg, chat.id, p)
    sent = []
    for item, caption, entities, media, files in prepared:
        msg = tg.add_message(chat.id, "sendMediaGroup", caption=caption, entities=entities,
                             kind=item["type"], files=files, media=item,
                             media_group_id=group_id, payload={**payload, **media})
        sent.append(render(tg, msg))
    return sent


@method("sendChatAction")
async def send_chat_action(tg: FakeTelegram, p: Params) -> bool:
    chat = tg.chat(p.chat_id())
    action = p.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    tg.chat_actions.append((chat.id, action))
    return True
