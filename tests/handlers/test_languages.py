"""Languages over HTTP (issue 14): the Telegram language by default, /language to change it,
command menus per language, and a journey in Russian and in Vietnamese.

Real aiogram polling against the fake Bot API; the journeys run the real pipeline on flowsim
with Chromium. The English journey is tests/handlers/test_journey.py (the fake's default user
speaks "en", so every English-asserting test also checks the default).
"""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ANN, BOB, bot_settings, image_bytes, last_with, running_bot

PIPELINE = {"tick_s": 0.3, "session_check_s": 0.5}

# What each language must show along the journey (card, Start's answer, progress, closing).
JOURNEY = {
    "ru": {"card": "Пакет #1 · 📝 Готов к запуску", "what": "🖼 1 изображение",
           "start": "▶️ Старт", "started": "▶️ Пакет #1 запущен.", "progress": "Завершён",
           "finished": "🏁 Пакет #1 завершён: готово", "settings": "⚙️ Настройки"},
    "vi": {"card": "Lô #1 · 📝 Sẵn sàng bắt đầu", "what": "🖼 1 hình ảnh",
           "start": "▶️ Bắt đầu", "started": "▶️ Đã bắt đầu lô #1.", "progress": "Đã xong",
           "finished": "🏁 Lô #1 đã xong:", "settings": "⚙️ Cài đặt"},
}


async def test_language_follows_telegram_then_the_language_command(telegram, tmp_path):
    telegram.user(ANN, "Ann", language_code="ru-RU")
    telegram.user(BOB, "Bob", language_code="de")  # not offered: English
    settings = bot_settings(telegram, tmp_path / "data")
    async with running_bot(settings) as app:
        await telegram.send_command(ANN, "/start")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Я превращаю ваши изображения"))
        await telegram.send_command(BOB, "/start")
        await telegram.wait_for(lambda t: last_with(t, BOB, "I turn your images"))

        await telegram.send_command(ANN, "/language")
        pick = await telegram.wait_for(lambda t: last_with(t, ANN, "Выберите язык"))
        await telegram.press(ANN, pick.message_id, pick.button_data("Tiếng Việt"))
        await telegram.wait_for(
            lambda t: "tiếng Việt" in (t.message(ANN, pick.message_id).content or ""))
        assert await app.services["users"].language(ANN) == "vi"
        # The stored choice beats the Telegram language from now on.
        await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Cách sử dụng\n• Gửi hình ảnh"))

        # A forged language payload changes nothing and is answered.
        await telegram.press(ANN, pick.message_id, "lang:xx", forge=True)
        await telegram.wait_for(lambda t: any("không có sẵn" in (a.get("text") or "")
                                              for a in t.answers))
        assert await app.services["users"].language(ANN) == "vi"

        await telegram.send_command(ANN, "/language")
        pick = await telegram.wait_for(lambda t: last_with(t, ANN, "Chọn ngôn ngữ"))
        await telegram.press(ANN, pick.message_id, pick.button_data("English"))
        await telegram.wait_for(
            lambda t: "speak English" in (t.message(ANN, pick.message_id).content or ""))
        await telegram.send_command(ANN, "/cancel")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Nothing to cancel."))


async def test_command_menus_per_language(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data")
    async with running_bot(settings):
        menus = telegram.commands_by_scope
        english = {c["command"]: c["description"] for c in menus["default"]}
        russian = {c["command"]: c["description"] for c in menus["default|ru"]}
        vietnamese = {c["command"]: c["description"] for c in menus["default|vi"]}
        assert set(english) == set(russian) == set(vietnamese) and "language" in english
        assert english["cancel"] == "Cancel the current dialog or batch"
        assert russian["cancel"] == "Отменить текущий диалог или пакет"
        assert vietnamese["language"] == "Đổi ngôn ngữ"
        admin_ru = {c["command"] for c in menus["chat:1001|ru"]}
        assert {"language", "audit", "users"} <= admin_ru


async def test_fake_bot_api_refuses_a_malformed_menu_language(telegram, tg_bot):
    with pytest.raises(TelegramBadRequest, match="LANGUAGE_CODE_INVALID"):
        await tg_bot.set_my_commands([BotCommand(command="start", description="x")],
                                     language_code="russian")
    await tg_bot.set_my_commands([BotCommand(command="start", description="Старт")],
                                 language_code="ru")
    assert telegram.commands_by_scope["default|ru"][0]["description"] == "Старт"


@pytest.mark.parametrize("lang", sorted(JOURNEY))
async def test_journey_in_each_language(lang, telegram, sim, chromium, sim_session_file, tmp_path):
    words = JOURNEY[lang]
    telegram.user(ANN, "Ann", language_code=lang)
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options=dict(PIPELINE)):
            await telegram.send_document(ANN, image_bytes(), "boat.jpg",
                                         caption="a paper boat drifts down a rainy street")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, words["card"]))
            assert words["what"] in card.content
            labels = str(card.buttons())
            assert words["settings"] in labels and "Settings" not in labels
            await telegram.press(ANN, card.message_id, card.button_data(words["start"]))
            await telegram.wait_for(lambda t: any(a.get("text") == words["started"]
                                                  for a in t.answers))
            closing = await telegram.wait_for(lambda t: last_with(t, ANN, words["finished"]),
                                              timeout=120)
            assert "finished" not in closing.content
            progress = [m for m in telegram.outbox(ANN) if "▓" in (m.content or "")]
            assert progress and words["progress"] in progress[-1].content
            previews = [m for m in telegram.outbox(ANN) if m.method in ("sendVideo", "sendMediaGroup")]
            assert previews and all(m.files for m in previews)
    finally:
        await flow.close()


async def test_error_reference_reaches_the_user_in_their_language(telegram, tmp_path):
    # Regression: the dispatcher's error handler runs outside the i18n middleware, so its polite
    # answer came out in English for everyone.
    telegram.user(ANN, "Ann", language_code="vi")
    settings = bot_settings(telegram, tmp_path / "data")
    async with running_bot(settings, with_pipeline=False):
        await telegram.send_photo(ANN, image_bytes(), caption="clouds roll over the hills")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Lô #1"))
        telegram.fail_next("editMessageText", status=400)  # the redraw fails: the error escapes
        await telegram.press(ANN, card.message_id, card.button_data("Cài đặt"))
        await telegram.wait_for(lambda t: any("Quản trị viên đã được báo" in (a.get("text") or "")
                                              for a in t.answers)
                                or last_with(t, ANN, "Quản trị viên đã được báo"))
        assert last_with(telegram, ANN, "admins have been told") is None


async def test_after_a_restart_pipeline_messages_keep_the_telegram_language(telegram, tmp_path):
    from bot.telegram import i18n as i18n_module
    from tests.handlers.harness import STRANGER

    telegram.user(ANN, "Ann", language_code="ru")
    telegram.user(STRANGER, "Eve", language_code="ru")
    settings = bot_settings(telegram, tmp_path / "data")
    async with running_bot(settings) as app:
        await telegram.send_command(ANN, "/start")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Я превращаю"))
        await telegram.send_command(STRANGER, "/start")
        await telegram.wait_for(lambda t: last_with(t, STRANGER, "закрытый бот"))
        db = app.services["users"].db
        i18n_module._seen.clear()  # what a restart forgets: only the database remains
        assert await i18n_module.owner_locale(db, ANN) == "ru"
        assert await i18n_module.owner_locale(db, BOB) == "en"
        # A stranger's language is not stored: their update creates no user row.
        assert await db.fetchone("SELECT 1 FROM users WHERE id = ?", (STRANGER,)) is None
