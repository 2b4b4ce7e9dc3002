"""Admin tools for a bot a team shares: /audit (paged audit log) and the /users budget form.

The router is filtered by `IsAdmin` and included right after the admin router, before its
refusals; every admin handler here and there is audited by `AdminAuditMiddleware`.
"""

from __future__ import annotations

import time

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.filters import IsAdmin
from bot.services.audit import PAGE_SIZE, AuditService
from bot.services.budgets import MAX_BUDGET, PERIODS, BudgetService
from bot.services.users import UserService
from bot.telegram import texts
from bot.telegram.auditing import AdminAuditMiddleware
from bot.telegram.callbacks import AuditCb

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
router.message.middleware(AdminAuditMiddleware())
# aiogram answers the audit pager's presses itself (no hand-written query.answer()).
router.callback_query.middleware(CallbackAnswerMiddleware())


# -- /audit -------------------------------------------------------------------------------------

@router.message(Command("audit"))
async def audit_cmd(message: Message, audit: AuditService) -> None:
    text, markup = await audit_view(audit, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AuditCb.filter())
async def audit_page(query: CallbackQuery, callback_data: AuditCb, audit: AuditService) -> None:
    text, markup = await audit_view(audit, callback_data.page)
    if query.message is None:
        return
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as err:
        if "not modified" not in str(err):  # a double tap on the same page
            raise


async def audit_view(audit: AuditService, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the audit log (newest first) and its ⬅️/➡️ buttons."""
    entries, total = await audit.page(page)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages - 1)
    if page and not entries:
        entries, total = await audit.page(page)
    lines = [texts.AUDIT_TITLE]
    if not entries:
        lines.append(texts.AUDIT_EMPTY)
    for e in entries:
        when = time.strftime("%m-%d %H:%M", time.gmtime(e.at))
        detail = texts.esc(e.detail) if e.detail else None
        lines.append(texts.audit_line(when, e.actor_id, texts.esc(e.action), e.batch_id,
                                      e.credits, detail))
    lines.append(texts.audit_footer(page, pages, total))
    kb = InlineKeyboardBuilder()
    if page > 0:
        kb.button(text=texts.AUDIT_PREV, callback_data=AuditCb(page=page - 1))
    if page + 1 < pages:
        kb.button(text=texts.AUDIT_NEXT, callback_data=AuditCb(page=page + 1))
    return "\n".join(lines), kb.as_markup() if page > 0 or page + 1 < pages else None


# -- /users budget ------------------------------------------------------------------------------

async def budget_form(message: Message, args: list[str], users: UserService,
                      budgets: BudgetService, parse_user_id) -> None:  # noqa: ANN001
    """`/users budget ID CREDITS day|month` or `/users budget ID off` (args after 'budget')."""
    uid = parse_user_id(args[0]) if args else None
    if uid is None or len(args) not in (2, 3):
        await message.answer(texts.BUDGET_USAGE)
        return
    if users.is_admin(uid):
        await message.answer(texts.BUDGET_ADMIN.format(uid=uid))
        return
    if len(args) == 2:
        if args[1].lower() not in ("off", "none", "clear"):
            await message.answer(texts.BUDGET_USAGE)
            return
        cleared = await budgets.clear(uid)
        await message.answer((texts.BUDGET_OFF if cleared else texts.BUDGET_NONE).format(uid=uid))
        return
    credits_text, period = args[1], args[2].lower()
    if not (credits_text.isascii() and credits_text.isdigit() and len(credits_text) <= 9) \
            or int(credits_text) > MAX_BUDGET:
        await message.answer(texts.BUDGET_BAD_CREDITS.format(max=MAX_BUDGET))
        return
    if period not in PERIODS:
        await message.answer(texts.BUDGET_BAD_PERIOD)
        return
    await budgets.set(uid, int(credits_text), period, message.from_user.id)  # type: ignore[arg-type]
    await message.answer(texts.budget_set(uid, int(credits_text), period))


@router.message(F.text.regexp(r"^/users(@\w+)?\s+budget\b"))
async def users_budget(message: Message, users: UserService, budgets: BudgetService) -> None:
    """The budget form of /users (matched before admin's /users, which knows add/remove only)."""
    from bot.handlers.admin import parse_user_id

    args = message.text.split()[2:]
    await budget_form(message, args, users, budgets, parse_user_id)
