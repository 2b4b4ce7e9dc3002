"""The last resort: an exception no handler caught still ends in a polite answer.

aiogram hands an exception escaping a handler to the dispatcher's `errors` observers. Without
one, the user sees nothing (a message) or an endless spinner (a button). `on_error` logs the
exception with its update id and answers: a button press gets `answer()` (stopping the
spinner), a message gets a short apology. It is one small function so that alerting admins
(with a reference id) can be added to it later without touching any handler.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.telegram import texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    """Log an unhandled handler exception and answer the user; True marks it handled."""
    update = event.update
    log.error("unhandled %s in update %s", type(event.exception).__name__, update.update_id,
              exc_info=event.exception)
    # The answer itself may fail (the chat is gone, Telegram is down): nothing more to do then.
    with contextlib.suppress(TelegramAPIError):
        if update.callback_query is not None:
            await update.callback_query.answer(texts.INTERNAL_ERROR_SHORT, show_alert=True)
        elif update.message is not None:
            await update.message.answer(texts.INTERNAL_ERROR)
    return True


def install_error_handler(dp: Dispatcher) -> None:
    """Register `on_error` on the dispatcher (covers every included router)."""
    dp.errors.register(on_error)
