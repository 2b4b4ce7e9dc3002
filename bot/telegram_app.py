"""Builds the Telegram bot: Bot + Dispatcher + routers + services + notifier (+ the pipeline).

`build_bot_app(settings, db, ...)` returns a `BotApp` with `start()` / `stop()`; tests build it
against the fake Bot API server and flowsim, production (`run_bot`) against Telegram and Flow.
`settings.telegram.api_base_url` / `local_mode` point aiogram at a self-hosted Bot API server
(or the test server) exactly as a user would configure it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.handlers import build_routers
from bot.handlers.intake import process_intake
from bot.logsafe import register_secret
from bot.pipeline.catalog_learned import load_installed
from bot.pipeline.flow.api import FlowClient, SessionInfo
from bot.services.audit import AuditService
from bot.services.batches import BatchService
from bot.services.budgets import BudgetService
from bot.services.dialogs import DialogService, MessageRefs
from bot.services.sessions import SessionService
from bot.services.users import UserService
from bot.storage.db import Database
from bot.storage.queue import TaskQueue
from bot.storage.sweep import sweep_at_start
from bot.telegram import keyboards
from bot.telegram.errors import install_error_handler
from bot.telegram.i18n import DEFAULT, LANGUAGES, UserI18nMiddleware
from bot.telegram.intake import IntakeCollector, RecentDrafts
from bot.telegram.limits import FitToLimits
from bot.telegram.middlewares import AccessMiddleware, ButtonOrderMiddleware, ServicesMiddleware
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.resilience import ResilientRequests

log = logging.getLogger(__name__)

# Bot API methods the bot calls while running (see `BotApp.warm_up`).
_METHODS_USED = (
    methods.SendMessage, methods.EditMessageText, methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery, methods.SendChatAction, methods.SendVideo, methods.SendDocument,
    methods.SendMediaGroup, methods.SendPhoto, methods.DeleteMessage, methods.GetFile,
    methods.SetMyCommands, methods.GetUpdates, methods.SetMessageReaction,
    methods.EditMessageMedia, methods.EditMessageCaption,  # the review view (issue 13)
)


@dataclass
class BotApp:
    """A built bot: call `start()` to begin polling (and the pipeline), `stop()` to end."""

    bot: Bot
    dp: Dispatcher
    notifier: TelegramNotifier
    intake: IntakeCollector
    services: dict[str, Any]
    settings: Settings
    pipeline: Any = None
    requests: ResilientRequests | None = None
    gallery: Any = None  # bot/webapp's GalleryServer when WEBAPP_ENABLED (issue 21)
    _polling: asyncio.Task | None = field(default=None, repr=False)

    async def start(self) -> None:
        await self.sweep()
        # What the account offers: the catalogue learned from the page, stored by the last
        # survey (`catalog.learn`); our knowledge until there is one. Retirements are judged
        # by the injected clock's day.
        await load_installed(self.services["users"].db, self.services.get("clock"))
        await self.warm_up()
        await self.set_commands()
        if self.pipeline is not None:
            await self.pipeline.start()
        if self.gallery is not None:
            await self.gallery.start()
        polling = asyncio.Event()
        self.dp.startup.register(polling.set)
        self._polling = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, close_bot_session=False,
                                  polling_timeout=10, allowed_updates=self.dp.resolve_used_update_types())
        )
        # Return once aiogram is polling, so an update sent right after start() is not racing it.
        await asyncio.wait({self._polling, asyncio.create_task(polling.wait())},
                           return_when=asyncio.FIRST_COMPLETED)

    async def sweep(self) -> list[Path]:
        """Delete what a killed process left half-written, and downloads no dialog holds.

        Runs before polling and the pipeline start, so none of it can be in use (see
        `bot/storage/sweep.py`); synchronous on purpose, so no writer on the loop interleaves.
        """
        held = await self.services["dialogs"].held_files()
        data_dir = Path(self.settings.paths.data_dir)
        return sweep_at_start(
            data_dir, blob_dir=self.settings.blob_dir, held_images=held,
            session_files=(self.settings.session_file, data_dir / "flowsim_session.json"),
        )

    async def warm_up(self) -> None:
        """Pay one-off costs now rather than in the middle of a conversation.

        Measured with bench/bot_latency.py: the first use of each Bot API method builds a
        pydantic model (tens of ms on this machine), and each new SQLite reader connection
        starts a thread while the event loop waits.
        """
        for method in _METHODS_USED:
            Response[method.__returning__]  # noqa: B018 - pydantic caches the parametrised model
        db = self.services["users"].db
        await asyncio.gather(*(db.fetchone("SELECT 1") for _ in range(8)))

    async def set_commands(self) -> None:
        """The command menus: English for everyone, plus one per other language (Telegram shows
        the user the menu of their app's language_code, else the one without)."""
        for lang in LANGUAGES:
            code = None if lang == DEFAULT else lang
            await self.bot.set_my_commands(keyboards.commands(lang), scope=BotCommandScopeDefault(),
                                           language_code=code)
        for admin in self.settings.telegram.admin_ids:
            with contextlib.suppress(Exception):  # an admin who never opened the chat
                for lang in LANGUAGES:
                    await self.bot.set_my_commands(
                        keyboards.commands(lang, admin=True), scope=BotCommandScopeChat(chat_id=admin),
                        language_code=None if lang == DEFAULT else lang)

    async def stop(self) -> None:
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self.gallery is not None:  # no new gallery requests either, before the pipeline stops
            await self.gallery.stop()
        await self.intake.drain()
        if self.pipeline is not None:
            await self.pipeline.stop()
        await self.notifier.close()
        await self.bot.session.close()

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        """Poll until polling ends or `stop` is set (SIGTERM/SIGINT), then stop everything:
        polling first (no new updates), then the pipeline (its leases handed back)."""
        await self.start()
        try:
            assert self._polling is not None
            if stop is None:
                await self._polling
                return
            waiter = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({self._polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if stop.is_set():
                log.info("stopping: polling, then the pipeline (in-flight work is handed back)")
        finally:
            await self.stop()


def make_bot(settings: Settings) -> tuple[Bot, ResilientRequests]:
    """The aiogram Bot, pointed at Telegram or at `TELEGRAM_API_BASE_URL`, with retries."""
    token = settings.require_bot_token()
    register_secret(token)
    tg = settings.telegram
    if tg.api_base_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.api_base_url, is_local=tg.local_mode))
    else:
        session = AiohttpSession()
    requests = ResilientRequests()
    session.middleware(requests)
    session.middleware(FitToLimits())  # over-long texts are cut safely instead of refused
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                                                   link_preview_is_disabled=True))
    return bot, requests


def build_bot_app(
    settings: Settings,
    db: Database,
    *,
    flow_client: FlowClient | None = None,
    clock: Clock | None = None,
    queue: TaskQueue | None = None,
    with_pipeline: bool = True,
    pipeline_options: dict[str, Any] | None = None,
    account: Any = None,
    session_verifier: Any = None,
    intake_window_s: float = 1.0,
) -> BotApp:
    """Wire everything; nothing talks to the network until `BotApp.start()`."""
    clock = clock or SystemClock()
    queue = queue or TaskQueue(db)
    data_dir = Path(settings.paths.data_dir)
    bot, requests = make_bot(settings)

    users = UserService(db, settings)
    dialogs = DialogService(db, data_dir / "incoming")
    refs = MessageRefs(db)
    budgets = BudgetService(db, clock, frozenset(settings.telegram.admin_ids), plan=settings.flow.plan)
    batches = BatchService(db, queue, settings, clock, data_dir, budgets=budgets)
    audit = AuditService(db, clock)
    if account is None:
        from bot.services.account import AccountService

        account = AccountService(db, queue, clock, settings)
    verifier = session_verifier or (_verifier_for(settings, flow_client, clock) if flow_client else None)
    sessions = SessionService(
        settings.session_file, settings.flow.base_url, verifier,
        _installer_for(settings, flow_client) if flow_client is not None else None,
    )
    notifier = TelegramNotifier(bot, refs, batches, settings, link_for=_link_maker(settings))
    # Work held for a retired model: the admins hear of each model once (issue 17).
    batches.on_held = users.on_held = notifier.retirement_noticed
    drafts = RecentDrafts(settings.telegram.draft_join_s)
    intake = IntakeCollector(
        functools.partial(process_intake, bot=bot, dialogs=dialogs, users=users, batches=batches,
                          drafts=drafts),
        window_s=intake_window_s,
    )
    services: dict[str, Any] = {
        "users": users, "dialogs": dialogs, "refs": refs, "batches": batches, "account": account,
        "sessions": sessions, "intake": intake, "drafts": drafts, "flow": flow_client,
        "settings": settings,
        "notifier": notifier, "budgets": budgets, "audit": audit,
        "incoming_dir": data_dir / "incoming", "clock": clock,
        "download_limit": settings.telegram.download_limit_bytes,
    }
    dp = Dispatcher()
    # Button order first: it takes its FIFO lock before anything awaits (the locale look-up
    # reads the database, and two quick taps could pass each other there). Then the locale, so
    # every answer after it (the access refusal too) is in it.
    dp.update.outer_middleware(ButtonOrderMiddleware())
    dp.update.outer_middleware(UserI18nMiddleware(users))
    dp.update.outer_middleware(AccessMiddleware(users))
    dp.update.outer_middleware(ServicesMiddleware(services))
    dp.include_routers(*build_routers())
    install_error_handler(dp, settings.telegram.admin_ids)

    pipeline = None
    if with_pipeline and flow_client is not None:
        pipeline = _make_pipeline(settings, db, queue, flow_client, notifier, clock, data_dir,
                                  pipeline_options or {})
    gallery = None
    if settings.webapp.enabled:
        from bot.webapp.server import GalleryServer

        gallery = GalleryServer(settings, services, notifier, clock, _store_for(settings))
        notifier.on_clips = gallery.posters.warm  # posters made as clips arrive, not at first open
    return BotApp(bot, dp, notifier, intake, services, settings, pipeline, requests, gallery)


def _store_for(settings: Settings) -> Any:
    """The R2 store when clips are kept there (the gallery presigns its links), else None."""
    if settings.storage.backend != "r2":
        return None
    from bot.storage.blobstore import R2Store

    return R2Store.from_settings(settings.storage)


def _make_pipeline(settings: Settings, db: Database, queue: TaskQueue, flow: FlowClient,
                   notifier: TelegramNotifier, clock: Clock, data_dir: Path, options: dict) -> Any:
    from bot.pipeline.loop import Pipeline
    from bot.pipeline.upscale import Upscaler

    blobstore = options.pop("blobstore", None)
    return Pipeline(db, queue, flow, Upscaler(settings.upscale), blobstore, notifier, settings, clock,
                    data_dir=data_dir, **options)


def _link_maker(settings: Settings) -> Any:
    """Links for files over the upload limit: presigned R2 URLs when R2 is configured."""
    if settings.storage.backend != "r2":
        return None
    from bot.storage.blobstore import R2Store, sha256_file

    store = R2Store.from_settings(settings.storage)

    async def link_for(path: Path, name: str) -> str | None:
        digest = await asyncio.to_thread(sha256_file, path)
        key = f"deliveries/{digest[:16]}/{name}"
        await store.put(key, path)
        return await store.presign(key, settings.storage.link_expiry_s)

    return link_for


def _verifier_for(settings: Settings, live: Any, clock: Clock) -> Any:
    """Open Flow with a candidate session in a throwaway context of the same browser."""

    async def verify(candidate: Path) -> SessionInfo:
        from bot.pipeline.flow.client import PlaywrightFlowClient

        browser = getattr(getattr(live, "session", None), "browser", None)
        probe = PlaywrightFlowClient(live.settings, candidate, clock,
                                     settings.paths.data_dir / "artifacts", browser=browser,
                                     ledger_file=candidate.with_suffix(".probe.json"))
        try:
            await probe.start()
            return await probe.check_session()
        finally:
            await probe.close()
            candidate.with_suffix(".probe.json").unlink(missing_ok=True)

    return verify


def _installer_for(settings: Settings, live: Any) -> Any:
    """Swap the verified file in and restart the live client on it.

    `close()` saves the live context's (old) storage_state over the session file, so the new
    file is moved into place only after the close.
    """

    async def install(candidate: Path) -> None:
        session_file = Path(getattr(getattr(live, "session", None), "session_file", settings.session_file))
        reload = getattr(live, "reload_session", None)
        if reload is not None:
            os.replace(candidate, session_file)
            await reload()
            return
        await live.close()
        os.replace(candidate, session_file)
        await live.start()

    return install


async def run_bot(settings: Settings, db: Database, stop: asyncio.Event | None = None) -> None:
    """Production entry point (called by `bot.app.serve`): Flow client, pipeline, polling.

    Runs until `stop` is set (by `flowbot serve` on SIGTERM/SIGINT); then everything stops in
    order, and the Flow client closes last: the session is saved and the simulator child ends.
    """
    from bot.pipeline.flow.factory import open_flow

    clock = SystemClock()
    # open_flow gives the simulator backend a session file of its own, so trying flowsim never
    # overwrites the admin's real Google session.
    runtime = await open_flow(settings, clock)
    blobstore = None
    if settings.storage.backend == "r2":
        from bot.storage.blobstore import R2Store

        blobstore = R2Store.from_settings(settings.storage)
    try:
        if stop is not None and stop.is_set():
            return  # a signal came while Flow was starting
        app = build_bot_app(settings, db, flow_client=runtime.client, clock=clock,
                            pipeline_options={"blobstore": blobstore})
        await app.run_forever(stop)
    finally:
        await runtime.aclose()
