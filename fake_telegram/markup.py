"""`reply_markup` validation: the shapes and limits Telegram enforces on keyboards.

Inline buttons need non-empty text and exactly one action field; `callback_data` must be 1–64
bytes (UTF-8), else "BUTTON_DATA_INVALID"; URLs must be http(s)/tg; a `web_app` button's URL
must be https (Mini Apps open over HTTPS only); at most 100 buttons.
"""

from __future__ import annotations

import json
from typing import Any

from fake_telegram.errors import bad_request

CALLBACK_DATA_MAX = 64
MAX_BUTTONS = 100
# Bot API 9.4: an inline button's optional colour.
BUTTON_STYLES = ("danger", "success", "primary")
_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)


def _load(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    return value


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request("BUTTON_TYPE_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX:
            raise bad_request("BUTTON_DATA_INVALID")
    if "style" in button and button["style"] not in BUTTON_STYLES:
        raise bad_request("BUTTON_STYLE_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")
    if "web_app" in button:
        _check_web_app(button["web_app"])


def _check_web_app(info: Any) -> None:
    """A Mini App button: a WebAppInfo object whose url is https (Telegram opens nothing else)."""
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        raise bad_request("can't parse inline keyboard button: WebAppInfo must be an Object")
    url = info["url"]
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise bad_request(f"inline keyboard button Web App URL '{url}' is invalid: "
                          "Only HTTPS links are allowed")


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"can't parse reply keyboard markup JSON object: Field \"{key}\" "
                          "must be of type Array")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def validate(value: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Parse and validate a `reply_markup` value; returns the markup dict (or None)."""
    if value is None or value == "":
        return None
    markup = _load(value)
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                text = button if isinstance(button, str) else (
                    button.get("text") if isinstance(button, dict) else None)
                if not isinstance(text, str) or not text:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def callback_datas(markup: dict[str, Any] | None) -> list[str]:
    """Every callback_data on an inline keyboard, in reading order."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row
            if "callback_data" in b]
