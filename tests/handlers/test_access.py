"""Access control, /start and /help, admin commands from non-admins, the command menu."""

from __future__ import annotations

from tests.handlers.harness import (
    ADMIN,
    ANN,
    STRANGER,
    bot_settings,
    eventually,
    last_with,
    running_bot,
    texts_of,
)


async def _equals(value, expected) -> bool:
    return await value == expected


async def test_start_help_and_command_menu(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)):
        await telegram.send_command(ANN, "/start")
        await telegram.wait_for(lambda t: last_with(t, ANN, "three") or last_with(t, ANN, "Send one or more images"))
        await telegram.send_command(ANN, "/help")
        help_msg = await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"))
        assert "/session" not in help_msg.content  # admin commands are not shown to users
        await telegram.send_command(ADMIN, "/help")
        admin_help = await telegram.wait_for(lambda t: last_with(t, ADMIN, "How to use me"))
        assert "/login" in admin_help.content
    names = {c["command"] for c in telegram.commands}
    assert {"start", "help", "status", "settings", "cancel", "history"} <= names
    assert "login" not in names
    admin_menu = {c["command"] for c in telegram.commands_by_scope.get(f"chat:{ADMIN}", [])} or {
        c["command"] for scope, cmds in telegram.commands_by_scope.items() if str(ADMIN) in scope for c in cmds}
    assert {"login", "pause", "users"} <= admin_menu


async def test_stranger_gets_one_polite_reply_and_leaves_only_a_counter(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        stranger = telegram.user(STRANGER, "Eve", username="eve")
        await telegram.send_command(stranger, "/start")
        await telegram.wait_for(lambda t: t.outbox(STRANGER))
        await telegram.send_text(stranger, "hello?")
        await telegram.send_command(stranger, "/status")
        await telegram.send_command(ANN, "/help")  # a later update proves the others were handled
        await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"))
        users = app.services["users"]
        await eventually(lambda: _equals(users.strangers_count(), 3))
        db = users.db
        assert await db.fetchone("SELECT 1 FROM users WHERE id = ?", (STRANGER,)) is None
        assert await db.fetchall("SELECT * FROM dialogs WHERE user_id = ?", (STRANGER,)) == []
    replies = texts_of(telegram, STRANGER)
    assert len(replies) == 1 and "private bot" in replies[0]


async def test_admin_commands_refused_for_users(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        account = app.services["account"]
        await telegram.send_command(ANN, "/pause")
        await telegram.wait_for(lambda t: last_with(t, ANN, "for the bot's admins"))
        assert not (await account.state()).paused
        await telegram.send_command(ANN, "/users", args=f"add {STRANGER}")
        await telegram.wait_for(lambda t: len(texts_of(t, ANN)) == 2)
        assert await app.services["users"].role_of(STRANGER) is None

        await telegram.send_command(ADMIN, "/pause")
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "Paused"))
        assert (await account.state()).paused
        await telegram.send_command(ADMIN, "/resume")
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "Resumed"))
        assert not (await account.state()).paused


async def test_admin_allows_and_removes_a_user(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)):
        newbie = telegram.user(STRANGER, "Zoe")
        await telegram.send_command(ADMIN, "/users", args=f"add {STRANGER}")
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "may now use the bot"))
        await telegram.send_command(newbie, "/start")
        await telegram.wait_for(lambda t: last_with(t, STRANGER, "Send one or more images"))

        await telegram.send_command(ADMIN, "/users")
        listing = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Allowed users"))
        assert str(STRANGER) in listing.content
        await telegram.press(ADMIN, listing.message_id, listing.button_data(f"Remove {STRANGER}"))
        await telegram.wait_for(lambda t: str(STRANGER) not in t.message(ADMIN, listing.message_id).content)

        await telegram.send_text(newbie, "still there?")
        await telegram.wait_for(lambda t: last_with(t, STRANGER, "private bot"))
