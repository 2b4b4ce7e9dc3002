"""The gallery's parts without a browser: init data (aiogram's checker on the fake's signing),
the page's language and headers, Again with its cost confirmed, the chat's buttons, the fake
Bot API's `web_app` buttons, settings and `flowbot doctor`, and posters made with FFmpeg."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.clock import FakeClock
from bot.config import load_settings
from bot.doctor import _gallery_url
from bot.errors import ConfigError
from bot.storage.sweep import is_temp_name
from bot.webapp.auth import AuthError, check_init_data, init_data_from
from bot.webapp.posters import PosterCache, poster_path
from fake_telegram.webapps import sign_init_data
from tests.handlers.harness import ANN, finish_item, item_ids, running_bot, started_batch
from tests.webapp.conftest import (
    PUBLIC_URL,
    Client,
    gallery_settings,
    state_of,
)

TOKEN = "123456789:AAE" + "a" * 32


def test_init_data_signed_as_telegram_signs_it_passes_and_anything_else_fails():
    now = 1_800_000_000.0
    good = sign_init_data(TOKEN, {"id": 42, "first_name": "Ann", "language_code": "ru"}, auth_date=now - 10)
    user = check_init_data(TOKEN, good, now=now, max_age_s=60)
    assert (user.id, user.language_code) == (42, "ru")
    for data, when in ((good, now + 51),                                   # stale
                       (good.replace("Ann", "Bob"), now),                  # tampered
                       (sign_init_data(TOKEN[:-1] + "b", {"id": 42}, auth_date=now), now),  # other bot
                       (sign_init_data(TOKEN, {"id": 42}, auth_date=now + 600), now),      # future
                       ("auth_date=1&hash=00", now), ("", now), ("%%%", now)):
        with pytest.raises(AuthError):
            check_init_data(TOKEN, data, now=when, max_age_s=60)
    assert init_data_from("tma abc") == "abc"
    for header in (None, "", "Bearer abc", "tma ", "tma " + "x" * 5000, "tma é"):
        with pytest.raises(AuthError):
            init_data_from(header)


async def test_page_headers_language_again_with_its_cost_and_the_chat_buttons(telegram, tmp_path, clip_file, http):
    clock = FakeClock(time.time())
    settings = gallery_settings(telegram, tmp_path / "data")
    async with running_bot(settings, clock=clock) as app:
        base = app.gallery.local_url
        async with http.get(base + "/gallery/?batch=1") as r:
            assert r.status == 200 and "gallery.js" in await r.text()
            csp = r.headers["Content-Security-Policy"]
            assert "script-src 'self' https://telegram.org" in csp and "unsafe-inline" not in csp
        async with http.get(base + "/gallery/static/gallery.js") as r:
            assert r.status == 200 and "Authorization" in await r.text()
        async with http.get(base + "/gallery", allow_redirects=False) as r:
            assert r.status == 301 and r.headers["Location"] == "/gallery/"

        batch_id = await started_batch(app, ANN, 2)
        items = await item_ids(app, batch_id)
        await finish_item(app, items[0], clip_file)
        # The review view in the chat carries the gallery's web_app button.
        view = await telegram.wait_for(lambda t: next((m for m in t.outbox(ANN) if m.kind == "video"), None))
        assert view.web_app_url("Gallery") == f"{PUBLIC_URL}/gallery/?batch={batch_id}"

        # Russian from Telegram's language_code (no /language choice saved).
        telegram.users[ANN].language_code = "ru"
        ru = Client(http, base, telegram.web_app_init_data(ANN, auth_date=clock.now()))
        status, data = await ru.get(f"/api/batches/{batch_id}?t=1")
        assert status == 200 and data["texts"]["select_all"] == "Выбрать все"
        assert data["status_label"].startswith("⏳") and data["status_label"] != "⏳ Running"
        await app.services["users"].set_language(ANN, "vi")  # a /language choice wins
        status, data = await ru.get(f"/api/batches/{batch_id}?t=1")
        assert data["texts"]["select_all"] == "Chọn tất cả"
        await app.services["users"].set_language(ANN, "en")
        status, listed = await ru.get("/api/batches")
        assert [b["id"] for b in listed["batches"]] == [batch_id]

        # Again: the cost first, then the confirmation with its ticket; a second tap is stale.
        ann = ru
        status, quote = await ann.post(f"/api/batches/{batch_id}/again/quote", {"item_id": items[0]})
        assert status == 200 and quote["cost"] > 0 and str(quote["cost"]) in quote["confirm"]
        before = await state_of(app)
        status, made = await ann.post(f"/api/batches/{batch_id}/again",
                                      {"item_id": items[0], "ticket": quote["ticket"],
                                       "prompt": "the boat turns toward the camera"})
        assert status == 200 and made["ok"] and "on their way" in made["message"]
        status, again = await ann.post(f"/api/batches/{batch_id}/again",
                                       {"item_id": items[0], "ticket": quote["ticket"]})
        assert status == 200 and not again["ok"] and again["message"].startswith("Already asked")
        after = await state_of(app)
        assert len(after["items"]) == len(before["items"]) + 1
        assert [a for a in after["audit"] if a not in before["audit"]][0][1] == "item_new_prompt"
        new_item = await app.services["batches"].db.fetchone(
            "SELECT prompt, source_item_id FROM items WHERE id = ?", (made["item_id"],))
        assert tuple(new_item) == ("the boat turns toward the camera", items[0])
        # An image not finished yet cannot be made again: a friendly refusal, nothing changes.
        status, refused = await ann.post(f"/api/batches/{batch_id}/again",
                                         {"item_id": items[1], "ticket": 0})
        assert status == 409 and refused["message"] == "That image has no finished clips yet."
        assert await state_of(app) == after

        # /gallery: a web_app button per recent batch.
        await telegram.send_command(ANN, "/gallery")
        listed = await telegram.wait_for(lambda t: next(
            (m for m in reversed(t.outbox(ANN)) if "recent batches" in (m.content or "")), None))
        assert listed.web_app_url(f"#{batch_id}") == f"{PUBLIC_URL}/gallery/?batch={batch_id}"
        assert not [c for c in telegram.calls if c.status >= 400]


async def test_gallery_off_says_so(telegram, tmp_path):
    settings = gallery_settings(telegram, tmp_path / "data", enabled=False, public_url=None)
    async with running_bot(settings) as app:
        assert app.gallery is None
        await telegram.send_command(ANN, "/gallery")
        answer = await telegram.wait_for(lambda t: next(
            (m for m in t.outbox(ANN) if "not set up" in (m.content or "")), None))
        assert "WEBAPP_PUBLIC_URL" in answer.content


async def test_fake_bot_api_knows_web_app_buttons_and_refuses_http(telegram, tg_bot):
    telegram.user(ANN, "Ann")
    ok = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text="🖼 Gallery", web_app=WebAppInfo(url="https://example.org/gallery/?batch=3"))]])
    sent = await tg_bot.send_message(ANN, "batch", reply_markup=ok)
    assert sent.reply_markup.inline_keyboard[0][0].web_app.url == "https://example.org/gallery/?batch=3"
    launch = telegram.open_web_app(ANN, sent.message_id, "Gallery")
    assert launch.url == "https://example.org/gallery/?batch=3"
    assert check_init_data(telegram.token, launch.init_data, now=time.time(), max_age_s=60).id == ANN
    for url in ("http://example.org/gallery/", "tg://resolve?domain=x", "https://"):
        bad = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text="🖼 Gallery", web_app=WebAppInfo(url=url))]])
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await tg_bot.send_message(ANN, "batch", reply_markup=bad)
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await tg_bot.edit_message_reply_markup(chat_id=ANN, message_id=sent.message_id,
                                                   reply_markup=bad)


def test_settings_and_the_doctor_row(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("WEBAPP_"):
            monkeypatch.delenv(key)
    assert load_settings(None).webapp.gallery_url(3) is None  # off by default
    monkeypatch.setenv("WEBAPP_ENABLED", "true")
    with pytest.raises(ConfigError, match="WEBAPP_PUBLIC_URL is required"):
        load_settings(None)
    monkeypatch.setenv("WEBAPP_PUBLIC_URL", "javascript:alert(1)")
    with pytest.raises(ConfigError, match="WEBAPP_PUBLIC_URL is invalid"):
        load_settings(None)
    monkeypatch.setenv("WEBAPP_PUBLIC_URL", "https://flowbot.example.com/")
    settings = load_settings(None)
    assert settings.webapp.gallery_url(12) == "https://flowbot.example.com/gallery/?batch=12"
    ok, detail = asyncio.run(_gallery_url(settings))
    assert ok and detail.startswith("https://flowbot.example.com/gallery/")
    monkeypatch.setenv("WEBAPP_PUBLIC_URL", "http://flowbot.example.com")
    ok, detail = asyncio.run(_gallery_url(load_settings(None)))
    assert not ok and "not https://" in detail and "Telegram opens Mini Apps over HTTPS only" in detail


async def test_a_poster_is_made_once_per_clip_beside_it(tmp_path, clip_file):
    clip = tmp_path / "clips" / "item001_7_v1.mp4"
    clip.parent.mkdir()
    clip.write_bytes(clip_file.read_bytes())
    cache = PosterCache()
    first, second = await asyncio.gather(cache.get(clip), cache.get(clip))  # one FFmpeg run
    assert first == second == poster_path(clip) == clip.with_name("item001_7_v1.poster.jpg")
    data = first.read_bytes()
    assert data[:2] == b"\xff\xd8" and 1000 < len(data) < 60_000
    made = first.stat().st_mtime_ns
    assert await cache.get(clip) == first and first.stat().st_mtime_ns == made  # cached
    assert sorted(p.name for p in clip.parent.iterdir()) == ["item001_7_v1.mp4", "item001_7_v1.poster.jpg"]
    # Its temporary name (written beside, renamed into place) is the start-up sweep's.
    assert is_temp_name(f".{first.name}.ab12cd34.part")
    assert await cache.get(tmp_path / "gone.mp4") is None
    await cache.close()
