"""Issue 17 through the real bot over the fake Bot API: a model Flow retired holds the work that
names it and offers the nearest model in one tap (in the owner's language, admins told once per
model), and a slider model's "other…" duration takes a typed number."""

from __future__ import annotations

import pytest

from bot.pipeline import catalog, retirement
from bot.pipeline.catalog import MODELS, OMNI_12, VEO_FAST, VEO_LITE
from bot.pipeline.catalog_learned import learned_from_survey
from bot.storage import repo
from tests.fixtures.catalogs import december_baseline
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    album_card,
    bot_settings,
    last_with,
    running_bot,
)


async def _card(telegram, user: int, n: int = 2, caption: str = "a kite climbs into the wind"):
    return await album_card(telegram, user, n, caption)


async def _answer(telegram, needle: str, since: int = 0):
    return await telegram.wait_for(
        lambda t: next((a for a in t.answers[since:] if needle in (a.get("text") or "")), None))


async def _press(telegram, user: int, msg, label: str, expect: str):
    msg = telegram.message(user, msg.message_id)
    await telegram.press(user, msg.message_id, msg.button_data(label))
    await telegram.wait_for(lambda t: expect in (t.message(user, msg.message_id).content or ""))
    return telegram.message(user, msg.message_id)


def _labels(msg) -> list[str]:
    return [text for text, _ in msg.buttons()]


async def test_a_draft_from_a_retired_default_is_held_and_one_tap_switches_it(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        users, batches = app.services["users"], app.services["batches"]
        await users.set_default(ANN, "model", VEO_FAST)  # saved in October
        await users.set_default(BOB, "model", VEO_FAST)
        card = await _card(telegram, ANN)
        assert "🎞 Veo 3.1 - Fast · 8 s · 720p" in card.content
        assert "⚠️ Veo 3.1 - Fast was retired by Flow on 2026-12-07." in card.content
        assert ("This batch is on hold; nothing was spent. The nearest model is Veo 3.1 - Lite: "
                "40 credits for this batch.") in card.content
        assert "🔁 Switch to Veo 3.1 - Lite · 40 credits" in _labels(card)
        assert not any("Start" in b for b in _labels(card))  # it cannot start as it is
        notice = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Flow retired Veo 3.1 - Fast"))
        assert "on 2026-12-07: work that names it is held" in notice.content
        assert "the account is not paused" in notice.content

        # A Start pressed on an old copy of the card: refused, nothing spent.
        seen = len(telegram.answers)
        await telegram.press(ANN, card.message_id, "bc:start:1:", forge=True)
        refusal = await _answer(telegram, "switch this batch to Veo 3.1 - Lite first", seen)
        assert refusal["show_alert"] and "Nothing was spent" in refusal["text"]
        assert (await batches.get(1)).status == "draft"
        assert await app.services["users"].db.fetchall("SELECT id FROM tasks") == []

        # Bob's draft names the same model: held too, but the admins were told once.
        await _card(telegram, BOB)
        notices = [m for m in telegram.outbox(ADMIN) if "Flow retired" in (m.content or "")]
        assert len(notices) == 1
        assert await repo.kv_read(users.db, repo.KV_PAUSE) is None

        card = await _press(telegram, ANN, card, "🔁 Switch", "Veo 3.1 - Lite · 8 s · 720p")
        await _answer(telegram, "✅ Switched to Veo 3.1 - Lite.")
        assert "40 credits" in card.content and "retired" not in card.content
        assert any("Start" in b for b in _labels(card))
        view = await batches.get(1)
        assert (view.model, view.status, view.held) == (VEO_LITE, "draft", None)
        assert (await users.defaults(ANN)).model == VEO_FAST  # the saved default: its own tap


async def test_settings_show_a_retired_default_in_the_users_language(telegram, tmp_path):
    telegram.user(ANN, "Ann", language_code="ru")  # before bot_settings: users are made once
    settings = bot_settings(telegram, tmp_path)
    async with running_bot(settings) as app:
        users = app.services["users"]
        await users.set_default(ANN, "model", VEO_FAST)
        await telegram.send_command(ANN, "/settings")
        prefs = await telegram.wait_for(lambda t: last_with(t, ANN, "Flow снял Veo 3.1 - Fast"))
        assert "с 2026-12-07" in prefs.content and "Ближайшая модель — Veo 3.1 - Lite" in prefs.content
        assert "🔁 Переключить на Veo 3.1 - Lite · 10 кредитов" in _labels(prefs)
        prefs = await _press(telegram, ANN, prefs, "🔁", "Veo 3.1 - Lite · 8")
        await _answer(telegram, "✅ Переключено на Veo 3.1 - Lite.")
        assert "Flow снял" not in prefs.content
        d = await users.defaults(ANN)
        assert (d.model, d.gone) == (VEO_LITE, None)


@pytest.mark.parametrize("lang, head, button", [
    ("en", "⚠️ Batch #1: Veo 3.1 - Fast was retired by Flow on 2026-12-07.",
     "🔁 Switch to Veo 3.1 - Lite · 60 credits"),
    ("ru", "⚠️ Пакет #1: Flow снял Veo 3.1 - Fast с 2026-12-07.",
     "🔁 Переключить на Veo 3.1 - Lite · 60 кредитов"),
    ("vi", "⚠️ Lô #1: Flow đã ngừng Veo 3.1 - Fast từ 2026-12-07.",
     "🔁 Chuyển sang Veo 3.1 - Lite · 60 tín dụng"),
])
async def test_queued_clips_held_before_submit_tell_their_owner_and_switch_in_one_tap(
        telegram, tmp_path, october_catalog, lang, head, button):
    telegram.user(ANN, "Ann", language_code=lang)
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        batches, db = app.services["batches"], app.services["users"].db
        await app.services["users"].set_default(ANN, "model", VEO_FAST)
        card = await _card(telegram, ANN, 3)  # October's page still lists Fast: it starts
        await telegram.press(ANN, card.message_id, card.button_data("▶️"))
        await telegram.wait_for(lambda t: (t.message(ANN, card.message_id).content or "")
                                .count("⏳") >= 1)
        items = [i.id for i in (await batches.get(1)).items]
        # The next survey shows December's page: Fast is gone. The submit stage checks first.
        catalog.install(learned_from_survey(december_baseline("pro")))
        for item in items[:2]:
            held = await db.write_sync(lambda conn, i=item: retirement.hold_item(
                conn, i, plan="pro", now=db.now()))
            await retirement.announce(app.notifier, held)
        told = await telegram.wait_for(lambda t: last_with(t, ANN, head))
        assert button in _labels(told)
        assert len([m for m in telegram.outbox(ANN) if head in (m.content or "")]) == 1
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "Flow retired Veo 3.1 - Fast"))
        assert tuple(await db.fetchone("SELECT count(*) FROM generations")) == (0,)
        assert [i.status for i in (await batches.get(1)).items] == ["paused", "paused", "queued"]

        await telegram.press(ANN, told.message_id, told.button_data("🔁"))
        await telegram.wait_for(lambda t: not t.message(ANN, told.message_id).buttons())
        view = await batches.get(1)
        assert view.model == VEO_LITE and [i.status for i in view.items] == ["queued"] * 3
        keys = [r[0] for r in await db.fetchall("SELECT idempotency_key FROM tasks WHERE "
                                                "idempotency_key LIKE 'b1:submit:%:m1'")]
        assert len(keys) == 2


async def test_other_duration_takes_a_typed_number_checked_like_a_button(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        batches = app.services["batches"]
        card = await _card(telegram, ANN, 4)
        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        await telegram.wait_for(lambda t: "Done" in str(t.message(ANN, card.message_id).buttons()))
        card = await _press(telegram, ANN, card, "Omni 1.2", "Omni 1.2 Flash · 8 s · 720p")
        seen = len(telegram.answers)
        await telegram.press(ANN, card.message_id, card.button_data("other…"))
        ask = await _answer(telegram, "Send the clip length in seconds", seen)
        assert "from 3 to 15" in ask["text"] and ask["show_alert"]

        for typed, reply in (("١٣", "not a whole number of seconds"), ("12.5", "not a whole number"),
                             ("16", "makes clips of 3 to 15 s on the Pro plan"),
                             ("0", "makes clips of 3 to 15 s")):
            before = len(telegram.outbox(ANN))
            await telegram.send_text(ANN, typed)
            await telegram.wait_for(lambda t, r=reply, b=before: any(
                r in (m.content or "") for m in t.outbox(ANN)[b:]))
            assert (await batches.get(1)).duration == 8

        await telegram.send_text(ANN, "13 s")
        await telegram.wait_for(lambda t: last_with(t, ANN, "✅ Clip length: 13 s."))
        card = await telegram.wait_for(
            lambda t: t.message(ANN, card.message_id) if "· 13 s ·" in (
                t.message(ANN, card.message_id).content or "") else None)
        assert "384 credits" in card.content  # 4 images × 2 outputs × 48 (30 + 3 × 6)
        assert "• ⏱ 13 s" in _labels(card)  # the typed value is shown, ticked, among the presets
        assert (await batches.get(1)).duration == 13
        # The ask is used up: a number now is not a duration.
        assert await app.services["users"].pending_duration(ANN) is None

        # With start+end pairs an end frame allows 10 s at most: the reason, in plain words.
        await _press(telegram, ANN, card, "⏱ 10 s", "· 10 s ·")
        card = await _press(telegram, ANN, card, "Pairs: first + last", "2 start+end clips")
        assert [b for b in _labels(card) if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s", "• ⏱ 10 s",
                                                          "⏱ other…"]  # no 12 or 15 s
        seen = len(telegram.answers)
        await telegram.press(ANN, card.message_id, card.button_data("other…"))
        await _answer(telegram, "Send the clip length", seen)
        await telegram.send_text(ANN, "12")
        await telegram.wait_for(lambda t: last_with(t, ANN, "work up to 10 s with Omni 1.2 Flash"))
        assert (await batches.get(1)).duration == 10


async def test_other_duration_in_settings_and_the_free_plans_limit(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    settings.flow.plan = "free"
    async with running_bot(settings) as app:
        await telegram.send_command(ANN, "/settings")
        prefs = await telegram.wait_for(lambda t: last_with(t, ANN, "Your defaults"))
        assert "Omni 1.2 Flash · 8 s · 720p" in prefs.content  # no Lite on free
        await telegram.press(ANN, prefs.message_id, prefs.button_data("other…"))
        await _answer(telegram, "a whole number from 3 to 10")
        await telegram.send_text(ANN, "12")
        await telegram.wait_for(lambda t: last_with(
            t, ANN, "Omni 1.2 Flash clips over 10 s need the Pro or Ultra plan; this account is on "
                    "the Free plan."))
        await telegram.send_text(ANN, "7")
        await telegram.wait_for(lambda t: "Omni 1.2 Flash · 7 s · 720p" in (
            t.message(ANN, prefs.message_id).content or ""))
        assert (await app.services["users"].defaults(ANN)).duration == 7
        assert "bc:model:0:5" in str(telegram.message(ANN, prefs.message_id).buttons())
    assert MODELS.index(OMNI_12) == 5  # payloads carry this index: MODELS is append-only


async def test_other_on_a_model_without_a_range_asks_for_nothing(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        card = await _card(telegram, ANN)
        await telegram.press(ANN, card.message_id, "bc:durx:1:", forge=True)
        await _answer(telegram, "Veo 3.1 - Lite has no other duration")
        assert await app.services["users"].pending_duration(ANN) is None
