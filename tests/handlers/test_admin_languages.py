"""Issue 14, languages: admins and service-layer refusals speak the reader's language too.

Over HTTP against the fake Bot API (real aiogram polling, real SQLite and services): an admin
whose Telegram speaks Russian gets the /users budget form, /users, /audit, the unhandled-error
alert and a pipeline alert in Russian; a Vietnamese user whose button hits a refusal from the
service layer (`BatchError` codes) or a batch in a state that no longer fits reads it in
Vietnamese, the batch's state word included.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.pipeline.notifier import AdminAlert
from bot.telegram import i18n as i18n_module
from bot.telegram.callbacks import ReviewCb
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    bot_settings,
    image_bytes,
    last_with,
    running_bot,
)


async def _answer_after(telegram, user, message_id, data, *, forge=False):
    count = len(telegram.answers)
    await telegram.press(user, message_id, data, forge=forge)
    await telegram.wait_for(lambda t: len(t.answers) > count)
    return telegram.answers[-1].get("text") or ""


async def _admin(telegram, command: str, needle: str):
    before = len(telegram.outbox(ADMIN))
    await telegram.send_command(ADMIN, command)
    return await telegram.wait_for(
        lambda t: next((m for m in t.outbox(ADMIN)[before:] if needle in (m.content or "")), None))


async def test_a_russian_admin_gets_budgets_audit_and_alerts_in_russian(telegram, tmp_path):
    telegram.user(ADMIN, "Ada", language_code="ru")
    settings = bot_settings(telegram, tmp_path)
    try:
        async with running_bot(settings, with_pipeline=False) as app:
            done = await _admin(telegram, f"/users budget {ANN} 500 day", "может тратить")
            assert done.content == f"✅ Пользователь {ANN} может тратить 500 кредитов в день (UTC)."
            bad = await _admin(telegram, f"/users budget {ANN} 500 week", "Бюджет задаётся")
            assert "day" in bad.content and "month" in bad.content
            listing = await _admin(telegram, "/users", "Допущенные пользователи")
            assert "💳 0/500 в день" in listing.content and "администратор" in listing.content
            assert "Allowed users" not in listing.content and "per day" not in listing.content

            audit = await _admin(telegram, "/audit", "Журнал действий")
            assert re.search(r"Страница 1 из 1 · \d+ запис", audit.content)
            assert f"пользователь {ADMIN}" in audit.content and "users" in audit.content
            assert "Page" not in audit.content and "user " not in audit.content

            # An unhandled error in Ann's (English) button press: Ann's apology stays English,
            # the admin's alert is Russian, with the same reference.
            await telegram.send_photo(ANN, image_bytes(), caption="clouds roll over the hills")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
            telegram.fail_next("editMessageText", status=400)
            await telegram.press(ANN, card.message_id, card.button_data("Settings"))
            sorry = await telegram.wait_for(lambda t: last_with(t, ANN, "admins have been told"))
            alert = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Необработанная ошибка"))
            ref = re.search(r"reference ([0-9A-F]{6})", sorry.content).group(1)
            assert ref in alert.content and "нажатие кнопки" in alert.content
            assert f"пользователь {ANN}" in alert.content and "TelegramBadRequest" in alert.content
            assert "Unhandled" not in alert.content and "button press" not in alert.content

            # A pipeline alert (English words from the pipeline, a stable kind) reaches the
            # admin in Russian; Flow's own words stay quoted as they came.
            await app.notifier.admin_alert(AdminAlert(
                "credits", "The Flow account is paused (credits): You're out of credits",
                "Add credits or wait for the daily reset, then /resume."))
            paused = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Аккаунт Flow на паузе"))
            assert "(credits): You're out of credits" in paused.content
            assert "Пополните кредиты или дождитесь дневного сброса, затем /resume." in paused.content
    finally:
        # The locale cache is per process: later tests' admin (same id) must start afresh.
        i18n_module._seen.pop(ADMIN, None)


async def test_a_vietnamese_users_refusals_from_the_service_layer_are_vietnamese(telegram, tmp_path):
    telegram.user(BOB, "Bob", language_code="vi")
    settings = bot_settings(telegram, tmp_path)
    try:
        async with running_bot(settings, with_pipeline=False) as app:
            # Start on a batch that was cancelled meanwhile: the state word is Vietnamese.
            await telegram.send_photo(BOB, image_bytes(seed=1), caption="a kite over the sea")
            first = await telegram.wait_for(lambda t: last_with(t, BOB, "Lô #1"))
            start = first.button_data("Bắt đầu")
            cancelled = await _answer_after(telegram, BOB, first.message_id,
                                            first.button_data("Hủy"))
            assert cancelled.startswith("🚫") and "#1" in cancelled
            again = await _answer_after(telegram, BOB, first.message_id, start, forge=True)
            assert again == "Lô #1 đã bị hủy rồi."

            # Retry of a failed image whose copy is gone (BatchError "images_gone").
            await telegram.send_photo(BOB, image_bytes(seed=2), caption="a lighthouse at dusk")
            second = await telegram.wait_for(lambda t: last_with(t, BOB, "Lô #2"))
            db = app.services["users"].db
            item_id, image = (await db.fetchone(
                "SELECT id, image_path FROM items WHERE batch_id = 2"))[:2]
            await db.execute("UPDATE items SET status = 'failed' WHERE id = ?", (item_id,))
            await db.execute("UPDATE batches SET status = 'done' WHERE id = 2")
            Path(image).unlink()
            gone = await _answer_after(telegram, BOB, second.message_id, ReviewCb(
                action="retry_ok", batch_id=2, item_id=item_id).pack(), forge=True)
            assert gone.startswith("Ảnh của mục này không còn được lưu"), gone
            assert (await db.fetchone("SELECT status FROM items WHERE id = ?", (item_id,)))[0] == "failed"

            # A duration the model does not offer on the plan (BatchError "bad_duration",
            # its durations worded in the reader's language).
            await telegram.send_photo(BOB, image_bytes(seed=3), caption="rain on a window")
            third = await telegram.wait_for(lambda t: last_with(t, BOB, "Lô #3"))
            await db.execute("UPDATE batches SET duration = 5 WHERE id = 3")
            odd = await _answer_after(telegram, BOB, third.message_id,
                                      third.button_data("Bắt đầu"))
            assert "tạo clip dài 8 giây với gói Pro." in odd and "makes" not in odd, odd
    finally:
        i18n_module._seen.pop(BOB, None)
