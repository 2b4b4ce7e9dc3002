"""Admin commands: Flow session and sign-in, pause/resume, the queue, statistics, users.

The whole router is filtered by `IsAdmin`; `refusals` (registered after it) answers the same
commands from everyone else with a polite refusal, so a non-admin learns nothing and changes
nothing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.handlers.filters import InDialog, IsAdmin
from bot.pipeline.flow.api import FlowClient
from bot.services.account import AccountService
from bot.services.batches import BatchError, BatchService
from bot.services.budgets import BudgetService
from bot.services.dialogs import AWAITING_SESSION, DialogService
from bot.services.sessions import SessionService
from bot.services.users import UserService
from bot.telegram import keyboards, texts
from bot.telegram.auditing import AdminAuditMiddleware
from bot.telegram.callbacks import AuditCb, QueueCb, UsersCb
from bot.telegram.notifier import TelegramNotifier

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("session", "login", "pause", "resume", "queue", "stats", "users", "screenshot",
                  "audit")

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
# Every admin command and button leaves an audit row (issue 14; bot/telegram/auditing.py).
router.message.middleware(AdminAuditMiddleware())
router.callback_query.middleware(AdminAuditMiddleware())

refusals = Router(name=__name__ + ".refusals")

MAX_SESSION_DOC = 2 * 1024 * 1024
MAX_PAUSE_REASON = 200
MAX_LISTED_USERS = 50  # one line each in /users: the list stays far below 4,096 characters
MAX_BUTTONS = 40  # Telegram refuses a keyboard of more than 100 buttons ("reply markup is too long")
# Telegram user ids are positive and have at most 52 significant bits. ASCII digits only:
# str.isdigit() is also true for "²" and "٣", which int() then rejects or misreads.
_USER_ID = re.compile(r"[0-9]{1,16}")
MAX_USER_ID = 2**52 - 1


def parse_user_id(text: str) -> int | None:
    """A Telegram user id from an admin's argument, or None when it cannot be one."""
    if not _USER_ID.fullmatch(text):
        return None
    uid = int(text)
    return uid if 1 <= uid <= MAX_USER_ID else None


@refusals.message(Command(*ADMIN_COMMANDS))
async def refuse(message: Message) -> None:
    await message.answer(texts.ADMIN_ONLY)


@refusals.callback_query(QueueCb.filter())
@refusals.callback_query(UsersCb.filter())
@refusals.callback_query(AuditCb.filter())
async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(texts.ADMIN_ONLY, show_alert=True)


# -- Flow session ---------------------------------------------------------------------------------

@router.message(Command("session"))
async def session(message: Message, account: AccountService, flow: FlowClient | None = None) -> None:
    state = await account.state()
    lines = [texts.SESSION_TITLE]
    if flow is None:
        lines.append(texts.NO_FLOW_CLIENT)
        await message.answer("\n".join(lines))
        return
    info = await flow.check_session()
    plan = await account.note_session(info)
    # The driver's detail is its own (English) words, quoted as they came.
    lines.append(texts.session_state(info.signed_in, texts.esc(info.detail)))
    if plan:
        lines.append(texts.session_plan(plan.capitalize()))
    if info.credits is not None:
        lines.append(texts.credits_seen(info.credits))
    if info.checked_at:
        lines.append(texts.session_checked(
            time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(info.checked_at))))
    lines.append(_pause_line(state))
    await message.answer("\n".join(lines))
    await _send_screenshot(message, flow)
    if info.signed_in:
        await _learn_catalog(message, account, flow)


async def _learn_catalog(message: Message, account: AccountService, flow: FlowClient) -> None:
    """What the account can buy, read from the page (issue 17): a progress message, edited
    with the result once the walk is done."""
    note = await message.answer(texts.catalog_learning())
    learned = await account.learn_catalog(flow)
    if learned is None:
        await note.edit_text(texts.catalog_failed())
        return
    lines = []
    for model in learned.models:
        offer = learned.offers.get(model)
        if offer is None:
            continue
        if offer.duration_range is not None:
            durations = f"{offer.duration_range[0]}–{offer.duration_range[1]} s"
        else:
            durations = ", ".join(f"{d} s" for d in offer.durations)
        lines.append(texts.catalog_line(model, durations, offer.price(
            offer.default_duration, offer.default_resolution)))
    await note.edit_text(texts.catalog_learned(learned.build, lines))


@router.message(Command("screenshot"))
async def screenshot(message: Message, flow: FlowClient | None = None) -> None:
    if flow is None:
        await message.answer(texts.NO_FLOW_CLIENT)
        return
    await _send_screenshot(message, flow)


async def _send_screenshot(message: Message, flow: FlowClient) -> None:
    try:
        png = await flow.screenshot()
    except Exception as err:  # noqa: BLE001 - a dead browser should not break the command
        await message.answer(texts.screenshot_failed(type(err).__name__))
        return
    await message.answer_photo(BufferedInputFile(png, "flow.png"), caption=texts.SCREENSHOT_CAPTION)


@router.message(Command("login"), F.document)
async def login_with_file(message: Message, bot: Bot, sessions: SessionService,
                          dialogs: DialogService, account: AccountService) -> None:
    await _login(message, bot, sessions, dialogs, account)


@router.message(Command("login"))
async def login_ask(message: Message, dialogs: DialogService) -> None:
    await dialogs.set(message.from_user.id, message.chat.id, AWAITING_SESSION, {})
    await message.answer(texts.LOGIN_ASK)


@router.message(F.document, InDialog(AWAITING_SESSION))
async def login_document(message: Message, bot: Bot, sessions: SessionService,
                         dialogs: DialogService, account: AccountService) -> None:
    """A document sent after /login (the dialog survives restarts)."""
    await _login(message, bot, sessions, dialogs, account)


async def _login(message: Message, bot: Bot, sessions: SessionService,
                 dialogs: DialogService, account: AccountService) -> None:
    doc = message.document
    buf = io.BytesIO()
    too_big = doc.file_size is not None and doc.file_size > MAX_SESSION_DOC
    downloaded = False
    if not too_big:
        try:
            await bot.download(doc, destination=buf)
            downloaded = True
        except TelegramAPIError:
            pass
    # The message carries live credentials: remove it from the chat before anything else.
    try:
        await message.delete()
        deleted = True
    except TelegramAPIError as err:
        log.warning("could not delete the session message: %s", type(err).__name__)
        deleted = False
    note = "" if deleted else texts.LOGIN_NOT_DELETED
    if too_big:
        await message.answer(texts.LOGIN_TOO_BIG + note)
        return
    if not downloaded:
        await message.answer(texts.BAD_DOWNLOAD.format(name=texts.esc(doc.file_name or "file")) + note)
        return
    progress = await message.answer(texts.LOGIN_CHECKING)
    result = await sessions.login(buf.getvalue())
    if not result.ok:
        await progress.edit_text(texts.login_failed(result.message) + note)
        return
    await dialogs.clear(message.from_user.id, message.chat.id, AWAITING_SESSION)
    resumed = await account.resume()
    credits = result.info.credits if result.info is not None else None
    await progress.edit_text(texts.login_done(result.cookies, credits, resumed) + note)


# -- pause / resume / queue / stats ---------------------------------------------------------------

@router.message(Command("pause"))
async def pause(message: Message, command: CommandObject, account: AccountService) -> None:
    # Bounded: the reason is shown again in /queue and /session next to other lines.
    # Stored in English when none is given (other admins read it in their own language).
    reason = texts.clip(" ".join((command.args or "").split()) or texts.PAUSED_BY_ADMIN,
                        MAX_PAUSE_REASON)
    changed = await account.pause(reason)
    await message.answer(texts.PAUSED_NOW if changed else texts.ALREADY_PAUSED)


@router.message(Command("resume"))
async def resume(message: Message, account: AccountService) -> None:
    changed = await account.resume()
    await message.answer(texts.RESUMED if changed else texts.NOT_PAUSED)


@router.message(Command("queue"))
async def queue(message: Message, account: AccountService) -> None:
    text, markup = await _queue_view(account)
    await message.answer(text, reply_markup=markup)


@router.callback_query(QueueCb.filter(F.action == "cancel"))
async def queue_cancel(query: CallbackQuery, callback_data: QueueCb, batches: BatchService,
                       account: AccountService, notifier: TelegramNotifier) -> None:
    try:
        view = await batches.get(callback_data.batch_id)
        if view is None:
            await query.answer(texts.GONE, show_alert=True)
        elif view.status in ("draft", "running"):
            await batches.cancel(view.id, view.user_id)
            await query.answer(texts.queue_cancelled(view.id))
            await notifier.show_batch_state(view.id)  # the owner's card must not say "Running"
        else:
            await query.answer(texts.batch_already(view.id, view.status))
    except BatchError as err:
        await query.answer(texts.batch_error(err), show_alert=True)
    if query.message is not None:
        text, markup = await _queue_view(account)
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(text, reply_markup=markup)


async def _queue_view(account: AccountService) -> tuple[str, Any]:
    overview = await account.queue_overview()
    state = await account.state()
    lines = [texts.QUEUE_TITLE, _pause_line(state)]
    tasks = overview["tasks"]
    if tasks:
        lines.append(texts.queue_tasks([(kind, n.get("running", 0), n.get("queued", 0))
                                        for kind, n in sorted(tasks.items())]))
    running = overview["running_batches"]
    if not running:
        lines.append(texts.NO_BATCH_RUNNING)
    for b in running:
        lines.append(texts.queue_batch(b["id"], b["user_id"], b["done"], b["total"], b["failed"]))
    if len(running) > MAX_BUTTONS:
        lines.append(texts.queue_buttons_capped(MAX_BUTTONS))
    return "\n".join(lines), keyboards.queue(b["id"] for b in running[:MAX_BUTTONS])


@router.message(Command("stats"))
async def stats(message: Message, account: AccountService) -> None:
    await message.answer(render_stats(await account.stats()))


# -- users ----------------------------------------------------------------------------------------

@router.message(Command("users"))
async def users_cmd(message: Message, command: CommandObject, users: UserService,
                    budgets: BudgetService | None = None) -> None:
    parts = (command.args or "").split()
    if len(parts) == 2 and parts[0].lower() in ("add", "allow", "remove", "del"):
        uid = parse_user_id(parts[1])
        if uid is None:
            await message.answer(texts.USER_ID_BAD)
            return
        if parts[0].lower() in ("add", "allow"):
            added = await users.allow(uid)
            await message.answer(texts.user_added(uid, added))
        else:
            await message.answer(_removed_text(uid, await users.remove(uid)))
        return
    if parts:
        await message.answer(texts.USERS_USAGE)
        return
    await _show_users(message, users, budgets)


@router.callback_query(UsersCb.filter(F.action == "remove"))
async def users_remove(query: CallbackQuery, callback_data: UsersCb, users: UserService,
                       budgets: BudgetService | None = None) -> None:
    outcome = await users.remove(callback_data.user_id)
    await query.answer(_removed_text(callback_data.user_id, outcome), show_alert=outcome == "from_settings")
    if query.message is not None:
        text, markup = await _users_view(users, budgets)
        await query.message.edit_text(text, reply_markup=markup)


def _removed_text(uid: int, outcome: str) -> str:
    return texts.user_removed(uid, outcome)


async def _show_users(message: Message, users: UserService,
                      budgets: BudgetService | None = None) -> None:
    text, markup = await _users_view(users, budgets)
    await message.answer(text, reply_markup=markup)


async def _users_view(users: UserService, budgets: BudgetService | None = None) -> tuple[str, Any]:
    people = await users.list_allowed()
    limits = await budgets.all() if budgets is not None else {}
    lines = [texts.USERS_TITLE]
    for p in people[:MAX_LISTED_USERS]:
        name = " ".join(x for x in (p.first_name, f"@{p.username}" if p.username else None) if x)
        tag = "admin" if p.role == "admin" else ("settings" if p.from_settings else "added")
        line = f"• <code>{p.id}</code> {texts.esc(texts.clip(name, 60))} ({texts.USER_TAGS[tag]})"
        if p.id in limits and p.role != "admin":  # issue 14: what the user spent of the budget
            b = limits[p.id]
            line += " " + texts.budget_tag(b.credits, b.period, await budgets.used(p.id, b.period))
        lines.append(line)
    if len(people) > MAX_LISTED_USERS:
        lines.append(texts.users_more(len(people) - MAX_LISTED_USERS))
    strangers = await users.strangers_count()
    lines.append(texts.strangers_turned_away(strangers))
    lines.append(texts.USERS_ADD_HINT)
    lines.append(texts.BUDGET_USAGE)
    removable = [p.id for p in people if not p.from_settings]
    if len(removable) > MAX_BUTTONS:
        lines.append(texts.users_buttons_capped(MAX_BUTTONS))
    return "\n".join(lines), keyboards.users(removable[:MAX_BUTTONS])


# -- rendering ------------------------------------------------------------------------------------

def _pause_line(state: Any) -> str:
    return texts.pause_line(bool(state.paused), state.kind or "", state.detail or "")


def render_stats(stats: dict[str, Any]) -> str:
    lines = [texts.STATS_TITLE]
    for label, key in ((texts.STATS_TODAY, "today"), (texts.STATS_ALL_TIME, "all_time")):
        s = stats[key]
        lines.append(texts.stats_line(label, s["generations"], s["done"], s["failed"],
                                      s["credits_spent"]))
        if s["failures_by_class"]:  # failure classes are shown by their stored names
            lines.append(texts.stats_failures(", ".join(
                f"{k} {v}" for k, v in sorted(s["failures_by_class"].items()))))
        for m in s.get("by_model", [])[:6]:
            lines.append(texts.stats_model(texts.esc(m["model"]), m["duration"], m["resolution"],
                                           m["generations"], m["credits"]))
    return "\n".join(lines)
