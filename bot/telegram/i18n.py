"""The bot's languages, through aiogram's own i18n (`aiogram.utils.i18n`, gettext catalogues).

* Catalogues: `bot/locales/<lang>/LC_MESSAGES/messages.po`, compiled to `messages.mo` next to
  them (`make locales` re-extracts and compiles; the .mo files are committed and shipped as
  package data, so a fresh clone and the Docker image need no build step).
* Locale of an update: the language the user picked with /language (users.settings_json
  "language"), else the Telegram `language_code` of the update (ru*, vi* → ru, vi), else English.
  `UserI18nMiddleware` sets it for the whole update; the notifier sets it per batch owner with
  `i18n.use_locale(...)`.
"""

from __future__ import annotations

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
        return pick_locale(saved, user.language_code)
