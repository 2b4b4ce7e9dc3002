"""`FakeTelegram`: a strict Bot API server over real HTTP, plus what tests read back.

Bot API at `{base_url}/bot{token}/{method}`, files at `{base_url}/file/bot{token}/{file_path}`;
aiogram reaches it with `TelegramAPIServer.from_base(base_url)`. Limits follow the cloud Bot
API (uploads 50 MB, photos 10 MB, getFile 20 MB) or, with `local_mode=True`, a self-hosted
`--local` server (uploads 2,000 MB, getFile unlimited, getFile's file_path an absolute path
on disk as the real `--local` server gives; it is also served over HTTP).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from fake_telegram import api_edit, api_misc, api_reactions, api_send  # noqa: F401  (register methods)
from fake_telegram.actors import UserActions
from fake_telegram.errors import (
    ApiError,
    bad_request,
    entity_too_large,
    forbidden,
    not_found,
    unauthorized,
)
from fake_telegram.faults import BLOCKABLE, DropConnection, Faults, HtmlError
from fake_telegram.files import FileStore
from fake_telegram.params import read_params
from fake_telegram.records import Call, FakeUser, SentMessage
from fake_telegram.registry import METHODS
from fake_telegram.updates import UpdateQueue
from fake_telegram.webapps import WebAppActions

MB = 1024 * 1024
log = logging.getLogger(__name__)


class FakeTelegram(UserActions, WebAppActions):
    """One fake Bot API server; see the package docstring for the test-side API."""

    upload_limit_cloud = 50 * MB
    upload_limit_local = 2000 * MB
    photo_limit = 10 * MB
    download_limit_cloud = 20 * MB

    def __init__(self, token: str | None = None, *, local_mode: bool = False,
                 files_dir: str | Path | None = None) -> None:
        self.token = token
        self.local_mode = local_mode
        # Local mode: getFile writes the file under files_dir (a temporary directory unless
        # given) and returns its absolute path, like `telegram-bot-api --local`, for aiogram's
        # is_local=True; the HTTP download route serves those paths too. `file://` URIs are
        # accepted as uploads.
        self.files_dir = Path(files_dir) if files_dir is not None else None
        self._own_files_dir: tempfile.TemporaryDirectory[str] | None = None
        self.bot_id = int(token.split(":")[0]) if token and token.split(":")[0].isdigit() \
            else 123456789
        self.bot_username = "flow_test_bot"
        self.base_url = ""
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, dict[int, SentMessage]] = {}
        self._message_seq: dict[int, int] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.faults = Faults()
        self.calls: list[Call] = []
        self.answers: list[dict[str, Any]] = []
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_timeout = 15.0
        self.chat_actions: list[tuple[int, str]] = []
        self.reactions: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (chat, message) -> set
        self.commands_by_scope: dict[str, list[dict[str, str]]] = {}
        self.settings: dict[str, Any] = {}
        self.webhook_url = ""
        self._runner: web.AppRunner | None = None
        self._after: list[tuple[str, Any]] = []

    # -- limits ---------------------------------------------------------------------------
    @property
    def upload_limit(self) -> int:
        return self.upload_limit_local if self.local_mode else self.upload_limit_cloud

    @property
    def download_limit(self) -> int | None:
        return None if self.local_mode else self.download_limit_cloud

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port; returns `base_url`."""
        if self.local_mode and self.files_dir is None:
            self._own_files_dir = tempfile.TemporaryDirectory(prefix="fake-telegram-")
            self.files_dir = Path(self._own_files_dir.name)
        app = web.Application(client_max_size=self.upload_limit_local + 10 * MB)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_files_dir is not None:
            self._own_files_dir.cleanup()
            self._own_files_dir, self.files_dir = None, None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- HTTP -----------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        call = Call(name, {}, time.time())
        self.calls.append(call)
        try:
            if self.token is not None and request.match_info["token"] != self.token:
                raise unauthorized()
            params = await read_params(request, self.upload_limit)
            call.params = params.public()
            if params.too_large:
                raise entity_too_large()
            handler = METHODS.get(name.lower())
            if handler is None:
                raise not_found()
            chat_id = _raw_chat(params.values.get("chat_id"))
            self.faults.check(name.lower(), chat_id)
            if name.lower() in BLOCKABLE and chat_id in self.users and (
                    not self.users[chat_id].started):  # type: ignore[index]
                raise forbidden("bot can't initiate conversation with a user")
            result = await handler(self, params)
            for method, callback in list(self._after):
                if method == name.lower():
                    callback(params.values, result)
        except DropConnection:
            call.status, call.error = 0, "connection dropped"
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        except HtmlError as exc:
            call.status, call.error = exc.status, exc.description
            page = f"<html><head><title>{exc.status} {exc.description}</title></head></html>"
            return web.Response(status=exc.status, text=page, content_type="text/html")
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            return web.json_response(exc.body(), status=exc.status)
        except Exception as exc:  # a bug in the fake itself: make it loud, keep the JSON shape
            log.exception("fake Telegram failed on %s", name)
            call.status, call.error = 500, f"fake server bug: {exc!r}"
            return web.json_response({"ok": False, "error_code": 500,
                                      "description": call.error}, status=500)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return web.json_response(unauthorized().body(), status=401)
        stored = self.files.by_path.get(request.match_info["path"]) or self.files.by_local.get(
            request.match_info["path"])
        if stored is None:
            return web.json_response(not_found().body(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or
                            "application/octet-stream")

    # -- state used by the handlers -------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Flow Bot",
                "username": self.bot_username}

    def chat(self, chat_id: int | str) -> FakeUser:
        if isinstance(chat_id, str):
            found = [u for u in self.users.values() if u.username == chat_id.lstrip("@")]
            if not found:
                raise bad_request("chat not found")
            return found[0]
        if chat_id not in self.users:
            raise bad_request("chat not found")
        return self.users[chat_id]

    def add_message(self, chat_id: int, method: str, *, from_bot: bool = True,
                    **fields: Any) -> SentMessage:
        message_id = self._message_seq.get(chat_id, 0) + 1
        self._message_seq[chat_id] = message_id
        msg = SentMessage(message_id=message_id, chat_id=chat_id, method=method,
                          from_bot=from_bot, **fields)
        self.chats.setdefault(chat_id, {})[message_id] = msg
        return msg

    def reaction_on(self, chat_id: int, message_id: int) -> list[str]:
        """The emoji the bot set on a message (setMessageReaction), [] when none."""
        return [r.get("emoji") or r.get("custom_emoji_id", "")
                for r in self.reactions.get((chat_id, message_id), [])]

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        msg = self.chats.get(chat_id, {}).get(message_id)
        return None if msg is None or msg.deleted else msg

    # -- reading what the bot did ---------------------------------------------------------
    def outbox(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to `chat_id` (deleted ones included, flagged)."""
        return [m for m in self.chats.get(chat_id, {}).values() if m.from_bot]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Every message in the chat, both directions, in order."""
        return list(self.chats.get(chat_id, {}).values())

    def texts(self, chat_id: int) -> list[str | None]:
        """Current text/caption of every message the bot sent to `chat_id` and didn't delete."""
        return [m.content for m in self.outbox(chat_id) if not m.deleted]

    def last(self, chat_id: int) -> SentMessage | None:
        """The bot's latest message in `chat_id`, if any."""
        sent = self.outbox(chat_id)
        return sent[-1] if sent else None

    def calls_to(self, method: str) -> list[Call]:
        """Every call of `method` (case-insensitive), in order."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def commands(self) -> list[dict[str, str]] | None:
        """The command menu an ordinary private chat shows (all_private_chats, else default)."""
        return self.commands_by_scope.get("all_private_chats", self.commands_by_scope.get(
            "default"))

    def commands_for(self, chat_id: int) -> list[dict[str, str]] | None:
        """The menu `chat_id` sees: its chat scope first, as Telegram resolves scopes."""
        return self.commands_by_scope.get(f"chat:{chat_id}", self.commands)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        return self.chats[chat_id][message_id]

    def albums(self, chat_id: int) -> list[list[SentMessage]]:
        """The bot's albums in `chat_id`, each a list of its messages."""
        groups: dict[str, list[SentMessage]] = {}
        for msg in self.outbox(chat_id):
            if msg.media_group_id and msg.from_bot:
                groups.setdefault(msg.media_group_id, []).append(msg)
        return list(groups.values())

    def dump(self) -> str:
        lines = []
        for chat_id, msgs in self.chats.items():
            lines.append(f"chat {chat_id}:")
            lines.extend("  " + m.describe() for m in msgs.values())
        failed = [f"  {c.method} → {c.status} {c.error}" for c in self.calls if c.error]
        return "\n".join(lines + (["failed calls:", *failed] if failed else []))

    async def wait_for(self, predicate: Any, timeout: float = 10) -> Any:
        """Poll until `predicate(tg)` is truthy and return it; TimeoutError with a dump."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if loop.time() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s\n{self.dump()}")
            # 20 Hz: a test waits here for most of its life, several at once on 2 cores.
            await asyncio.sleep(0.05)

    # -- faults ---------------------------------------------------------------------------
    @property
    def enforce_flood(self) -> bool:
        return self.faults.enforce_flood

    @enforce_flood.setter
    def enforce_flood(self, value: bool) -> None:
        self.faults.enforce_flood = value

    def flood(self, chat_id: int | None = None, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` sends (to `chat_id`, or any chat) answer 429 with `retry_after`."""
        self.faults.floods.append([chat_id, retry_after, count])

    def fail_next(self, method: str | None = None, status: int = 502, count: int = 1, *,
                  html: bool = False) -> None:
        """The next `count` calls of `method` (any but getUpdates if None) fail with `status`."""
        self.faults.failures.append([method.lower() if method else None, status, count, html])

    def after(self, method: str, callback: Any) -> None:
        """Call `callback(params, result)` after every successful `method` call, before the
        answer goes out: a test can kill the bot right there (the message exists in the chat,
        the bot never learns that it was sent)."""
        self._after.append((method.lower(), callback))

    def drop_next(self, method: str | None = None, count: int = 1) -> None:
        """The next `count` calls of `method` (any but getUpdates if None) lose the connection."""
        self.faults.drops.append([method.lower() if method else None, count])

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends get 403; a my_chat_member update is queued."""
        self.faults.blocked.add(user_id)
        if notify and user_id in self.users:
            self._member_update(self.users[user_id], "member", "kicked")

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        self.faults.blocked.discard(user_id)
        if notify and user_id in self.users:
            self._member_update(self.users[user_id], "kicked", "member")

    def _member_update(self, user: FakeUser, old: str, new: str) -> None:
        bot = self.bot_user()
        self.updates.push("my_chat_member", {
            "chat": user.as_chat(), "from": user.as_user(), "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot,
                                **({"until_date": 0} if new == "kicked" else {})},
        })


def _raw_chat(value: Any) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)
