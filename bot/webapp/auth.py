"""Who is asking: Telegram's signed init data, checked on every API request.

The page sends `Authorization: tma <initData>` (the string Telegram hands the Mini App). The
signature is checked with aiogram's maintained implementation (`safe_parse_webapp_init_data`:
HMAC-SHA256 keyed by the bot token, as https://core.telegram.org/bots/webapps describes); on
top of it `auth_date` must be recent (`WEBAPP_INIT_DATA_MAX_AGE_S`), so data captured once
cannot be replayed for long. Anything else is an `AuthError` (the route answers 401).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.utils.web_app import safe_parse_webapp_init_data

# Telegram's init data is a few hundred bytes; anything far larger is not worth parsing.
MAX_INIT_DATA = 4096
# A client clock a little ahead of ours is normal; an auth_date far in the future is forged or
# broken (and would otherwise never go stale).
FUTURE_SKEW_S = 60


class AuthError(Exception):
    """The request does not carry valid, fresh init data (the reason is for logs only)."""


@dataclass(frozen=True)
class WebUser:
    """The Telegram user the init data vouches for."""

    id: int
    language_code: str | None
    auth_date: float


def init_data_from(header: str | None) -> str:
    """The init data of an `Authorization: tma <data>` header, bounded; `AuthError` if absent."""
    if not header:
        raise AuthError("no Authorization header")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "tma" or not value:
        raise AuthError("not a tma Authorization header")
    if len(value) > MAX_INIT_DATA or not value.isascii():
        raise AuthError("init data too long or not ASCII")
    return value


def check_init_data(token: str, init_data: str, *, now: float, max_age_s: float) -> WebUser:
    """The user of `init_data` if Telegram signed it for this bot and it is fresh.

    Raises `AuthError` for a bad or missing signature, a missing user, or an `auth_date` older
    than `max_age_s` (or from the future) as of `now`.
    """
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except (ValueError, TypeError) as err:  # pydantic's ValidationError is a ValueError
        raise AuthError(f"init data refused: {type(err).__name__}") from None
    if data.user is None:
        raise AuthError("init data has no user")
    auth_date = data.auth_date.timestamp()
    if auth_date < now - max_age_s:
        raise AuthError("init data is stale")
    if auth_date > now + FUTURE_SKEW_S:
        raise AuthError("init data is dated in the future")
    return WebUser(int(data.user.id), data.user.language_code, auth_date)
