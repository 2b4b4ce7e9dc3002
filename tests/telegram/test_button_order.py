"""Two quick taps on one card ("2 outputs", then "Done") must be handled in the order pressed.

Regression (full run): the locale middleware had been put in front of the button-order one. Its
database look-up awaits, so two taps could pass each other before taking the FIFO lock; the
settings view drawn by the first tap landed after the second tap's main view, and the card kept
showing the settings keyboard (no Start)."""

from __future__ import annotations

import asyncio

from bot.telegram.i18n import UserI18nMiddleware
from bot.telegram.middlewares import ButtonOrderMiddleware
from tests.handlers.harness import ANN, bot_settings, image_bytes, last_with, running_bot


async def test_two_quick_taps_passed_each_other_in_the_locale_lookup(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        # Nothing of ours may await before the FIFO lock is taken (aiogram's own errors
        # middleware, which awaits nothing first, wraps them all).
        kinds = [type(m) for m in app.dp.update.outer_middleware]
        assert kinds.index(ButtonOrderMiddleware) < kinds.index(UserI18nMiddleware)
        assert all(k.__module__.startswith("aiogram") for k in kinds[:kinds.index(ButtonOrderMiddleware)])
        await telegram.send_photo(ANN, image_bytes(), caption="a heron lifts off a canal")
        mid = (await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))).message_id
        for outputs in (2, 3, 1, 4, 2):
            await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("Settings"))
            await telegram.wait_for(lambda t: "Done" in str(t.message(ANN, mid).buttons()))
            view = telegram.message(ANN, mid)
            label = f"{outputs} output" + ("s" if outputs > 1 else "")
            await telegram.press(ANN, mid, view.button_data(label))
            await telegram.press(ANN, mid, view.button_data("Done"))  # at once
            want = f"{outputs} video" + ("s" if outputs > 1 else "") + " each"
            await telegram.wait_for(lambda t, want=want: want in t.message(ANN, mid).content
                                    and "Start" in str(t.message(ANN, mid).buttons()))
        await asyncio.sleep(0.5)  # let a late edit land, if one were still coming
        card = telegram.message(ANN, mid)
        assert "Start" in str(card.buttons()) and "Done" not in str(card.buttons())
        assert "2 videos each" in card.content
