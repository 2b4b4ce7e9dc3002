"""Buttons that must not work (forged, foreign, double taps) and Telegram faults: a 429 storm
with 5xx mixed in, and a user who blocked the bot."""

from __future__ import annotations

import asyncio

from bot.pipeline.notifier import BatchProgress, ItemFailed
from tests.handlers.harness import ANN, BOB, bot_settings, image_bytes, last_with, running_bot


async def _draft(telegram, app, user=ANN):
    await telegram.send_album(user, [(image_bytes(seed=i), "document", f"i{i}.jpg") for i in range(2)],
                              caption="waves crash on rocks")
    card = await telegram.wait_for(lambda t: last_with(t, user, "Batch #"))
    return card


async def test_forged_and_foreign_callbacks_change_nothing(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        card = await _draft(telegram, app)
        batches = app.services["batches"]
        start = card.button_data("Start")
        bob_msg = await telegram.send_command(BOB, "/help")
        await telegram.wait_for(lambda t: last_with(t, BOB, "How to use me"))

        # Bob replays Ann's Start payload from his own client: refused, still a draft.
        qid = await telegram.press(BOB, bob_msg["message_id"], start, forge=True)
        await telegram.wait_for(lambda t: any(a.get("callback_query_id") == qid for a in t.answers))
        answer = next(a for a in telegram.answers if a.get("callback_query_id") == qid)
        assert "someone else" in answer.get("text", "") or "not for you" in answer.get("text", "")
        # Garbage and an unknown batch: answered, nothing changes.
        for data in ("bc:start:notanumber:", "zz:1:2", "cl:1:999:999:1", "bc:start:999:"):
            q = await telegram.press(ANN, card.message_id, data, forge=True)
            await telegram.wait_for(lambda t, q=q: any(a.get("callback_query_id") == q for a in t.answers))
        view = await batches.get(1)
        assert view.status == "draft"
        assert (await batches.db.fetchone("SELECT count(*) FROM tasks"))[0] == 0

        # Ann double-taps Start: one start, one submit task per image.
        await telegram.press(ANN, card.message_id, start)
        await telegram.press(ANN, card.message_id, start)
        await telegram.wait_for(lambda t: sum(1 for a in t.answers if "started" in (a.get("text") or "")
                                              or "already" in (a.get("text") or "")) >= 2)
        rows = await batches.db.fetchall("SELECT kind FROM tasks")
        assert [r[0] for r in rows] == ["submit", "submit"]
        assert (await batches.get(1)).status == "running"


async def test_429_storm_every_message_delivered_in_order(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        telegram.enforce_flood = True            # 1 msg/s per chat after a burst of 3
        telegram.flood(chat_id=ANN, retry_after=1, count=2)
        telegram.fail_next("sendMessage", status=502, count=2)
        telegram.drop_next("sendMessage", count=1)  # a connection lost mid-request
        bot = app.bot
        # Started in order from concurrent tasks, as the notifier and handlers do.
        await asyncio.gather(*(bot.send_message(ANN, f"message {i}") for i in range(7)))
        await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"), timeout=30)
    sent = [m.content for m in telegram.outbox(ANN)]
    assert sent[:7] == [f"message {i}" for i in range(7)]
    statuses = [c.status for c in telegram.calls if c.method.lower() == "sendmessage"]
    assert statuses.count(429) >= 2 and statuses.count(502) == 2
    assert app.requests.flood_waits >= 2 and app.requests.retries >= 2


async def test_blocked_user_does_not_stop_notifications(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await _draft(telegram, app, user=ANN)
        await _draft(telegram, app, user=BOB)
        telegram.block(ANN)
        notifier = app.notifier
        await notifier.item_failed(ItemFailed(1, 1, 1, ANN, ANN, "Flow refused it", "policy", False))
        await notifier.batch_progress(BatchProgress(1, ANN, ANN, {"queued": 2}, 2, 60.0))
        await notifier.item_failed(ItemFailed(2, 3, 1, BOB, BOB, "Flow refused it", "policy", True))
        msg = await telegram.wait_for(lambda t: last_with(t, BOB, "failed"))
        assert "Retry" in str(msg.buttons())
        assert notifier.undeliverable >= 2
