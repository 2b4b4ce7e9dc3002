"""Bot API method registry: `@method("sendMessage")` maps a (case-insensitive) name to a handler.

A handler is `async def handler(tg: FakeTelegram, p: Params) -> result`; it raises `ApiError`
to refuse the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[Any, Any], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = func
        return func

    return register
