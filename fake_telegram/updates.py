"""The update queue behind `getUpdates` long polling.

Semantics follow the Bot API: `offset` confirms (drops) every update with a smaller id, a
negative offset keeps only the last -offset ones, `allowed_updates` is remembered between calls
(empty list = everything except chat_member/message_reaction*), a second concurrent
`getUpdates` terminates the first with 409 Conflict, and `timeout` is the long-poll wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fake_telegram.errors import ApiError

_NOT_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running")


class UpdateQueue:
    """Pending updates plus the (single) long-poll waiter."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []  # every update ever handed to the bot
        self.allowed: list[str] | None = None
        self._next_id = 1000
        self._wake = asyncio.Event()
        self._waiter: asyncio.Future[None] | None = None

    def push(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_id, kind: obj}
        self._next_id += 1
        self.pending.append(update)
        self._wake.set()
        return update

    def drop_pending(self) -> None:
        self.pending.clear()

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if not self.allowed:
            return kind not in _NOT_DEFAULT
        return kind in self.allowed

    def _ready(self, limit: int) -> list[dict[str, Any]]:
        self.pending = [u for u in self.pending if self._allowed(u)]
        return self.pending[:limit]

    async def get(self, offset: int | None, limit: int, timeout: float,
                  allowed: list[str] | None) -> list[dict[str, Any]]:
        if allowed is not None:
            self.allowed = allowed
        if offset is not None:
            if offset < 0:
                self.pending = self.pending[offset:]
            else:
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ApiError(409, CONFLICT))
        ready = self._ready(limit)
        if ready or timeout <= 0:
            return self._hand_out(ready)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not (ready := self._ready(limit)):
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0 or waiter.done():
                    break
                self._wake.clear()
                wake = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({wake, waiter}, timeout=remaining,
                                   return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
            if waiter.done() and waiter.exception() is not None:
                raise waiter.exception()  # type: ignore[misc]
        finally:
            if self._waiter is waiter:
                self._waiter = None
            if not waiter.done():
                waiter.cancel()
        return self._hand_out(ready)

    def _hand_out(self, ready: list[dict[str, Any]]) -> list[dict[str, Any]]:
        known = {u["update_id"] for u in self.delivered}
        self.delivered.extend(u for u in ready if u["update_id"] not in known)
        return ready

    def close(self) -> None:
        """Release a waiting long poll with an empty result (used on stop)."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._wake.set()
