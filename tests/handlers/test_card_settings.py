"""The batch card's settings keyboard for each model, through the real bot over the fake Bot API:
only what the plan offers is on it, and the estimate on the card follows every change."""

from __future__ import annotations

from tests.handlers.harness import ANN, BOB, album_card, bot_settings, last_with, running_bot

# What the account offers from 2026-12-07 with no survey yet (our knowledge): Omni 1.2 Flash and
# Veo 3.1 - Lite; October's Omni 1.1 / Fast / Quality are retired (issue 17).
MODEL_BUTTONS = ("Omni 1.2", "Lite")
RETIRED_BUTTONS = ("Omni 1.1", "Fast", "Quality", "Lite (low prio)")


def _labels(msg) -> list[str]:
    return [text.lstrip("• ") for text, _ in msg.buttons()]


async def _card(telegram, user: int, n: int, caption: str = "a kite climbs into the wind"):
    return await album_card(telegram, user, n, caption, needle="Batch #")


async def _press(telegram, user: int, msg, label: str, expect: str):
    """Press the button labelled `label` and wait until the card's text contains `expect`."""
    msg = telegram.message(user, msg.message_id)
    await telegram.press(user, msg.message_id, msg.button_data(label))
    await telegram.wait_for(lambda t: expect in t.message(user, msg.message_id).content)
    return telegram.message(user, msg.message_id)


async def _settings_view(telegram, user: int, card):
    await telegram.press(user, card.message_id, card.button_data("Settings"))
    await telegram.wait_for(lambda t: "Done" in str(t.message(user, card.message_id).buttons()))
    return telegram.message(user, card.message_id)


async def test_pro_plan_offers_each_models_own_choices_and_the_estimate_follows(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        card = await _card(telegram, ANN, 2)
        # Our default model, set explicitly: Veo 3.1 - Lite, 8 s, 720p; 2 images × 2 outputs × 10.
        assert "Veo 3.1 - Lite · 8 s · 720p" in card.content and "40 credits" in card.content
        card = await _settings_view(telegram, ANN, card)
        labels = _labels(card)
        assert all(m in labels for m in MODEL_BUTTONS)
        assert not any(b in labels for b in RETIRED_BUTTONS)  # retired, or not on every Ultra
        assert not any("⏱" in b or b in ("360p", "720p") for b in labels)  # Lite on Pro: 8 s only
        assert all(len(data.encode()) <= 64 for _, data in card.buttons() if data)

        # Omni 1.2 Flash: a range (3–15 s), so a few presets and "other…", priced per second.
        card = await _press(telegram, ANN, card, "Omni 1.2", "Omni 1.2 Flash · 8 s · 720p")
        assert "96 credits" in card.content  # 2 × 2 × 24
        labels = _labels(card)
        assert [b for b in labels if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s", "⏱ 10 s", "⏱ 12 s",
                                                   "⏱ 15 s", "⏱ other…"]
        assert "360p" in labels and "720p" in labels
        assert all(len(data.encode()) <= 64 for _, data in card.buttons() if data)
        card = await _press(telegram, ANN, card, "⏱ 12 s", "· 12 s ·")
        assert "168 credits" in card.content  # 2 × 2 × (30 + 2 × 6)
        card = await _press(telegram, ANN, card, "360p", "12 s · 360p")
        assert "56 credits" in card.content  # 2 × 2 × 14 (360p: our guess)

        # A Veo model has neither 12 s nor 360p: the card falls back to what it offers.
        card = await _press(telegram, ANN, card, "Lite", "Veo 3.1 - Lite · 8 s · 720p")
        assert "40 credits" in card.content and not any("⏱" in b for b in _labels(card))
        view = await app.services["batches"].get(1)
        assert (view.model, view.duration, view.resolution) == ("Veo 3.1 - Lite", 8, "720p")

        # A forged payload for a duration Lite lacks on Pro: refused, nothing changes.
        data = card.button_data("Lite").replace(":model:", ":dur:").rsplit(":", 1)[0] + ":4"
        await telegram.press(ANN, card.message_id, data, forge=True)
        await telegram.wait_for(lambda t: any("8 s clips" in (a.get("text") or "") for a in t.answers))
        view = await app.services["batches"].get(1)
        assert (view.model, view.duration) == ("Veo 3.1 - Lite", 8)


async def test_ultra_plan_offers_4_6_8_s_on_veo_at_ultra_prices(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    settings.flow.plan = "ultra"
    async with running_bot(settings):
        card = await _card(telegram, ANN, 3)
        assert "30 credits" in card.content  # 3 × 2 × 5: Lite costs 5 on Ultra
        card = await _settings_view(telegram, ANN, card)
        assert [b for b in _labels(card) if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s"]
        card = await _press(telegram, ANN, card, "⏱ 4 s", "Veo 3.1 - Lite · 4 s · 720p")
        card = await _press(telegram, ANN, card, "Omni 1.2", "Omni 1.2 Flash · 4 s · 720p")
        assert "72 credits" in card.content  # 3 × 2 × 12
        card = await _press(telegram, ANN, card, "⏱ 15 s", "Omni 1.2 Flash · 15 s")
        assert "360 credits" in card.content  # 3 × 2 × 60


async def test_free_plan_offers_omni_12_up_to_10_s(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    settings.flow.plan = "free"
    async with running_bot(settings):
        card = await _card(telegram, ANN, 2)
        # No Lite on the free plan: the default follows what the account has.
        assert "Omni 1.2 Flash · 8 s · 720p" in card.content and "96 credits" in card.content
        card = await _settings_view(telegram, ANN, card)
        labels = _labels(card)
        assert "Lite" not in labels
        assert [b for b in labels if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s", "⏱ 10 s", "⏱ other…"]


async def test_october_models_where_the_learned_catalogue_lists_them(telegram, tmp_path,
                                                                     october_catalog):
    """The simulator's October build, pinned: Omni 1.1's radios and Veo Fast/Quality are offered
    again, at October's prices (a learned catalogue that lists them wins)."""
    async with running_bot(bot_settings(telegram, tmp_path)):
        card = await _card(telegram, ANN, 2)
        assert "Veo 3.1 - Lite · 8 s · 720p" in card.content  # still our default
        card = await _settings_view(telegram, ANN, card)
        labels = _labels(card)
        assert all(m in labels for m in ("Omni 1.1", "Lite", "Fast", "Quality"))
        assert "Omni 1.2" not in labels  # that page had no Omni 1.2
        card = await _press(telegram, ANN, card, "Omni 1.1", "Omni 1.1 Flash · 8 s · 720p")
        assert "48 credits" in card.content  # 2 × 2 × 12
        assert [b for b in _labels(card) if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s", "⏱ 10 s"]
        card = await _press(telegram, ANN, card, "⏱ 10 s", "· 10 s ·")
        card = await _press(telegram, ANN, card, "360p", "10 s · 360p")
        assert "28 credits" in card.content  # 2 × 2 × 7
        card = await _press(telegram, ANN, card, "Quality", "Veo 3.1 - Quality · 8 s · 720p")
        assert "400 credits" in card.content
        card = await _press(telegram, ANN, card, "Fast", "Veo 3.1 - Fast · 8 s · 720p")
        assert "80 credits" in card.content


async def test_start_end_pairs_need_an_even_count_before_anything_is_spent(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        card = await _card(telegram, ANN, 3)
        card = await _settings_view(telegram, ANN, card)
        await telegram.press(ANN, card.message_id, card.button_data("Pairs: first + last"))
        refusal = await telegram.wait_for(
            lambda t: next((a for a in t.answers if "even number" in (a.get("text") or "")), None))
        assert "you sent 3" in refusal["text"] and refusal["show_alert"]
        view = await app.services["batches"].get(1)
        assert not view.pairs and view.status == "draft"

        card = await _card(telegram, BOB, 4, caption="day turns to night")
        card = await _settings_view(telegram, BOB, card)
        card = await _press(telegram, BOB, card, "Pairs: first + last", "2 start+end clips")
        assert "40 credits" in card.content  # 2 clips × 2 outputs × 10
        assert any(b.startswith("☑️") for b in _labels(card))
        await telegram.press(BOB, card.message_id, card.button_data("Done"))
        await telegram.wait_for(lambda t: "▶️ Start" in str(t.message(BOB, card.message_id).buttons()))
        card = telegram.message(BOB, card.message_id)
        await telegram.press(BOB, card.message_id, card.button_data("▶️ Start"))
        await telegram.wait_for(lambda t: "Running" in t.message(BOB, card.message_id).content)
        view = await app.services["batches"].get(2)
        assert [(i.position, i.kind) for i in view.items] == [(1, "interpolation"), (2, "interpolation")]
        assert [i.image_path.name[:3] for i in view.items] == ["001", "003"]
        assert [i.end_image_path.name[:3] for i in view.items] == ["002", "004"]


async def test_settings_command_keeps_model_duration_and_resolution_defaults(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_command(ANN, "/settings")
        prefs = await telegram.wait_for(lambda t: last_with(t, ANN, "Your defaults"))
        assert "Veo 3.1 - Lite · 8 s · 720p" in prefs.content and "10 credits per video" in prefs.content
        prefs = await _press(telegram, ANN, prefs, "Omni 1.2", "Omni 1.2 Flash · 8 s · 720p")
        prefs = await _press(telegram, ANN, prefs, "⏱ 6 s", "Omni 1.2 Flash · 6 s")
        prefs = await _press(telegram, ANN, prefs, "360p", "6 s · 360p")
        assert "6 credits per video" in prefs.content
        card = await _card(telegram, ANN, 2)
        assert "Omni 1.2 Flash · 6 s · 360p" in card.content and "24 credits" in card.content
        view = await app.services["batches"].get(1)
        assert (view.model, view.duration, view.resolution) == ("Omni 1.2 Flash", 6, "360p")
