"""Issue 14 over the fake Bot API: credit budgets, the audit log, errors reaching admins."""

from __future__ import annotations

import datetime as dt
import re

from bot.clock import FakeClock
from bot.pipeline import catalog
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    bot_settings,
    image_bytes,
    last_with,
    running_bot,
)

# 2026-11-30 12:00 UTC: the last day of a month, so one day later is a new month.
NOV_30 = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC).timestamp()


def _per_clip(settings) -> int:
    f = settings.flow
    return f.default_outputs * catalog.credits_per_output(f.default_model, f.plan, 8, "720p")


async def _card(telegram, user, caption="clouds roll over the hills"):
    before = len(telegram.outbox(user))
    await telegram.send_photo(user, image_bytes(), caption=caption)
    return await telegram.wait_for(
        lambda t: next((m for m in t.outbox(user)[before:] if "Batch #" in (m.content or "")), None))


async def _admin(telegram, command: str, needle: str):
    before = len(telegram.outbox(ADMIN))
    await telegram.send_command(ADMIN, command)
    return await telegram.wait_for(
        lambda t: next((m for m in t.outbox(ADMIN)[before:] if needle in (m.content or "")), None))


async def _press_start(telegram, user, card):
    answers = len(telegram.answers)
    await telegram.press(user, card.message_id, card.button_data("Start"))
    await telegram.wait_for(lambda t: len(t.answers) > answers)
    return telegram.answers[-1]


async def _bill(app, batch_id: int, credits: int, *, status: str = "done", at: float) -> None:
    """What the pipeline records once Flow rendered (or failed) the batch's only item."""
    def tx(conn):
        item = conn.execute("SELECT id FROM items WHERE batch_id = ?", (batch_id,)).fetchone()[0]
        b = conn.execute("SELECT model, aspect, outputs FROM batches WHERE id = ?", (batch_id,)).fetchone()
        conn.execute("INSERT INTO generations (item_id, attempt, status, outputs, model, aspect, "
                     "started_at, finished_at, credits) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                     (item, status, b[2], b[0], b[1], at, at, credits))
        conn.execute("UPDATE items SET status = ? WHERE id = ?", (status, item))
        conn.execute("UPDATE batches SET status = 'done' WHERE id = ?", (batch_id,))
    await app.services["users"].db.write_sync(tx)


async def test_budget_refused_then_fits_and_the_card_shows_what_it_leaves(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    cost = _per_clip(settings)
    async with running_bot(settings, with_pipeline=False) as app:
        await _admin(telegram, f"/users budget {ANN} {cost - 1} day", "may spend")
        card = await _card(telegram, ANN)
        assert f"this batch needs {cost}" in card.content and "1 more than is left" in card.content
        answer = await _press_start(telegram, ANN, card)
        assert answer["show_alert"] and f"needs {cost} credits" in answer["text"]
        assert (await app.services["batches"].get(1)).status == "draft"  # nothing started

        await _admin(telegram, f"/users budget {ANN} {cost * 3} day", "may spend")
        card = await _card(telegram, ANN, "a train crosses a bridge")
        assert f"0 used · this batch leaves {cost * 2}" in card.content
        answer = await _press_start(telegram, ANN, card)
        assert "started" in answer["text"]
        # The running batch is committed: the next card counts it as used.
        card = await _card(telegram, ANN, "a kite over the sea")
        assert f"{cost} used · this batch leaves {cost}" in card.content
        listing = await _admin(telegram, "/users", "Allowed users")
        assert f"💳 {cost}/{cost * 3} per day" in listing.content
        rows = await app.services["audit"].page(0)
        start = next(e for e in rows[0] if e.action == "batch_start")
        assert (start.actor_id, start.credits) == (ANN, cost)


async def test_budget_monthly_reset_and_refunds_do_not_count(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    cost = _per_clip(settings)
    clock = FakeClock(NOV_30)
    async with running_bot(settings, with_pipeline=False, clock=clock) as app:
        await _admin(telegram, f"/users budget {ANN} {cost * 2} month", "may spend")
        first = await _card(telegram, ANN)
        await _press_start(telegram, ANN, first)
        # Flow failed the first render (refunded: 0 credits billed): nothing is used.
        await _bill(app, 1, 0, status="failed", at=clock.now())
        assert await app.services["budgets"].used(ANN, "month") == 0
        second = await _card(telegram, ANN, "a kite over the sea")
        await _press_start(telegram, ANN, second)
        await _bill(app, 2, cost * 2, at=clock.now())  # billed: the whole month's budget
        third = await _card(telegram, ANN, "a lighthouse at dusk")
        answer = await _press_start(telegram, ANN, third)
        assert answer["show_alert"] and "0 left this month" in answer["text"]

        clock.advance(24 * 3600)  # 1 December: a new month, nothing carried over
        answer = await _press_start(telegram, ANN, telegram.message(ANN, third.message_id))
        assert "started" in answer["text"]


async def test_admins_are_unlimited(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    async with running_bot(settings, with_pipeline=False) as app:
        refused = await _admin(telegram, f"/users budget {ADMIN} 0 day", "never limited")
        assert "admin" in refused.content
        await app.services["budgets"].set(ADMIN, 0, "day", None)  # even a stored one is ignored
        card = await _card(telegram, ADMIN)
        assert "budget" not in card.content
        answer = await _press_start(telegram, ADMIN, card)
        assert "started" in answer["text"]
        bad = await _admin(telegram, f"/users budget {BOB} lots day", "whole number")
        assert await app.services["budgets"].get(BOB) is None and bad is not None


async def test_every_admin_command_leaves_an_audit_row(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    async with running_bot(settings, with_pipeline=False) as app:
        for command, needle in (("/session", "Flow"), ("/screenshot", "Flow client"),
                                ("/pause lunch break", "Paused"), ("/resume", "Resumed"),
                                ("/queue", "Queue"), ("/stats", "Statistics"),
                                ("/users", "Allowed users"), ("/users add 5555", "5555"),
                                ("/users remove 5555", "5555"),
                                (f"/users budget {BOB} 50 month", "may spend"),
                                ("/login", "storage_state"), ("/audit", "Audit log")):
            await _admin(telegram, command, needle)
        actions = await app.services["audit"].actions()
        assert actions == ["session", "screenshot", "pause", "resume", "queue", "stats", "users",
                           "users", "users", "users", "login", "audit"]
        entries, total = await app.services["audit"].page(0, size=50)
        details = {e.action + ":" + (e.detail or "") for e in entries}
        assert "pause:lunch break" in details and "users:add 5555" in details
        assert all(e.actor_id == ADMIN for e in entries) and total == 12
        # A non-admin's attempt is refused and recorded nowhere.
        await telegram.send_command(ANN, "/audit")
        await telegram.wait_for(lambda t: last_with(t, ANN, "for the bot's admins"))
        assert len(await app.services["audit"].actions()) == 12

        for n in range(15):  # two pages: paged with buttons
            await app.services["audit"].record(ADMIN, "pause", detail=f"n{n}")
        page = await _admin(telegram, "/audit", "Page 1 of")
        qid = await telegram.press(ADMIN, page.message_id, page.button_data("Older ➡️"))
        await telegram.wait_for(lambda t: "Page 2 of" in t.message(ADMIN, page.message_id).content)
        # aiogram's CallbackAnswerMiddleware answered the press (no spinner left behind).
        await telegram.wait_for(lambda t: any(a["callback_query_id"] == qid for a in t.answers))
        assert last_with(telegram, ADMIN, "Unhandled error") is None


async def test_an_unhandled_handler_error_alerts_admins_with_the_users_reference(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    async with running_bot(settings, with_pipeline=False):
        card = await _card(telegram, ANN)
        # Telegram refuses the card's redraw (a 400 the handler does not expect): it escapes.
        telegram.fail_next("editMessageText", status=400)
        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        sorry = await telegram.wait_for(lambda t: last_with(t, ANN, "admins have been told"))
        alert = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Unhandled error"))
        ref = re.search(r"reference ([0-9A-F]{6})", sorry.content).group(1)
        assert ref in alert.content and f"user {ANN}" in alert.content
        assert "TelegramBadRequest" in alert.content and "a button press" in alert.content
        for text in (sorry.content, alert.content):
            assert "Traceback" not in text and "File \"" not in text
        # The same failure again: the user gets a new reference, the admins are not flooded.
        telegram.fail_next("editMessageText", status=400)
        card = telegram.message(ANN, card.message_id)
        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        await telegram.wait_for(lambda t: len([m for m in t.outbox(ANN) if "admins have been told" in (m.content or "")]) == 2)
        assert len([m for m in telegram.outbox(ADMIN) if "Unhandled error" in (m.content or "")]) == 1


async def test_each_image_gets_a_reaction_as_its_receipt(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False):
        before = len(telegram.outbox(ANN))
        sent = await telegram.send_album(ANN, [(image_bytes(seed=1), "document", "a.jpg"),
                                               (image_bytes(seed=2), "document", "b.jpg")],
                                         caption="waves break on the rocks")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        for message in sent:
            assert telegram.reaction_on(ANN, message["message_id"]) == ["👍"]
        # The receipt is the reaction: the only new message is the card.
        assert [m.message_id for m in telegram.outbox(ANN)[before:]] == [card.message_id]
        # Start is green and Cancel red (Bot API button styles).
        styles = {b.get("text"): b.get("style") for row in card.reply_markup["inline_keyboard"] for b in row}
        assert styles["▶️ Start"] == "success" and styles["✖️ Cancel"] == "danger"


async def test_a_batch_behind_another_users_work_shows_its_place_and_start(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    async with running_bot(settings, with_pipeline=False):
        ann = await _card(telegram, ANN)
        await _press_start(telegram, ANN, ann)
        bob = await _card(telegram, BOB, "a lighthouse at dusk")
        await _press_start(telegram, BOB, bob)
        waiting = await telegram.wait_for(lambda t: last_with(t, BOB, "place 2 in line"))
        assert "1 batch of other users ahead" in waiting.content and "starts in about" in waiting.content
        times = [e for e in waiting.entities if e["type"] == "date_time"]
        assert len(times) == 2 and all(e["date_time_format"] == "t" for e in times)
        assert "ready ≈" in waiting.content
        # Ann's own batch waits behind nobody: no place-in-line message for her.
        assert last_with(telegram, ANN, "in line") is None


async def test_auto_upscale_is_a_user_default_and_a_card_toggle(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        await telegram.send_command(ANN, "/settings")
        prefs = await telegram.wait_for(lambda t: last_with(t, ANN, "Your defaults"))
        assert "Auto 4K: off" in prefs.content
        await telegram.press(ANN, prefs.message_id, prefs.button_data("⬆️ Auto 4K: off"))
        await telegram.wait_for(lambda t: "Auto 4K: on" in t.message(ANN, prefs.message_id).content)
        assert (await app.services["users"].defaults(ANN)).auto_upscale

        card = await _card(telegram, ANN)
        assert "upscaled to 4K as soon as it is ready" in card.content
        batches = app.services["batches"]
        assert (await batches.get(1)).auto_upscale == (await app.services["users"].defaults(ANN)).preset
        await telegram.press(ANN, card.message_id, card.button_data("⬆️ Auto 4K: on"))
        await telegram.wait_for(lambda t: "Auto 4K: off" in str(t.message(ANN, card.message_id).reply_markup))
        assert (await batches.get(1)).auto_upscale is None
        assert "as soon as it is ready" not in telegram.message(ANN, card.message_id).content
        # A forged value changes nothing.
        answers = len(telegram.answers)
        await telegram.press(ANN, card.message_id, "bc:auto:1:7", forge=True)
        await telegram.wait_for(lambda t: len(t.answers) > answers)
        assert "does not exist" in telegram.answers[-1]["text"]
        assert (await batches.get(1)).auto_upscale is None
