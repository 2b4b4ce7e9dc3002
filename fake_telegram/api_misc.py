"""Bot-level methods: getMe, getUpdates, getFile, commands, webhook and menu-button calls.

Calls aiogram may issue at start (deleteWebhook, getWebhookInfo, setMyCommands, getMyCommands,
setChatMenuButton, setMyDescription, ...) are answered the way Telegram answers them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fake_telegram.errors import ApiError, bad_request
from fake_telegram.params import Params
from fake_telegram.registry import method

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@method("getMe")
async def get_me(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    return {**tg.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


@method("getUpdates")
async def get_updates(tg: FakeTelegram, p: Params) -> list[dict[str, Any]]:
    if tg.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    limit = p.get_int("limit", 100) or 100
    allowed = p.get_json("allowed_updates")
    return await tg.updates.get(p.get_int("offset"), max(1, min(limit, 100)),
                                float(p.get_int("timeout", 0) or 0), allowed)


@method("getFile")
async def get_file(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    file_id = p.get_str("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    stored = tg.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if tg.download_limit is not None and stored.size > tg.download_limit:
        raise bad_request("file is too big")
    path = tg.files.assign_path(stored)
    if tg.local_mode and tg.files_dir is not None:
        local = tg.files_dir / path
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(stored.data)
        path = str(local.resolve())
        tg.files.by_local[path] = stored
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": stored.size, "file_path": path}


def _scope_key(p: Params) -> str:
    """"default", "all_private_chats", "chat:<id>", "chat_member:<chat>:<user>"... + "|<lang>"."""
    scope = p.get_json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    key = ":".join([str(scope["type"])] + [str(scope[k]) for k in ("chat_id", "user_id")
                                            if k in scope])
    lang = p.get_str("language_code")
    # Telegram takes a two-letter ISO 639-1 code or none (an empty one means none).
    if lang and not re.fullmatch(r"[a-z]{2}", lang):
        raise bad_request("LANGUAGE_CODE_INVALID")
    return f"{key}|{lang}" if lang else key


@method("setMyCommands")
async def set_my_commands(tg: FakeTelegram, p: Params) -> bool:
    commands = p.get_json("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
    tg.commands_by_scope[_scope_key(p)] = cleaned
    return True


@method("getMyCommands")
async def get_my_commands(tg: FakeTelegram, p: Params) -> list[dict[str, str]]:
    return tg.commands_by_scope.get(_scope_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(tg: FakeTelegram, p: Params) -> bool:
    tg.commands_by_scope.pop(_scope_key(p), None)
    return True


@method("deleteWebhook")
async def delete_webhook(tg: FakeTelegram, p: Params) -> bool:
    tg.webhook_url = ""
    if p.get_bool("drop_pending_updates"):
        tg.updates.drop_pending()
    return True


@method("setWebhook")
async def set_webhook(tg: FakeTelegram, p: Params) -> bool:
    url = p.get_str("url") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    tg.webhook_url = url
    return True


@method("getWebhookInfo")
async def get_webhook_info(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    return {"url": tg.webhook_url, "has_custom_certificate": False,
            "pending_update_count": len(tg.updates.pending)}


@method("setChatMenuButton")
async def set_chat_menu_button(tg: FakeTelegram, p: Params) -> bool:
    button = p.get_json("menu_button") or {"type": "default"}
    if button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    tg.settings[f"menu_button:{p.get_str('chat_id') or ''}"] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    return tg.settings.get(f"menu_button:{p.get_str('chat_id') or ''}", {"type": "commands"})


_LIMITS = {"description": 512, "short_description": 120, "name": 64}


def _setter(field: str):
    async def handler(tg: FakeTelegram, p: Params) -> bool:
        value = p.get_str(field) or ""
        if len(value) > _LIMITS[field]:
            raise bad_request(f"BOT_{field.upper()}_INVALID".replace("BOT_NAME", "BOT_TITLE"))
        tg.settings[field] = value
        return True

    return handler


def _getter(field: str):
    async def handler(tg: FakeTelegram, p: Params) -> dict[str, str]:
        return {field: tg.settings.get(field, "")}

    return handler


for _field, _camel in (("description", "Description"), ("short_description", "ShortDescription"),
                       ("name", "Name")):
    method(f"setMy{_camel}")(_setter(_field))
    method(f"getMy{_camel}")(_getter(_field))


@method("logOut", "close")
async def log_out(tg: FakeTelegram, p: Params) -> bool:
    return True


@method("getChat")
async def get_chat(tg: FakeTelegram, p: Params) -> dict[str, Any]:
    chat = tg.chat(p.chat_id())
    return {**chat.as_chat(), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": True, "limited_gifts": True,
                                    "unique_gifts": True, "premium_subscription": True}}
