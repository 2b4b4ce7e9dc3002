"""Secrets never reach log output."""

from __future__ import annotations

import logging

from bot.logsafe import RedactingFilter, redact, register_secret


def test_registered_secrets_and_token_shapes_are_redacted():
    register_secret("r2-secret-key-value")
    text = redact("key=r2-secret-key-value url=https://api.telegram.org/bot123456:AAEabcdefghijklmnopqrstuvwxyz0123456/getMe")
    assert "r2-secret-key-value" not in text
    assert "AAEabcdefghij" not in text
    assert text.count("***") == 2


def test_log_records_are_scrubbed(caplog):
    register_secret("cookie-SID-value-123")
    logger = logging.getLogger("flowbot.test")
    handler = caplog.handler
    handler.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO):
            logger.info("session cookie %s loaded", "cookie-SID-value-123")
    finally:
        handler.removeFilter(handler.filters[-1])
    assert "cookie-SID-value-123" not in caplog.text
    assert "session cookie *** loaded" in caplog.text
