"""What tests read back: users, messages (with edit history) and the log of Bot API calls."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fake_telegram.markup import callback_datas


@dataclass
class FakeUser:
    """A Telegram user; their private chat has the same id."""

    id: int
    first_name: str = "Ann"
    username: str | None = None
    language_code: str = "en"
    started: bool = True  # False: never wrote to the bot, so the bot can't message them yet

    def as_user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name,
                                "language_code": self.language_code}
        if self.username:
            data["username"] = self.username
        return data

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class SentMessage:
    """A message in a chat, as stored by the server (bot's or user's).

    `files` holds what the bot uploaded: (field such as "photo"/"video"/"document"/"thumbnail",
    filename, bytes). `media` is the InputMedia item for album members. `edits` keeps every
    earlier state, oldest first (dicts with text/caption/entities/reply_markup/date/method).
    """

    message_id: int
    chat_id: int
    method: str
    from_bot: bool = True
    text: str | None = None
    caption: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    kind: str = "text"
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    media: dict[str, Any] | None = None
    media_group_id: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    date: float = field(default_factory=time.time)
    payload: dict[str, Any] = field(default_factory=dict)  # the Message object as sent

    @property
    def content(self) -> str | None:
        """Text or caption, whichever the message has."""
        return self.text if self.text is not None else self.caption

    def callback_datas(self) -> list[str]:
        return callback_datas(self.reply_markup)

    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data or url or web_app url) for every inline button, in reading order."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", b.get("url", (b.get("web_app") or {}).get("url"))))
                for row in rows for b in row]

    def web_app_url(self, label: str) -> str:
        """The https URL of the first `web_app` button whose text contains `label`."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        for button in (b for row in rows for b in row):
            if label in button["text"] and "web_app" in button:
                return button["web_app"]["url"]
        raise KeyError(f"no web_app button {label!r} on message {self.message_id}: {self.buttons()}")

    def button_data(self, label: str) -> str:
        """callback_data of the first inline button whose text contains `label`."""
        for text, data in self.buttons():
            if label in text and data is not None:
                return data
        raise KeyError(f"no button {label!r} on message {self.message_id}: {self.buttons()}")

    def snapshot(self) -> dict[str, Any]:
        return {"text": self.text, "caption": self.caption, "entities": list(self.entities),
                "reply_markup": self.reply_markup, "date": time.time()}

    def describe(self) -> str:
        flags = " (deleted)" if self.deleted else ""
        edits = f" [{len(self.edits)} edits]" if self.edits else ""
        who = "bot" if self.from_bot else "user"
        body = (self.content or "")[:200].replace("\n", "\\n")
        files = f" files={[(f, n, len(d)) for f, n, d in self.files]}" if self.files else ""
        what = self.method if self.from_bot else self.kind
        return (f"#{self.message_id} {who} {what}{flags}{edits}: {body!r}{files}"
                f" buttons={self.buttons()}")


@dataclass
class Call:
    """One Bot API request: method, parameters (files as (filename, size)), outcome."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    error: str | None = None
