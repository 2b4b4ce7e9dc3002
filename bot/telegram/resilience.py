"""The one place that deals with Telegram's flood limits and transient failures.

`ResilientRequests` is an aiogram *session* middleware, so every Bot API call — from handlers,
the notifier and delivery alike — goes through it:

* HTTP 429: wait exactly `retry_after` (plus a hair) and send again, as often as Telegram asks
  (bounded by `max_flood_waits`).
* Network errors and 5xx: retry with exponential backoff, `max_retries` times. An answer that
  is not JSON at all (an HTML error page from Telegram's front end or a proxy during an outage,
  which aiogram raises as `ClientDecodeError`) counts as a 5xx: the Bot API never saw the call.
  JSON that merely fails validation is *not* retried: the call may have been carried out.
* Per chat, requests go out one at a time in the order they were made (a FIFO lock), so a
  flood wait delays the chat's later messages instead of letting them overtake.

Everything else (400, 403 "bot was blocked", …) is raised at once: retrying cannot fix it.
`getUpdates` is left to aiogram's polling loop, which has its own backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class ResilientRequests(BaseRequestMiddleware):
    """Retry 429/5xx/network failures and keep each chat's requests in order."""

    def __init__(
        self,
        *,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        max_flood_waits: int = 30,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_flood_waits = max_flood_waits
        self._sleep = sleep
        self._chat_locks: dict[Any, asyncio.Lock] = {}
        self.flood_waits = 0
        self.retries = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None:
            return await self._send(make_request, bot, method)
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        async with lock:
            return await self._send(make_request, bot, method)

    async def _send(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        failures = floods = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as err:
                floods += 1
                if floods > self.max_flood_waits:
                    raise
                self.flood_waits += 1
                log.info("%s: flood control, waiting %ss", type(method).__name__, err.retry_after)
                await self._sleep(err.retry_after + 0.05)
            except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as err:
                if isinstance(err, ClientDecodeError) and not is_error_page(err):
                    raise
                failures += 1
                if failures > self.max_retries:
                    raise
                self.retries += 1
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (failures - 1))
                log.info(
                    "%s failed (%s); retry %d in %.1fs",
                    type(method).__name__, type(err).__name__, failures, delay,
                )
                await self._sleep(delay)


def is_error_page(err: ClientDecodeError) -> bool:
    """True when the answer was not JSON at all (an HTML/plain error page, not a Bot API reply).

    aiogram keeps the undecodable body as text in `err.data`; a body that *was* JSON but did not
    fit the expected model arrives as a dict/list instead, and may mean the call went through.
    """
    return isinstance(err.data, (str, bytes))
