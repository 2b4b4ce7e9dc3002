"""The last resort: an exception no handler caught still ends in a polite answer, and admins hear.

aiogram hands an exception escaping a handler to the dispatcher's `errors` observers. Without
one, the user sees nothing (a message) or an endless spinner (a button). The handler built by
`install_error_handler` gives each such error a short reference id, logs the traceback under it,
sends every admin a short alert (the exception's type, where it happened, who — never a
traceback, never the user's text, so nothing secret reaches a chat) and answers the user with
the same reference: a button press gets an alert (or, when the press was already answered, a
message), a message gets a short apology.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Update

from bot.telegram import texts
from bot.telegram.i18n import i18n, known_locale, owner_locale

log = logging.getLogger(__name__)


def new_ref() -> str:
    """A short reference id an admin can search the log for (6 hex digits)."""
    return secrets.token_hex(3).upper()


def _where(update: Update) -> tuple[tuple[str, str], int | None]:
    """Where the error happened ((kind, detail): a command word, a button's payload prefix …,
    worded per admin by `texts.error_place`) and who it was."""
    if update.callback_query is not None:
        prefix = (update.callback_query.data or "").split(":", 1)[0][:8]
        return ("button", prefix or "?"), update.callback_query.from_user.id
    if update.message is not None:
        msg = update.message
        text = msg.text or msg.caption or ""
        word = text.split(maxsplit=1)[0][:32] if text.startswith("/") else None
        place = ("command", word) if word else ("message", str(msg.content_type))
        return place, msg.from_user.id if msg.from_user else None
    return ("update", str(update.event_type)), None


# The same error in the same place alerts admins once per this many seconds: a handler that
# fails for everyone must not flood the admins' chats (Telegram would throttle the bot).
ALERT_QUIET_S = 300.0


def make_error_handler(admin_ids: Iterable[int], *,
                       quiet_s: float = ALERT_QUIET_S) -> Callable[..., Awaitable[bool]]:
    """The `errors` observer: log with a reference, alert admins, answer the user."""
    admins = tuple(admin_ids)
    last_alert: dict[tuple[str, str], float] = {}

    async def on_error(event: ErrorEvent, bot: Bot, **data: Any) -> bool:
        update = event.update
        ref = new_ref()
        error = type(event.exception).__name__
        place, user_id = _where(update)
        where = texts.error_place(*place)  # English, for the log
        log.error("unhandled %s [ref %s] in update %s (%s)", error, ref, update.update_id, where,
                  exc_info=event.exception)
        # The error handler runs outside the i18n middleware: answer in the user's locale.
        with i18n.use_locale(known_locale(user_id)):
            await _answer_user(update, bot, ref)
        now = time.monotonic()
        if now - last_alert.get((error, where), float("-inf")) < quiet_s:
            return True  # told already: this reference is in the log
        last_alert[(error, where)] = now
        users = data.get("users")  # the services, when the failing update got that far
        db = getattr(users, "db", None)
        for admin in admins:
            # Each admin reads it in their own language (their /language, else their app's).
            locale = await owner_locale(db, admin) if db is not None else known_locale(admin)
            with i18n.use_locale(locale):
                alert = texts.admin_error_alert(ref, error, texts.error_place(*place), user_id)
            # An admin who never opened the chat, or Telegram down: the log still has it all.
            with contextlib.suppress(TelegramAPIError):
                await bot.send_message(admin, alert)
        return True

    return on_error


async def _answer_user(update: Update, bot: Bot, ref: str) -> None:
    """The user's polite answer with the reference; it may itself fail (the chat is gone)."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(texts.internal_error_short(ref), show_alert=True)
            return
        except TelegramAPIError:
            pass  # the handler had already answered the press: say it in the chat instead
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        with contextlib.suppress(TelegramAPIError):
            await bot.send_message(chat_id, texts.internal_error(ref))
    elif update.message is not None:
        with contextlib.suppress(TelegramAPIError):
            await update.message.answer(texts.internal_error(ref))


def install_error_handler(dp: Dispatcher, admin_ids: Iterable[int] = ()) -> None:
    """Register the last-resort handler on the dispatcher (covers every included router)."""
    dp.errors.register(make_error_handler(admin_ids))
