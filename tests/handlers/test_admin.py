"""Admin /queue (with cancel buttons) and /stats, and the user's /status, /history, /cancel and
/settings, over the fake Bot API (no pipeline: a started batch simply stays running)."""

from __future__ import annotations

from tests.handlers.harness import ADMIN, ANN, bot_settings, image_bytes, last_with, running_bot


async def _started_batch(telegram, caption="clouds roll over the hills"):
    await telegram.send_photo(ANN, image_bytes(), caption=caption)
    card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
    await telegram.press(ANN, card.message_id, card.button_data("Start"))
    await telegram.wait_for(lambda t: "Running" in t.message(ANN, card.message_id).content)
    return card


async def test_queue_stats_and_admin_cancel(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        await _started_batch(telegram)
        await telegram.send_command(ANN, "/status")
        status = await telegram.wait_for(lambda t: last_with(t, ANN, "in progress"))
        assert "#1" in status.content and "0 done, 0 failed of 1" in status.content

        await telegram.send_command(ADMIN, "/queue")
        queue = await telegram.wait_for(lambda t: last_with(t, ADMIN, "<b>Queue</b>") or last_with(t, ADMIN, "Queue"))
        assert f"user {ANN}" in queue.content and "0/1 done" in queue.content
        await telegram.press(ADMIN, queue.message_id, queue.button_data("Cancel #1"))
        await telegram.wait_for(lambda t: "No batch is running" in t.message(ADMIN, queue.message_id).content)
        assert (await app.services["batches"].get(1)).status == "cancelled"

        await telegram.send_command(ADMIN, "/stats")
        stats = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Statistics"))
        assert "Today" in stats.content and "All time" in stats.content

        await telegram.send_command(ANN, "/history")
        history = await telegram.wait_for(lambda t: last_with(t, ANN, "recent batches"))
        assert "#1" in history.content and "cancelled" in history.content


async def test_cancel_dialog_then_batch_and_default_settings(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        await telegram.send_photo(ANN, image_bytes())
        await telegram.wait_for(lambda t: last_with(t, ANN, "without a prompt"))
        await telegram.send_command(ANN, "/cancel")
        await telegram.wait_for(lambda t: last_with(t, ANN, "were dropped"))
        assert await app.services["dialogs"].get(ANN, ANN) is None

        await telegram.send_command(ANN, "/settings")
        prefs = await telegram.wait_for(lambda t: last_with(t, ANN, "Your defaults"))
        await telegram.press(ANN, prefs.message_id, prefs.button_data("16:9"))
        await telegram.wait_for(lambda t: "Aspect: 16:9" in t.message(ANN, prefs.message_id).content)
        prefs = telegram.message(ANN, prefs.message_id)
        await telegram.press(ANN, prefs.message_id, prefs.button_data("3 outputs"))
        await telegram.wait_for(lambda t: "Outputs per image: 3" in t.message(ANN, prefs.message_id).content)

        card = await _started_batch(telegram, caption="a train crosses a bridge")
        assert "16:9" in card.content and "3 videos each" in card.content
        await telegram.send_command(ANN, "/cancel")
        choice = await telegram.wait_for(lambda t: last_with(t, ANN, "Which batch"))
        await telegram.press(ANN, choice.message_id, choice.button_data("Cancel #1"))
        await telegram.wait_for(lambda t: any("cancelled" in (a.get("text") or "") for a in t.answers))
        assert (await app.services["batches"].get(1)).status == "cancelled"
