"""The bot's languages, through aiogram's own i18n (`aiogram.utils.i18n`, gettext catalogues).

* Catalogues: `bot/locales/<lang>/LC_MESSAGES/messages.po`, compiled to `messages.mo` next to
  them (`make locales` re-extracts and compiles; the .mo files are committed and shipped as
  package data, so a fresh clone and the Docker image need no build step).
* Locale of an update: the language the user picked with /language (users.settings_json
  "language"), else the Telegram `language_code` of the update (ru*, vi* → ru, vi), else English.
  `UserI18nMiddleware` sets it for the whole update; the notifier sets it per batch owner with
  `i18n.use_locale(...)`; admins' alerts (the notifier, `bot/telegram/errors.py`) follow each
  admin's own locale the same way.
* Scope: every sentence the bot says in Telegram, admins' included. Layers below never import
  gettext: services raise errors with a stable code (`BatchError.code`, worded by
  `texts.batch_error`), the pipeline stores English sentences next to codes/kinds (worded by
  `texts.english_sentence`). The CLI (`flowbot …`, bot/cli) stays English on purpose: it is the
  operators' tool, and its output goes to terminals and logs, where English is the rule.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT = "en"
# The languages offered by /language, with their own names (never translated).
LANGUAGES: dict[str, str] = {"en": "🇬🇧 English", "ru": "🇷🇺 Русский", "vi": "🇻🇳 Tiếng Việt"}

i18n = I18n(path=LOCALES_DIR, default_locale=DEFAULT, domain=DOMAIN)


def gettext(message: str) -> str:
    """`message` in the current locale (English when no locale is set, e.g. the CLI)."""
    return i18n.gettext(message)


def pick_locale(saved: str | None, language_code: str | None) -> str:
    """The locale for a user: their /language choice, else their Telegram language, else English."""
    if saved in LANGUAGES:
        return saved  # type: ignore[return-value]
    code = (language_code or "").lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT


class UserI18nMiddleware(I18nMiddleware):
    """Sets the locale of each update from the user's stored choice or Telegram language."""

    def __init__(self, users: Any) -> None:
        super().__init__(i18n=i18n)
        self.users = users

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("event_from_user")
        if user is None:
            return DEFAULT
        saved = await self.users.language(user.id)
        locale = pick_locale(saved, user.language_code)
        if _seen.get(user.id) != locale:  # first update of this process, or a change
            _seen[user.id] = locale
            await self.users.note_telegram_locale(user.id, pick_locale(None, user.language_code))
        return locale


# user id -> the locale of their latest update. Messages the pipeline sends later (progress,
# previews) follow it; after a restart, until the user's next update, the stored /language
# choice or the stored locale of their Telegram app (settings_json "telegram_locale") is used:
# Telegram tells a bot the language_code only with an update.
_seen: dict[int, str] = {}


async def owner_locale(db: Any, user_id: int | None) -> str:
    """The locale for a message to `user_id` outside an update (the notifier)."""
    if user_id is None:
        return DEFAULT
    if user_id in _seen:
        return _seen[user_id]
    row = await db.fetchone("SELECT settings_json FROM users WHERE id = ?", (user_id,))
    try:
        stored = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        stored = {}
    stored = stored if isinstance(stored, dict) else {}
    chosen, app = stored.get("language"), stored.get("telegram_locale")
    return pick_locale(chosen if isinstance(chosen, str) else None,
                       app if isinstance(app, str) else None)


def in_owner_locale(method):
    """Decorate a notifier method whose first argument is an event with `user_id` (or a batch
    id): the method runs in that user's locale."""

    @functools.wraps(method)
    async def wrapper(self, first, *args, **kwargs):
        user_id = getattr(first, "user_id", None)
        if user_id is None and isinstance(first, int):
            view = await self.batches.get(first)
            user_id = view.user_id if view is not None else None
        with i18n.use_locale(await owner_locale(self.batches.db, user_id)):
            return await method(self, first, *args, **kwargs)

    return wrapper


def remember(user_id: int, locale: str) -> None:
    """The user just picked `locale` (/language): later pipeline messages use it at once."""
    _seen[user_id] = locale


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for `n` in the current locale (its plural rules)."""
    return i18n.gettext(singular, plural, n)


def known_locale(user_id: int | None) -> str:
    """The locale of the user's latest update (English if unknown): for answers given outside
    the middleware's scope, such as the dispatcher's error handler."""
    return _seen.get(user_id, DEFAULT) if user_id is not None else DEFAULT
