"""A failed image: the failure arrives in plain words with a Retry button; Retry asks to confirm
the credit cost, and only the confirmation submits again (once, even on a double tap)."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ANN, bot_settings, image_bytes, last_with, running_bot


async def test_failed_item_retry_with_confirmation(telegram, sim, chromium, sim_session_file, tmp_path):
    await sim.fail_next(1, "something_wrong", at_percent=20)
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    settings.flow.transient_max_retries = 0  # fail for good at once: the user decides
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options={"tick_s": 0.3}) as app:
            await telegram.send_photo(ANN, image_bytes(), caption="a candle flickers in the dark")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
            await telegram.press(ANN, card.message_id, card.button_data("Settings"))
            await telegram.wait_for(lambda t: "1 output" in str(t.message(ANN, card.message_id).buttons()))
            await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("1 output"))
            await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("Done"))
            await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
            await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("Start"))

            failed = await telegram.wait_for(lambda t: last_with(t, ANN, "failed:"), timeout=60)
            assert "Image 1" in failed.content
            retry = failed.button_data("Retry")
            await telegram.press(ANN, failed.message_id, retry)
            await telegram.wait_for(lambda t: "10 credits" in str(t.message(ANN, failed.message_id).buttons()))  # Lite, our default
            assert (await sim.counters())["submissions"] == 1  # nothing spent before confirming
            confirm = telegram.message(ANN, failed.message_id).button_data("Yes")
            await telegram.press(ANN, failed.message_id, confirm)
            await telegram.press(ANN, failed.message_id, confirm, forge=True)  # double tap
            await telegram.wait_for(lambda t: last_with(t, ANN, "Tap to select"), timeout=60)
            await app.pipeline.run_until_idle(timeout=30)
            assert (await sim.counters())["submissions"] == 2
    finally:
        await flow.close()
