"""Short-lived signed media links: a clip or its poster, never a guessable path.

A local link is `/media/<clip id>/<kind>?e=<expiry>&s=<signature>`: the signature is an
HMAC-SHA256 over the path and the expiry, keyed by `WEBAPP_SECRET` or, when that is empty, a
key derived from the bot token (so the token itself never signs anything directly). The link
names a clip id and a kind, never a file: the server looks the file up in the database, so a
path typed by hand serves nothing. Expiries are rounded up to a step, so the links of one
clip stay the same for a while and the browser's cache keeps working across polls.

Clips kept in R2 get R2's own presigned URLs instead (`R2Store.presign`).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from bot.config import Settings
from bot.logsafe import register_secret

KINDS = ("poster", "720", "1080", "4k")
_DIGITS = re.compile(r"[0-9]{1,15}")
_SIG = re.compile(r"[0-9a-f]{64}")


def media_key(settings: Settings) -> bytes:
    """The links' HMAC key: the configured secret, else one derived from the bot token."""
    secret = settings.webapp.secret
    if secret is not None and secret.get_secret_value().strip():
        value = secret.get_secret_value().strip()
        register_secret(value)
        return value.encode()
    token = settings.require_bot_token()
    register_secret(token)
    # A derived key: a leaked link key must not be the token (or let anyone compute it).
    return hmac.new(b"flowbot-gallery-media", token.encode(), hashlib.sha256).digest()


class MediaSigner:
    """Signs and checks local media links (see the module docstring)."""

    def __init__(self, key: bytes, ttl_s: int) -> None:
        self._key = key
        self.ttl_s = int(ttl_s)
        # Links made within one step share their expiry (cacheable); each lives ttl..ttl+step.
        self.step_s = max(30, self.ttl_s // 4)

    def _sig(self, path: str, expires: int) -> str:
        return hmac.new(self._key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, clip_id: int, kind: str, *, now: float) -> str:
        """A link to `kind` of clip `clip_id`, valid for at least the TTL from `now`."""
        if kind not in KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        path = f"/media/{int(clip_id)}/{kind}"
        expires = (int(now) // self.step_s + 1) * self.step_s + self.ttl_s
        return f"{path}?e={expires}&s={self._sig(path, expires)}"

    def check(self, clip_id: str, kind: str, expires: str | None, sig: str | None, *,
              now: float) -> int | None:
        """The clip id when the link is well-formed, signed by us and not expired; else None.

        Every part is bounded before use (ASCII digits of bounded length, 64 hex digits), so a
        forged link is refused without touching the database or the disk.
        """
        if kind not in KINDS or not _DIGITS.fullmatch(clip_id or "") \
                or str(int(clip_id)) != clip_id:  # one spelling per link: no "007"
            return None
        if expires is None or sig is None or not _DIGITS.fullmatch(expires) \
                or not _SIG.fullmatch(sig):
            return None
        path = f"/media/{int(clip_id)}/{kind}"
        if not hmac.compare_digest(self._sig(path, int(expires)), sig):
            return None
        if int(expires) < now or int(expires) > now + self.ttl_s + self.step_s + 60:
            return None  # expired, or an expiry we never hand out
        return int(clip_id)
