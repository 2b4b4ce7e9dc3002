"""Every admin command and button leaves an audit row (who, what, when, batch, detail).

`AdminAuditMiddleware` is an inner middleware of the admin routers: it runs only when one of
their handlers matched (the filters, IsAdmin included, have passed), so a refused stranger or
non-admin leaves nothing. The action is the command word or the button's action; `detail` is
kept only for commands whose arguments are plain words an admin typed on purpose (/users,
/pause); /login and every document are recorded without any content (they carry the session).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.services.audit import AuditService
from bot.telegram.callbacks import AuditCb, QueueCb, UsersCb

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Commands whose arguments are worth keeping (and hold no secret).
_KEEP_ARGS = frozenset({"users", "pause"})


def _of_message(message: Message) -> tuple[str, str | None]:
    text = message.text or message.caption or ""
    if text.startswith("/"):
        word, _, args = text.partition(" ")
        command = word[1:].split("@", 1)[0].lower()[:32] or "command"
        return command, (args.strip() or None) if command in _KEEP_ARGS else None
    if message.document is not None:
        return "login", None  # the only admin document: a session export, never recorded
    return "message", None


def _of_query(query: CallbackQuery) -> tuple[str, int | None, str | None] | None:
    data = query.data or ""
    for factory, name in ((QueueCb, "queue"), (UsersCb, "users")):
        try:
            cb = factory.unpack(data)
        except (TypeError, ValueError):
            continue
        if isinstance(cb, QueueCb):
            return f"{name}_{cb.action}", cb.batch_id, None
        return f"{name}_{cb.action}", None, f"user {cb.user_id}"
    try:
        AuditCb.unpack(data)
        return None  # paging through the audit log is not an action
    except (TypeError, ValueError):
        return "button", None, None


class AdminAuditMiddleware(BaseMiddleware):
    """Record the admin action after its handler ran (an error is recorded too, then re-raised)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        audit: AuditService | None = data.get("audit")
        if audit is None:
            return await handler(event, data)
        if isinstance(event, Message):
            actor = event.from_user.id if event.from_user else None
            action, detail = _of_message(event)
            what: tuple[str, int | None, str | None] | None = (action, None, detail)
        elif isinstance(event, CallbackQuery):
            actor = event.from_user.id
            what = _of_query(event)
        else:
            return await handler(event, data)
        try:
            result = await handler(event, data)
        except Exception:
            if what is not None:
                await audit.record(actor, what[0] + "_failed", batch_id=what[1], detail=what[2])
            raise
        if what is not None:
            await audit.record(actor, what[0], batch_id=what[1], detail=what[2])
        return result
