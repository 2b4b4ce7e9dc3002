"""Issue 12 #7, the class "a status display goes stale": the batch card (and the progress
message) must follow the batch's state to its end — finished, failed, cancelled — whoever or
whatever changed it (the pipeline, the owner's Cancel, the /cancel chooser, an admin's /queue)."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import (
    ADMIN,
    ANN,
    bot_settings,
    eventually,
    image_bytes,
    last_with,
    running_bot,
)


async def _started_batch(telegram, caption="clouds roll over the hills", n=1, batch=1):
    if n == 1:
        await telegram.send_photo(ANN, image_bytes(), caption=caption)
    else:
        await telegram.send_album(ANN, [(image_bytes(seed=i), "document", f"i{i}.jpg") for i in range(n)],
                                  caption=caption)
    card = await telegram.wait_for(lambda t: last_with(t, ANN, f"<b>Batch #{batch}</b>")
                                   or last_with(t, ANN, f"Batch #{batch} ·"))
    await telegram.press(ANN, card.message_id, card.button_data("Start"))
    await telegram.wait_for(lambda t: "Running" in t.message(ANN, card.message_id).content)
    return card


async def test_stale_status_display_admin_cancel_redraws_the_owners_card(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False):
        card = await _started_batch(telegram)
        await telegram.send_command(ADMIN, "/queue")
        queue = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Queue"))
        await telegram.press(ADMIN, queue.message_id, queue.button_data("Cancel #1"))
        shown = await telegram.wait_for(
            lambda t: "Cancelled" in t.message(ANN, card.message_id).content and t.message(ANN, card.message_id))
        assert "Running" not in shown.content
        assert shown.buttons() == []  # no Cancel button left on a cancelled batch


async def test_stale_status_display_cancel_from_the_chooser_redraws_the_card(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False):
        card = await _started_batch(telegram)
        await telegram.send_command(ANN, "/cancel")
        choice = await telegram.wait_for(lambda t: last_with(t, ANN, "Which batch"))
        await telegram.press(ANN, choice.message_id, choice.button_data("Cancel #1"))
        shown = await telegram.wait_for(
            lambda t: "Cancelled" in t.message(ANN, card.message_id).content and t.message(ANN, card.message_id))
        assert "Running" not in shown.content and shown.buttons() == []


async def test_stale_status_display_card_and_progress_follow_the_pipeline_to_the_end(
        telegram, sim, chromium, sim_session_file, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options={"tick_s": 0.3}) as app:
            await app.services["users"].set_default(ANN, "outputs", 1)
            # 1. A batch that finishes: its card says so and loses its Cancel button.
            card = await _started_batch(telegram, "a kite rises over the dunes")
            await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=120)
            shown = await telegram.wait_for(
                lambda t: "Finished" in t.message(ANN, card.message_id).content and t.message(ANN, card.message_id))
            assert "1 done" in shown.content and "Running" not in shown.content
            assert shown.buttons() == []

            # 2. A running batch cancelled from its card: the renders already paid for come in,
            # then card, progress message and a closing message all say "cancelled".
            await sim.configure(generation_seconds=8)
            card2 = await _started_batch(telegram, "rain falls on a tin roof", n=2, batch=2)
            batches = app.services["batches"]

            async def generating() -> bool:
                view = await batches.get(2)
                return view.counts.get("generating", 0) >= 1

            await eventually(generating, timeout=60)
            progress = await telegram.wait_for(
                lambda t: next((m for m in t.outbox(ANN) if "Batch #2" in (m.content or "")
                                and any(ch in (m.content or "") for ch in "▓░")), None), timeout=30)
            await telegram.press(ANN, card2.message_id, telegram.message(ANN, card2.message_id).button_data("Cancel"))
            await telegram.wait_for(lambda t: last_with(t, ANN, "was cancelled"), timeout=120)
            await app.pipeline.run_until_idle(timeout=60)
            assert "Cancelled" in telegram.message(ANN, card2.message_id).content
            final = telegram.message(ANN, progress.message_id).content
            assert "Cancelled" in final and "Working" not in final
    finally:
        await flow.close()
