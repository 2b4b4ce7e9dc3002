"""Text-to-video intake over the fake Bot API: `/video` (one prompt per line) and the ✍️ button
under a prompts file sent alone; bounded, with a friendly reply and nothing created on bad input."""

from __future__ import annotations

from tests.handlers.harness import ANN, BOB, bot_settings, last_with, running_bot


async def _batches(app, user_id: int):
    return await app.services["batches"].db.fetchall(
        "SELECT * FROM batches WHERE user_id = ? ORDER BY id", (user_id,))


async def test_video_command_makes_a_text_only_batch_with_its_own_card(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_command(ANN, "/video", args="a red kite over the sea\n\n a lighthouse at dusk ")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        assert "2 prompts, text only" in card.content and "40 credits" in card.content  # 2 × 2 × Lite
        view = await app.services["batches"].get(1)
        assert [(i.prompt, i.image_path, i.kind) for i in view.items] == [
            ("a red kite over the sea", None, "t2v"), ("a lighthouse at dusk", None, "t2v")]
        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        await telegram.wait_for(lambda t: "Done" in str(t.message(ANN, card.message_id).buttons()))
        buttons = str(telegram.message(ANN, card.message_id).buttons())
        assert "Pairs:" not in buttons  # nothing to pair in a text-only batch


async def test_video_command_refuses_bad_lines_and_too_many_and_creates_nothing(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_command(ANN, "/video")
        await telegram.wait_for(lambda t: last_with(t, ANN, "one per line"))
        await telegram.send_command(ANN, "/video", args="a fine prompt here\n" + "x" * 2000)
        bad = await telegram.wait_for(lambda t: last_with(t, ANN, "Line 2"))
        assert "too long" in bad.content and "Nothing was created" in bad.content
        await telegram.send_command(ANN, "/video", args="\n".join(f"prompt number {n}" for n in range(51)))
        many = await telegram.wait_for(lambda t: last_with(t, ANN, "51 prompts"))
        assert "at most 50" in many.content
        assert await _batches(app, ANN) == []


async def test_prompts_file_alone_offers_text_only_videos(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_document(BOB, b"a paper boat\na quiet harbour\nwaves at night\n",
                                     "prompts.txt", "text/plain")
        offer = await telegram.wait_for(lambda t: last_with(t, BOB, "Got 3 prompt"))
        data = offer.button_data("Text-only")
        await telegram.press(BOB, offer.message_id, data)
        card = await telegram.wait_for(lambda t: last_with(t, BOB, "Batch #"))
        assert "3 prompts, text only" in card.content
        view = await app.services["batches"].get(1)
        assert [i.prompt for i in view.items] == ["a paper boat", "a quiet harbour", "waves at night"]
        assert all(i.image_path is None for i in view.items)
        assert await app.services["dialogs"].get(BOB, BOB) is None
        # A second tap (the button is gone; a stale client) creates nothing more.
        await telegram.press(BOB, offer.message_id, data, forge=True)
        await telegram.wait_for(lambda t: any("no longer waiting" in (a.get("text") or "")
                                              for a in t.answers))
        assert len(await _batches(app, BOB)) == 1
