"""The batch card's settings keyboard for each model, through the real bot over the fake Bot API:
only what the plan offers is on it, and the estimate on the card follows every change."""

from __future__ import annotations

from tests.handlers.harness import ANN, BOB, bot_settings, image_bytes, last_with, running_bot

MODEL_BUTTONS = ("Omni Flash", "Lite", "Fast", "Quality")


def _labels(msg) -> list[str]:
    return [text.lstrip("• ") for text, _ in msg.buttons()]


async def _card(telegram, user: int, n: int, caption: str = "a kite climbs into the wind"):
    await telegram.send_album(user, [(image_bytes(seed=i), "document", f"k{i}.jpg") for i in range(n)],
                              caption=caption)
    return await telegram.wait_for(lambda t: last_with(t, user, "Batch #"))


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
        # Our default model, set explicitly: Veo 3.1 Fast, 8 s, 720p; 2 images × 2 outputs × 20.
        assert "Veo 3.1 - Fast · 8 s · 720p" in card.content and "80 credits" in card.content
        card = await _settings_view(telegram, ANN, card)
        labels = _labels(card)
        assert all(m in labels for m in MODEL_BUTTONS)
        assert "Lite (low prio)" not in labels  # exists only on some accounts
        assert not any("⏱" in b or b in ("360p", "720p") for b in labels)  # Veo on Pro: 8 s only

        card = await _press(telegram, ANN, card, "Omni Flash", "Omni 1.1 Flash · 8 s · 720p")
        assert "48 credits" in card.content  # 2 × 2 × 12
        labels = _labels(card)
        assert [b for b in labels if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s", "⏱ 10 s"]
        assert "360p" in labels and "720p" in labels
        card = await _press(telegram, ANN, card, "⏱ 10 s", "· 10 s ·")
        assert "60 credits" in card.content  # 2 × 2 × 15
        card = await _press(telegram, ANN, card, "360p", "10 s · 360p")
        assert "28 credits" in card.content  # 2 × 2 × 7

        # A Veo model has neither 10 s nor 360p: the card falls back to what it offers.
        card = await _press(telegram, ANN, card, "Quality", "Veo 3.1 - Quality · 8 s · 720p")
        assert "400 credits" in card.content and not any("⏱" in b for b in _labels(card))
        card = await _press(telegram, ANN, card, "Lite", "Veo 3.1 - Lite · 8 s · 720p")
        assert "40 credits" in card.content
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
        assert "60 credits" in card.content  # 3 × 2 × 10: Fast costs 10 on Ultra
        card = await _settings_view(telegram, ANN, card)
        assert [b for b in _labels(card) if "⏱" in b] == ["⏱ 4 s", "⏱ 6 s", "⏱ 8 s"]
        card = await _press(telegram, ANN, card, "⏱ 4 s", "Veo 3.1 - Fast · 4 s · 720p")
        card = await _press(telegram, ANN, card, "Lite", "Veo 3.1 - Lite · 4 s · 720p")
        assert "30 credits" in card.content  # 3 × 2 × 5
        card = await _press(telegram, ANN, card, "Quality", "Quality · 4 s")
        assert "600 credits" in card.content


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
        assert "80 credits" in card.content  # 2 clips × 2 outputs × 20
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
        assert "Veo 3.1 - Fast · 8 s · 720p" in prefs.content and "20 credits per video" in prefs.content
        prefs = await _press(telegram, ANN, prefs, "Omni Flash", "Omni 1.1 Flash · 8 s · 720p")
        prefs = await _press(telegram, ANN, prefs, "⏱ 6 s", "Omni 1.1 Flash · 6 s")
        prefs = await _press(telegram, ANN, prefs, "360p", "6 s · 360p")
        assert "5 credits per video" in prefs.content
        card = await _card(telegram, ANN, 2)
        assert "Omni 1.1 Flash · 6 s · 360p" in card.content and "20 credits" in card.content
        view = await app.services["batches"].get(1)
        assert (view.model, view.duration, view.resolution) == ("Omni 1.1 Flash", 6, "360p")
