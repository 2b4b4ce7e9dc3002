"""Test-side user actions: inject texts, commands, photos, documents, albums, button presses.

Each action stores the user's message in the chat (so the bot can reply to, delete or getFile
it) and queues the update for `getUpdates`, exactly as Telegram would deliver it. Albums arrive
as separate updates sharing a `media_group_id`, the caption on the first item only.
"""

from __future__ import annotations

import asyncio
import mimetypes
import secrets
import time
from typing import TYPE_CHECKING, Any

from fake_telegram.files import describe
from fake_telegram.markup import callback_datas
from fake_telegram.records import FakeUser
from fake_telegram.text import CAPTION_LIMIT, TEXT_LIMIT, command_entities, utf16_len

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram

UserRef = FakeUser | int  # an int id creates the user on first use


class UserActions:
    """Mixin of `FakeTelegram` with what simulated users do."""

    def user(self: FakeTelegram, id: int, first_name: str = "Ann",  # noqa: A002
             username: str | None = None, language_code: str = "en", *,
             started: bool = True) -> FakeUser:
        """The user `id` (created on first use); their private chat has the same id.

        `started=False` makes a user who never wrote to the bot: until they do, the bot's
        messages get 403 "bot can't initiate conversation with a user", as on Telegram.
        """
        if id not in self.users:
            self.users[id] = FakeUser(id, first_name, username, language_code, started)
        return self.users[id]

    def _user(self: FakeTelegram, ref: UserRef) -> FakeUser:
        return self.user(ref) if isinstance(ref, int) else self.user(
            ref.id, ref.first_name, ref.username, ref.language_code, started=ref.started)

    async def _incoming(self: FakeTelegram, user: FakeUser, kind: str, *,
                        text: str | None = None, caption: str | None = None,
                        entities: list[dict] | None = None, media_group_id: str | None = None,
                        payload: dict[str, Any] | None = None) -> dict[str, Any]:
        from fake_telegram.messages import render

        if text is not None and not 0 < utf16_len(text) <= TEXT_LIMIT:
            raise ValueError("Telegram clients send 1..4096 characters of text")
        if caption is not None and utf16_len(caption) > CAPTION_LIMIT:
            raise ValueError("Telegram clients send captions of at most 1024 characters")
        user.started = True
        msg = self.add_message(user.id, "user", from_bot=False, text=text, caption=caption,
                               entities=entities or [], kind=kind,
                               media_group_id=media_group_id, payload=payload or {})
        data = render(self, msg)
        self.updates.push("message", data)
        await asyncio.sleep(0)
        return data

    async def send_text(self: FakeTelegram, user: UserRef, text: str) -> dict[str, Any]:
        """The user sends a text message; returns the Message dict."""
        return await self._incoming(self._user(user), "text", text=text,
                                    entities=command_entities(text))

    async def send_command(self: FakeTelegram, user: UserRef, command: str,
                           args: str = "") -> dict[str, Any]:
        """The user sends `/command args` (with its bot_command entity)."""
        text = ("/" + command.lstrip("/")) + (f" {args}" if args else "")
        return await self.send_text(user, text)

    async def send_photo(self: FakeTelegram, user: UserRef, data: bytes,
                         caption: str | None = None,
                         media_group_id: str | None = None) -> dict[str, Any]:
        """The user sends a (recompressed) photo: several PhotoSize entries, like Telegram."""
        sizes = self.files.add_photo(data)
        return await self._incoming(self._user(user), "photo", caption=caption,
                                    media_group_id=media_group_id, payload={"photo": sizes})

    async def send_document(self: FakeTelegram, user: UserRef, data: bytes, filename: str,
                            mime_type: str | None = None, caption: str | None = None,
                            media_group_id: str | None = None) -> dict[str, Any]:
        """The user sends a file as a document (kept byte for byte)."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.files.add("document", data, filename, mime)
        return await self._incoming(self._user(user), "document", caption=caption,
                                    media_group_id=media_group_id,
                                    payload={"document": describe(stored)})

    async def send_video(self: FakeTelegram, user: UserRef, data: bytes,
                         filename: str = "video.mp4", caption: str | None = None,
                         width: int = 1280, height: int = 720, duration: int = 8,
                         media_group_id: str | None = None) -> dict[str, Any]:
        """The user sends a video."""
        stored = self.files.add("video", data, filename, "video/mp4", width, height)
        stored.extra = {"width": width, "height": height, "duration": duration}
        video = describe(stored)
        return await self._incoming(self._user(user), "video", caption=caption,
                                    media_group_id=media_group_id, payload={"video": video})

    async def send_album(self: FakeTelegram, user: UserRef, items: list[tuple[bytes, str, str]],
                         caption: str | None = None) -> list[dict[str, Any]]:
        """The user sends an album of (bytes, "photo"|"document"|"video", filename) items."""
        if not 2 <= len(items) <= 10:
            raise ValueError("an album has 2..10 items")
        group = str(secrets.randbelow(10**17) + 10**17)
        sent = []
        for index, (data, kind, filename) in enumerate(items):
            item_caption = caption if index == 0 else None
            if kind == "photo":
                sent.append(await self.send_photo(user, data, item_caption, group))
            elif kind == "video":
                sent.append(await self.send_video(user, data, filename, item_caption,
                                                  media_group_id=group))
            else:
                sent.append(await self.send_document(user, data, filename, None, item_caption,
                                                     group))
        return sent

    async def press(self: FakeTelegram, user: UserRef, message_id: int, callback_data: str, *,
                    forge: bool = False) -> str:
        """The user presses an inline button; returns the callback query id.

        Without `forge`, the message must be the bot's, not deleted, and carry a button with
        this callback_data (as in a real client); `forge=True` sends any data (a hacked client).
        """
        from fake_telegram.messages import render

        who = self._user(user)
        msg = self.find_message(who.id, message_id)
        if not forge:
            if msg is None or not msg.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {who.id}\n{self.dump()}")
            if callback_data not in callback_datas(msg.reply_markup):
                raise ValueError(f"message {message_id} has no button {callback_data!r}: "
                                 f"{msg.buttons()}")
        query_id = str(secrets.randbelow(10**18) + 10**18)
        query: dict[str, Any] = {"id": query_id, "from": who.as_user(),
                                 "chat_instance": str(who.id * 7919), "data": callback_data}
        if msg is not None:
            query["message"] = render(self, msg)
        self.callback_queries[query_id] = {"time": time.time(), "answered": False,
                                           "data": callback_data, "message_id": message_id}
        self.updates.push("callback_query", query)
        await asyncio.sleep(0)
        return query_id
