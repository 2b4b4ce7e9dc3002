"""Update middlewares: who may talk to the bot, and which services a handler receives.

`AccessMiddleware` runs before any handler (outer middleware on every update): strangers get
one polite reply and leave only a counter behind; allowed users get `role` injected.
`ServicesMiddleware` injects the service objects by name (``users``, ``dialogs``, ``batches``…)
so handlers declare what they need as parameters and never build anything themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User

from bot.services.users import UserService
from bot.telegram import texts

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class AccessMiddleware(BaseMiddleware):
    """Let allowed users through with their `role`; turn strangers away politely, once."""

    def __init__(self, users: UserService, *, remember: int = 10_000) -> None:
        self.users = users
        # Ids answered this run, so a stranger who keeps writing is not answered (and the
        # chat not flooded) every time. Memory only: nothing about a stranger is persisted.
        self._answered: OrderedDict[int, None] = OrderedDict()
        self._remember = remember
        self._names: dict[int, tuple[str | None, str | None]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        role = await self.users.role_of(user.id)
        if role is None:
            await self.users.count_stranger()
            await self._turn_away(event, user.id)
            return None
        names = (user.username, user.first_name)
        if self._names.get(user.id) != names:
            await self.users.seen(user.id, *names)
            self._names[user.id] = names
        data["role"] = role
        data["is_admin"] = role == "admin"
        return await handler(event, data)

    async def _turn_away(self, event: TelegramObject, user_id: int) -> None:
        if user_id in self._answered:
            self._answered.move_to_end(user_id)
            if isinstance(event, Update) and event.callback_query is not None:
                await _quiet(event.callback_query.answer())
            return
        self._answered[user_id] = None
        if len(self._answered) > self._remember:
            self._answered.popitem(last=False)
        if not isinstance(event, Update):
            return
        if event.message is not None and event.message.chat.type == "private":
            await _quiet(event.message.answer(texts.PRIVATE_BOT))
        elif event.callback_query is not None:
            await _quiet(event.callback_query.answer(texts.PRIVATE_BOT, show_alert=True))


async def _quiet(call: Awaitable[Any]) -> None:
    try:
        await call
    except TelegramAPIError as err:
        log.info("reply to a stranger failed: %s", type(err).__name__)


class ServicesMiddleware(BaseMiddleware):
    """Inject each named service into the handler's keyword arguments."""

    def __init__(self, services: Mapping[str, Any]) -> None:
        self.services = dict(services)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data.update(self.services)
        return await handler(event, data)



class ButtonOrderMiddleware(BaseMiddleware):
    """Handle one chat's button presses one at a time, in the order they were pressed.

    aiogram runs updates concurrently; two quick taps on the same card ("1 output", then
    "Done") could otherwise finish in the wrong order and leave the card showing the wrong
    view. Registered first, so the FIFO lock is taken before anything awaits. Messages are not
    serialised: images download in parallel and the intake collector restores their order.
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update) or event.callback_query is None:
            return await handler(event, data)
        key = event.callback_query.from_user.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await handler(event, data)
