"""Telegram's length limits, applied to every outgoing message in one place.

Telegram refuses (400 "message is too long") a text over 4,096 characters or a caption over
1,024, counted in UTF-16 code units *after* HTML parsing, and a callback answer over 200.
Messages composed from stored data (a long pause reason in /queue, many users in /users, many
failure reasons in a progress message) can cross that line long after the data was accepted,
and the reply is then lost. `FitToLimits` is an aiogram session middleware that shortens any
such text before it is sent: cut on a character boundary (never inside a surrogate pair, an
HTML tag or an entity), "…" appended, open HTML tags closed.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageText,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVideo,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
ELLIPSIS = "…"

_TOKENS = re.compile(r"<[^<>]*>|&(?:#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|[^<&]+|[<&]")
_NAMED = {"lt", "gt", "amp", "quot"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's unit for text limits."""
    return len(text.encode("utf-16-le")) // 2


def fit_plain(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units (with "…" when cut)."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        out.append(ch)
        used += size
    return "".join(out) + ELLIPSIS


def fit_html(text: str, limit: int) -> str:
    """Telegram-HTML `text` whose visible part is at most `limit` UTF-16 units.

    Unchanged when it fits. Otherwise the visible text is cut to `limit - 1` units, "…" is
    appended and every tag still open is closed, so the result still parses.
    """
    if _visible_len(text) <= limit:
        return text
    budget = limit - 1
    out: list[str] = []
    stack: list[str] = []
    used = 0
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token.startswith("<") and token.endswith(">") and len(token) > 1:
            inner = token[1:-1].strip()
            closing = inner.startswith("/")
            if used >= budget and not closing:
                break  # no new (empty) tag after the cut point
            words = inner.lstrip("/").split(None, 1)
            name = words[0].lower() if words else ""
            if closing:
                if stack and stack[-1] == name:
                    stack.pop()
            elif name:
                stack.append(name)
            out.append(token)
            continue
        if token.startswith("&") and token.endswith(";"):
            size = _entity_len(token)
            if used + size > budget:
                break
            out.append(token)
            used += size
            continue
        cut = False
        for ch in token:
            size = 2 if ord(ch) > 0xFFFF else 1
            if used + size > budget:
                cut = True
                break
            out.append(ch)
            used += size
        if cut:
            break
    return "".join(out) + ELLIPSIS + "".join(f"</{name}>" for name in reversed(stack))


def _visible_len(text: str) -> int:
    used = 0
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token.startswith("<") and token.endswith(">") and len(token) > 1:
            continue
        used += _entity_len(token) if token.startswith("&") and token.endswith(";") else utf16_len(token)
    return used


def _entity_len(token: str) -> int:
    body = token[1:-1]
    try:
        if body.startswith("#x"):
            return utf16_len(chr(int(body[2:], 16)))
        if body.startswith("#"):
            return utf16_len(chr(int(body[1:])))
    except (ValueError, OverflowError):
        return len(token)
    return 1 if body in _NAMED else len(token)  # unknown names stay literal, as Telegram does


def fit(text: str, limit: int, parse_mode: str | None) -> str:
    """`text` fitted to `limit` for the given parse mode (HTML-aware; others cut as plain)."""
    if parse_mode is not None and parse_mode.lower() == "html":
        return fit_html(text, limit)
    if parse_mode:
        return text  # Markdown is not used by this bot; cutting it blindly could break it
    return fit_plain(text, limit)


_TEXT_METHODS = (SendMessage, EditMessageText)
_CAPTION_METHODS = (SendPhoto, SendVideo, SendDocument, SendAnimation, SendAudio, EditMessageCaption)


class FitToLimits(BaseRequestMiddleware):
    """Shorten over-long texts, captions and callback answers before they go out."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, _TEXT_METHODS) and isinstance(method.text, str) and not method.entities:
            method.text = fit(method.text, TEXT_LIMIT, _mode(bot, method.parse_mode))
        elif isinstance(method, _CAPTION_METHODS):
            if isinstance(method.caption, str) and not method.caption_entities:
                method.caption = fit(method.caption, CAPTION_LIMIT, _mode(bot, method.parse_mode))
        elif isinstance(method, SendMediaGroup):
            method.media = [_fit_media(bot, m) for m in method.media]
        elif isinstance(method, AnswerCallbackQuery) and isinstance(method.text, str):
            method.text = fit_plain(method.text, CALLBACK_ANSWER_LIMIT)
        return await make_request(bot, method)


def _fit_media(bot: Bot, media: Any) -> Any:
    caption = getattr(media, "caption", None)
    if not isinstance(caption, str) or getattr(media, "caption_entities", None):
        return media
    fitted = fit(caption, CAPTION_LIMIT, _mode(bot, getattr(media, "parse_mode", None)))
    return media if fitted == caption else media.model_copy(update={"caption": fitted})


def _mode(bot: Bot, parse_mode: Any) -> str | None:
    if isinstance(parse_mode, Default):
        parse_mode = bot.default[parse_mode.name]
    return parse_mode if isinstance(parse_mode, str) else None
