"""Injected faults: 429 floods (manual and automatic), 5xx failures and blocked users.

Only *sending* methods (send*, edit*, copy/forward) are subject to floods; those and
sendChatAction get 403 for a user who blocked the bot. The automatic limiter is a token bucket per chat (1 msg/s, bursts of 3) and one
overall (30/s); it is off unless `enforce_flood` is set.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from fake_telegram.errors import SERVER_ERRORS, ApiError, forbidden, too_many_requests

SENDING = frozenset({
    "sendmessage", "sendphoto", "sendvideo", "senddocument", "sendmediagroup", "sendaudio",
    "sendanimation", "sendvoice", "sendsticker", "editmessagetext", "editmessagecaption",
    "editmessagereplymarkup", "editmessagemedia", "copymessage", "forwardmessage",
})


BLOCKABLE = SENDING | {"sendchataction"}


class HtmlError(ApiError):
    """A 5xx answered with an HTML page (as Telegram's nginx front does), not JSON."""


class DropConnection(Exception):
    """The connection is cut without an answer (a network error on the client side)."""


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def wait(self) -> int:
        """0 if a token is available now, else the whole seconds until one is."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0 if self.tokens >= 1 else max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class Faults:
    """The fault plan consulted before every call."""

    enforce_flood: bool = False
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    global_rate: float = 30.0
    floods: list[list] = field(default_factory=list)  # [chat_id|None, retry_after, remaining]
    failures: list[list] = field(default_factory=list)  # [method|None, status, remaining, html]
    drops: list[list] = field(default_factory=list)  # [method|None, remaining]
    blocked: set[int] = field(default_factory=set)
    _chats: dict[int | str, _Bucket] = field(default_factory=dict)
    _global: _Bucket | None = None

    def check(self, method: str, chat_id: int | str | None) -> None:
        """Raise the ApiError (or DropConnection) planned for this call, if any."""
        for plan in self.drops:
            if (plan[0] is None and method != "getupdates") or plan[0] == method:
                plan[1] -= 1
                if plan[1] <= 0:
                    self.drops.remove(plan)
                raise DropConnection(method)
        for plan in self.failures:
            target, status, _, html = plan
            if (target is None and method != "getupdates") or target == method:
                plan[2] -= 1
                if plan[2] <= 0:
                    self.failures.remove(plan)
                error_cls = HtmlError if html else ApiError
                raise error_cls(status, SERVER_ERRORS.get(status, "Internal Server Error"))
        if method in BLOCKABLE and chat_id in self.blocked:
            raise forbidden("bot was blocked by the user")
        if method not in SENDING:
            return
        for plan in self.floods:
            if plan[0] is None or plan[0] == chat_id:
                plan[2] -= 1
                if plan[2] <= 0:
                    self.floods.remove(plan)
                raise too_many_requests(plan[1])
        if self.enforce_flood and chat_id is not None:
            if self._global is None:
                self._global = _Bucket(self.global_rate, self.global_rate)
            bucket = self._chats.setdefault(chat_id, _Bucket(self.chat_rate, self.chat_burst))
            wait = max(bucket.wait(), self._global.wait())
            if wait:
                raise too_many_requests(wait)
            bucket.tokens -= 1
            self._global.tokens -= 1
