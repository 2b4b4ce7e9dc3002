"""Issue 12 #8, the class "a button promises what will not happen": every review button's
answer follows what its service call actually did. "Zip 4K" before anything is upscaled says
there is nothing to zip (and queues nothing); an upscale that queued nothing does not claim
work; a zip already delivered is not promised again."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.pipeline import stages
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.storage import repo
from bot.telegram.callbacks import ReviewCb
from tests.handlers.harness import ANN, bot_settings, image_bytes, last_with, running_bot


async def _answer(telegram, qid: str) -> str:
    await telegram.wait_for(lambda t: any(a.get("callback_query_id") == qid for a in t.answers))
    return next(a for a in telegram.answers if a.get("callback_query_id") == qid).get("text") or ""


async def _batch_with_a_ready_clip(telegram, app, clip_file, *, start: bool = True) -> tuple[int, int]:
    """A batch whose only image came back with one 720p clip, as the pipeline leaves it
    (written through the same repo functions), and the review message the notifier sends.
    `start=False` keeps a running pipeline from submitting it (the batch is marked done)."""
    await telegram.send_photo(ANN, image_bytes(), caption="a lantern sways in the wind")
    card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
    if start:
        await telegram.press(ANN, card.message_id, card.button_data("Start"))
        await telegram.wait_for(lambda t: "Running" in t.message(ANN, card.message_id).content)
    db = app.services["batches"].db
    now = db.now()

    def tx(conn) -> tuple[int, int]:
        item = conn.execute("SELECT id FROM items WHERE batch_id = 1").fetchone()[0]
        gen = repo.insert_generation(conn, item_id=item, attempt=1, outputs=1, model="Veo 3.1 - Fast",
                                     aspect="9:16", now=now)
        repo.record_handle(conn, gen, "http://flow.invalid/project/1", ["tile-1"], now)
        repo.end_generation(conn, gen, "done", now)
        repo.insert_clip(conn, item_id=item, gen_id=gen, variant=1, tile_id="tile-1", now=now)
        clip = conn.execute("SELECT id FROM clips WHERE generation_id = ?", (gen,)).fetchone()[0]
        repo.set_clip(conn, clip, now, status="ready", path_720=str(clip_file),
                      size_720=clip_file.stat().st_size)
        repo.set_item(conn, item, now, status="done", progress=100)
        conn.execute("UPDATE batches SET status = 'running' WHERE id = 1")
        repo.finish_batch_if_done(conn, 1, now)
        return item, clip

    item_id, clip_id = await db.write_sync(tx)
    await app.notifier.item_previews(await stages.previews_event(db, item_id))
    await telegram.wait_for(lambda t: last_with(t, ANN, "Tap to select"))
    return item_id, clip_id


async def test_button_never_promises_what_will_not_happen(telegram, tmp_path, small_clip):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        item_id, clip_id = await _batch_with_a_ready_clip(telegram, app, small_clip)
        review = last_with(telegram, ANN, "Tap to select")
        db = app.services["batches"].db

        def press(action: str, value: str = "") -> str:
            return ReviewCb(action=action, batch_id=1, item_id=item_id, value=value).pack()

        async def exports_and_tasks() -> tuple[int, int]:
            exports = (await db.fetchone("SELECT count(*) FROM exports"))[0]
            tasks = (await db.fetchone("SELECT count(*) FROM tasks WHERE kind = 'export'"))[0]
            return exports, tasks

        # Zip 4K before anything was upscaled: told so, and nothing is queued.
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("zip", "4k"), forge=True))
        assert "Nothing to zip in 4K" in text and "arrives" not in text
        assert await exports_and_tasks() == (0, 0)

        # A 4K quality pressed with nothing selected (a stale keyboard): not "already upscaling".
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("preset", "fast"), forge=True))
        assert "No clip is selected" in text

        # Select, upscale: queued. The same quality again queues nothing and says why.
        await app.services["batches"].set_selected(clip_id, ANN, True)
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("preset", "fast"), forge=True))
        assert "Upscaling 1 clip" in text
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("preset", "fast"), forge=True))
        assert "already being upscaled" in text
        # Still no 4K file: Zip 4K still promises nothing.
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("zip", "4k"), forge=True))
        assert "Nothing to zip in 4K" in text
        assert await exports_and_tasks() == (0, 0)

        # The 4K file is in (as the upscale stage records it): now the zip is promised, and queued.
        await db.execute("UPDATE clips SET status_4k = 'ready', path_4k = ?, size_4k = ? WHERE id = ?",
                         (str(small_clip), small_clip.stat().st_size, clip_id))
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("zip", "4k"), forge=True))
        assert "Preparing the 4K zip of 1 clip" in text
        assert await exports_and_tasks() == (1, 1)
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("preset", "fast"), forge=True))
        assert "already upscaled" in text

        # Once that zip was delivered, the same button does not promise it again.
        await db.execute("UPDATE exports SET status = 'delivered'")
        text = await _answer(telegram, await telegram.press(ANN, review.message_id, press("zip", "4k"), forge=True))
        assert "already sent" in text
        assert await exports_and_tasks() == (1, 1)


async def test_button_promise_broken_by_a_failure_is_told(telegram, sim, chromium, sim_session_file,
                                                          tmp_path, corrupt_file):
    """"They arrive here as files" / "it arrives here shortly": when the 4K encode or the zip
    fails for good (after its retries), the user is told, instead of waiting forever."""
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options={"tick_s": 0.3}) as app:
            item_id, clip_id = await _batch_with_a_ready_clip(telegram, app, corrupt_file, start=False)
            review = last_with(telegram, ANN, "Tap to select")
            await app.services["batches"].set_selected(clip_id, ANN, True)
            payload = ReviewCb(action="preset", batch_id=1, item_id=item_id, value="fast").pack()
            text = await _answer(telegram, await telegram.press(ANN, review.message_id, payload, forge=True))
            assert "Upscaling 1 clip" in text
            told = await telegram.wait_for(lambda t: last_with(t, ANN, "4K upscale of batch #1 failed"), timeout=90)
            assert "try again" in told.content

            db = app.services["batches"].db
            await db.execute("UPDATE clips SET path_720 = ? WHERE id = ?", (str(tmp_path / "gone.mp4"), clip_id))
            payload = ReviewCb(action="zip", batch_id=1, item_id=item_id, value="720p").pack()
            text = await _answer(telegram, await telegram.press(ANN, review.message_id, payload, forge=True))
            assert "Preparing the 720P zip" in text
            await telegram.wait_for(lambda t: last_with(t, ANN, "zip of batch #1 could not be made"), timeout=90)
            assert (await db.fetchone("SELECT status FROM exports"))[0] == "failed"
    finally:
        await flow.close()
