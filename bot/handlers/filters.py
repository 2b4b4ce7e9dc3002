"""Filters shared by routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject


class IsAdmin(Filter):
    """True for admins; `AccessMiddleware` has put `is_admin` into the handler data."""

    async def __call__(self, event: TelegramObject, is_admin: bool = False, **_: Any) -> bool:
        return is_admin


class InDialog(Filter):
    """True when the (user, chat) dialog persisted in SQLite is in `state`; passes it on."""

    def __init__(self, state: str) -> None:
        self.state = state

    async def __call__(self, event: TelegramObject, dialogs: Any = None, **_: Any) -> bool | dict:
        user = getattr(event, "from_user", None)
        chat = getattr(event, "chat", None)
        if dialogs is None or user is None or chat is None:
            return False
        dialog = await dialogs.get(user.id, chat.id)
        if dialog is None or dialog.state != self.state:
            return False
        return {"dialog": dialog}
