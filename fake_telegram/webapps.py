"""Mini Apps (`web_app` buttons): what Telegram hands the page when a user opens one.

Telegram opens a `web_app` button's https URL inside the chat and gives the page `initData`: a
query string with the user, `auth_date` and a `hash` signed with the bot token
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-web-app): the secret
key is HMAC-SHA256("WebAppData", token), the hash HMAC-SHA256(key, the sorted "k=v" lines). This
module signs it the same way, independently of the bot's own checker (aiogram's).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from fake_telegram.records import FakeUser
    from fake_telegram.server import FakeTelegram


def sign_init_data(token: str, user: dict[str, Any], *, auth_date: float | None = None,
                   **extra: str) -> str:
    """Init data for `user` signed with `token`, as Telegram builds it."""
    fields = {"user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
              "auth_date": str(int(time.time() if auth_date is None else auth_date)), **extra}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


@dataclass(frozen=True)
class WebAppLaunch:
    """A Mini App as the user's client opens it: the button's URL and the page's init data."""

    url: str
    init_data: str


class WebAppActions:
    """Mixin of `FakeTelegram`: a user taps a `web_app` button."""

    def web_app_init_data(self: FakeTelegram, user: FakeUser | int, *,
                          auth_date: float | None = None) -> str:
        """Init data Telegram would give `user` now (or at `auth_date`) for this bot."""
        who = self.user(user) if isinstance(user, int) else user
        data = {k: v for k, v in who.as_user().items() if k != "is_bot"}
        return sign_init_data(self.token or "", data, auth_date=auth_date,
                              query_id=f"AAH{secrets.token_hex(8)}", chat_type="private",
                              chat_instance=str(who.id * 7919))

    def open_web_app(self: FakeTelegram, user: FakeUser | int, message_id: int,
                     label: str) -> WebAppLaunch:
        """Tap the `web_app` button containing `label` under the bot's message in the user's
        private chat: its URL and the signed init data (KeyError: no such button)."""
        uid = user if isinstance(user, int) else user.id
        message = self.message(uid, message_id)
        return WebAppLaunch(message.web_app_url(label), self.web_app_init_data(user))
