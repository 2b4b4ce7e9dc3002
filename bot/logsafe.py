"""Keep secrets out of logs: every log record is scrubbed of registered secret values."""

from __future__ import annotations

import logging
import re

_SECRETS: set[str] = set()
# Bot tokens also appear inside URLs (https://api.telegram.org/bot<token>/...).
_TOKEN_RE = re.compile(r"(?<![0-9])\d{3,12}:[A-Za-z0-9_-]{30,}")


def register_secret(value: str | None) -> None:
    """Add a value (token, key, cookie) that must never appear in a log line."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Replace every registered secret and anything shaped like a bot token with `***`."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return _TOKEN_RE.sub("***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites the formatted message with secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
