"""Review at scale (issue 13) over HTTP against the fake Bot API: one review message per batch
paging its clips in place, selection and live counts, Again / New prompt with their cost
confirmed, the contact sheet, a restart in the middle, forged payloads and double taps, and
the message-count target of a 40-image × 2-output batch.

The bot is the real one (aiogram polling, services, SQLite, FFmpeg). The pipeline's part is
played here at its boundary with the notifier: what `collect` writes for a finished generation
(a generation, its clips as ready files) followed by the same events `deliver` sends
(`stages.previews_event`, `stages.progress_event`) — 80 renders in Chromium would take many
minutes on this machine, and the view only sees the notifier's events.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import stages
from tests.fixtures.media import make_clip
from tests.handlers.harness import (
    ANN,
    BOB,
    bot_settings,
    eventually,
    finish_item,
    image_bytes,
    item_ids,
    last_with,
    running_bot,
)

N_IMAGES, OUTPUTS = 40, 2
FORGED_ID = "That button is no longer valid."  # an id past the bound does not parse


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "c.mp4", 180, 320, 0.5, audio=False)


def view_of(tg, chat_id: int):
    """The review view: the bot's one message whose caption starts with the clip position."""
    found = [m for m in tg.outbox(chat_id) if m.kind == "video" and "· clip " in (m.caption or "")]
    return found[-1] if found else None


async def make_batch(telegram, app, n: int, outputs: int = OUTPUTS) -> int:
    """n images through the real intake (albums of 10), outputs set on the card, Start pressed."""
    for start in range(0, n, 10):
        chunk = [(image_bytes(seed=i), "document", f"shot{i:02d}.jpg") for i in range(start, min(n, start + 10))]
        if len(chunk) == 1:
            await telegram.send_document(ANN, chunk[0][0], chunk[0][2], None, "a paper boat in the rain")
        else:
            await telegram.send_album(ANN, chunk, caption="a paper boat in the rain")
    card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"), timeout=60)
    batches = app.services["batches"]
    batch_id = max(b.id for b in await batches.list_for_user(ANN))
    await telegram.wait_for(lambda t: f"{n} " in (t.message(ANN, card.message_id).content or ""), timeout=60)
    await batches.update_settings(batch_id, ANN, outputs=outputs)
    await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("Start"))
    await telegram.wait_for(lambda t: "Cancel" in str(t.message(ANN, card.message_id).buttons()))
    return batch_id


async def progress(app, batch_id: int, *, finished: bool = False) -> None:
    db = app.services["batches"].db
    if finished:
        await db.execute("UPDATE batches SET status = 'done', finished_at = ? WHERE id = ?", (db.now(), batch_id))
    ev = await stages.progress_event(db, batch_id, app.settings)
    await (app.notifier.batch_finished(ev) if finished else app.notifier.batch_progress(ev))


async def _has_dialog(app) -> bool:
    return await app.services["dialogs"].get(ANN, ANN) is not None


async def test_forty_images_two_outputs_send_at_most_eight_messages(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, N_IMAGES)
        ids = await item_ids(app, batch_id)
        assert len(ids) == N_IMAGES
        telegram.enforce_flood = True  # Telegram's per-chat rate (edits count too): 429s are waited out
        for n, item_id in enumerate(ids, 1):
            await finish_item(app, item_id, small_clip)
            if n % 5 == 0:
                await progress(app, batch_id)
            if n == 1:  # the view appears with the first ready clip
                first = await telegram.wait_for(lambda t: view_of(t, ANN))
                assert "clip 1 of 2" in first.caption
        await progress(app, batch_id, finished=True)
        sheet = await telegram.wait_for(lambda t: next((m for m in t.outbox(ANN) if m.kind == "photo"), None),
                                        timeout=60)
        sent = [m for m in telegram.outbox(ANN) if not m.deleted]
        assert len(sent) <= 8, telegram.dump()
        print(f"40 images x 2 outputs: {len(sent)} messages in the chat: "
              f"{[m.describe()[:60] for m in sent]}")
        view = view_of(telegram, ANN)
        assert f"clip 1 of {N_IMAGES * OUTPUTS}" in view.caption
        # Every clip is uploaded at most once: the view only grew (caption edits), no clip changed.
        assert len(telegram.calls_to("sendVideo")) == 1 and not telegram.calls_to("sendMediaGroup")
        assert [t for t, _ in sheet.buttons()][:3] == ["1", "2", "3"] and len(sheet.buttons()) == 80
        edits = [c for c in telegram.calls if c.method.startswith("edit") and c.status == 200
                 and str(c.params.get("message_id")) == str(view.message_id)]
        print(f"view edits for 40 finished images: {len(edits)}; "
              f"429s waited out: {sum(c.status == 429 for c in telegram.calls)}")
        assert "80 clip(s)" in sheet.caption


async def test_paging_selection_counts_and_forged_payloads(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 3)
        ids = await item_ids(app, batch_id)
        await finish_item(app, ids[0], small_clip)
        view = await telegram.wait_for(lambda t: view_of(t, ANN))
        mid = view.message_id
        # The view grows as clips arrive, without jumping away from the clip shown.
        await telegram.press(ANN, mid, view.button_data("▶"))
        await telegram.wait_for(lambda t: "clip 2 of 2" in t.message(ANN, mid).caption)
        await finish_item(app, ids[1], small_clip)
        await telegram.wait_for(lambda t: "clip 2 of 4" in t.message(ANN, mid).caption)
        # ▶ to a clip never shown uploads it once; ◀ back to one shown reuses its file_id.
        msg = telegram.message(ANN, mid)
        await telegram.press(ANN, mid, msg.button_data("▶"))
        await telegram.wait_for(lambda t: "clip 3 of 4" in t.message(ANN, mid).caption)
        assert telegram.message(ANN, mid).files  # uploaded
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("◀"))
        await telegram.wait_for(lambda t: "clip 2 of 4" in t.message(ANN, mid).caption)
        assert telegram.message(ANN, mid).files == []  # by file_id
        edits = [c for c in telegram.calls_to("editMessageMedia") if c.status == 200]
        assert len(edits) == 3

        # Select this clip, then all of image 2 (from its first clip): counts follow everywhere.
        msg = telegram.message(ANN, mid)
        tap = msg.button_data("☐ 2/4")
        await telegram.press(ANN, mid, tap)
        await telegram.wait_for(lambda t: "Upscale selected (1)" in str(t.message(ANN, mid).buttons()))
        await telegram.press(ANN, mid, tap, forge=True)  # a double tap sets the same state
        await telegram.wait_for(lambda t: sum("selected in batch" in (a["text"] or "") for a in t.answers) >= 2)
        assert "Upscale selected (1)" in str(telegram.message(ANN, mid).buttons())
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("▶"))
        await telegram.wait_for(lambda t: "clip 3 of 4" in t.message(ANN, mid).caption)
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("Select all of image 2"))
        await telegram.wait_for(lambda t: "Zip selected (3)" in str(t.message(ANN, mid).buttons()))
        assert "3 of 4 selected" in telegram.message(ANN, mid).caption
        view_state = await app.services["batches"].get(batch_id)
        assert len(view_state.selected_clips) == 3

        # Forged payloads: a clip of no batch, a number past the end, someone else's batch.
        before = (telegram.message(ANN, mid).caption, len(telegram.message(ANN, mid).edits))
        good = telegram.message(ANN, mid).button_data("▶")
        await telegram.wait_for(lambda t: any("3 clip(s) selected" in (a["text"] or "") for a in t.answers))
        n0 = len(telegram.answers)
        forged_clip = good.rsplit(":", 2)[0] + ":99999:"
        await telegram.press(ANN, mid, forged_clip, forge=True)
        await telegram.press(ANN, mid, f"rw:n:{batch_id}:0:77", forge=True)
        await telegram.press(ANN, mid, f"rw:n:{batch_id}:0:-1", forge=True)
        await telegram.press(ANN, mid, "rw:go:99999999999999999999999:1:", forge=True)
        await telegram.press(BOB, mid, good, forge=True)
        await telegram.wait_for(lambda t: len(t.answers) >= n0 + 5)
        texts = sorted(a["text"] or "" for a in telegram.answers[n0:])  # users' taps run concurrently
        assert texts == sorted(["That clip is not in this batch's review.", "That button is not for you.",
                                "There is no clip with that number in this batch.",
                                "There is no clip with that number in this batch.", FORGED_ID]), texts
        assert (telegram.message(ANN, mid).caption, len(telegram.message(ANN, mid).edits)) == before

        # Upscale selected (3) → a quality → three 4K upscales queued; a double tap queues none.
        db = app.services["batches"].db

        async def tasks(kind: str) -> int:
            return (await db.fetchone("SELECT count(*) FROM tasks WHERE kind = ?", (kind,)))[0]

        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("Upscale selected (3)"))
        await telegram.wait_for(lambda t: "Fast" in str(t.message(ANN, mid).buttons()))
        fast = telegram.message(ANN, mid).button_data("Fast")
        await telegram.press(ANN, mid, fast)
        await telegram.wait_for(lambda t: any("Upscaling 3 clip(s)" in (a["text"] or "") for a in t.answers))
        await telegram.press(ANN, mid, fast, forge=True)
        await telegram.wait_for(lambda t: any("already being upscaled" in (a["text"] or "") for a in t.answers))
        assert await tasks("upscale") == 3
        await telegram.wait_for(lambda t: "Zip selected (3)" in str(t.message(ANN, mid).buttons()))
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("Zip selected (3)"))
        await telegram.wait_for(lambda t: "720p" in str(t.message(ANN, mid).buttons()))
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("720p"))
        await telegram.wait_for(lambda t: any("zip of 3 clip(s)" in (a["text"] or "") for a in t.answers))
        assert await tasks("export") == 1

        # A number sent as text jumps the view.
        await telegram.send_text(ANN, "1")
        await telegram.wait_for(lambda t: "clip 1 of 4" in t.message(ANN, mid).caption)
        # But while images wait for their prompt, a number is that prompt, not a jump.
        await telegram.send_document(ANN, image_bytes(seed=9), "late.jpg")
        await telegram.wait_for(lambda t: last_with(t, ANN, "without a prompt"))
        await eventually(lambda: _has_dialog(app))
        await telegram.send_text(ANN, "123")
        await telegram.wait_for(lambda t: last_with(t, ANN, f"Batch #{batch_id + 1}"), timeout=30)
        assert (await app.services["batches"].get(batch_id + 1)).items[0].prompt == "123"
        assert "clip 1 of 4" in telegram.message(ANN, mid).caption


async def test_again_and_new_prompt_confirm_the_cost_and_join_the_view(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 2)
        ids = await item_ids(app, batch_id)
        for item_id in ids:
            await finish_item(app, item_id, small_clip)
        await progress(app, batch_id, finished=True)
        view = await telegram.wait_for(lambda t: (v := view_of(t, ANN)) and "clip 1 of 4" in v.caption and v)
        mid = view.message_id
        db = app.services["batches"].db

        async def submits() -> int:
            return (await db.fetchone("SELECT count(*) FROM tasks WHERE kind = 'submit'"))[0]

        base = await submits()
        await telegram.press(ANN, mid, view.button_data("Again"))
        await telegram.wait_for(lambda t: "20 credits" in str(t.message(ANN, mid).buttons()))  # 2 × Lite
        assert await submits() == base  # nothing is submitted before the confirmation
        yes = telegram.message(ANN, mid).button_data("Yes")
        await telegram.press(ANN, mid, yes)
        await telegram.press(ANN, mid, yes, forge=True)  # a double tap
        await telegram.wait_for(lambda t: sum("Already asked" in (a["text"] or "") for a in t.answers) >= 1)
        assert await submits() == base + 1
        again_id = (await item_ids(app, batch_id))[-1]
        row = await db.fetchone("SELECT prompt, source_item_id, status FROM items WHERE id = ?", (again_id,))
        assert (row["prompt"], row["source_item_id"], row["status"]) == ("a paper boat in the rain", ids[0], "queued")

        # New prompt: the next text is the prompt, confirmed with its cost.
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("New prompt"))
        await telegram.wait_for(lambda t: "Cancel new prompt" in str(t.message(ANN, mid).buttons()))
        await telegram.send_text(ANN, "the boat sails into a sunset")
        confirm = await telegram.wait_for(lambda t: last_with(t, ANN, "New clips of image 1"))
        assert "20 credits" in confirm.content and await submits() == base + 1
        ok = confirm.button_data("Yes")
        await telegram.press(ANN, confirm.message_id, ok)
        await telegram.press(ANN, confirm.message_id, ok, forge=True)
        await telegram.wait_for(lambda t: sum("Already asked" in (a["text"] or "") for a in t.answers) >= 2)
        assert await submits() == base + 2
        new_id = (await item_ids(app, batch_id))[-1]
        assert (await db.fetchone("SELECT prompt FROM items WHERE id = ?", (new_id,)))[0] == \
            "the boat sails into a sunset"

        # A New prompt cancelled: nothing waits for a prompt any more, nothing was submitted.
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("New prompt"))
        await telegram.wait_for(lambda t: "Cancel new prompt" in str(t.message(ANN, mid).buttons()))
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("Cancel new prompt"))
        await telegram.wait_for(lambda t: "Again" in str(t.message(ANN, mid).buttons()))
        assert await app.notifier.review.pending_prompt(ANN) is None and await submits() == base + 2

        # Their clips join the end of the view; the clip shown stays; labelled with image 1.
        await finish_item(app, again_id, small_clip)
        await finish_item(app, new_id, small_clip)
        await telegram.wait_for(lambda t: "clip 1 of 8" in t.message(ANN, mid).caption)
        await telegram.send_text(ANN, "8")
        await telegram.wait_for(lambda t: "clip 8 of 8 · image 1" in t.message(ANN, mid).caption)
        assert "sunset" in telegram.message(ANN, mid).caption


async def test_a_restart_edits_the_same_view_and_sheet_numbers_jump(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    from bot.clock import SystemClock
    from bot.storage.db import Database

    db = await Database(settings.paths.database_path, SystemClock()).open()
    try:
        async with running_bot(settings, db=db) as app:
            batch_id = await make_batch(telegram, app, 3)
            ids = await item_ids(app, batch_id)
            await finish_item(app, ids[0], small_clip)
            view = await telegram.wait_for(lambda t: view_of(t, ANN))
        async with running_bot(settings, db=db) as app:
            # A replayed previews event after the restart: edited, never sent again.
            await app.notifier.item_previews(await stages.previews_event(db, ids[0]))
            for item_id in ids[1:]:
                await finish_item(app, item_id, small_clip)
            await progress(app, batch_id, finished=True)
            sheet = await telegram.wait_for(lambda t: next((m for m in t.outbox(ANN) if m.kind == "photo"), None),
                                            timeout=60)
            assert [m.message_id for m in telegram.outbox(ANN) if m.kind == "video"] == [view.message_id]
            assert "clip 1 of 6" in telegram.message(ANN, view.message_id).caption
            await telegram.press(ANN, sheet.message_id, sheet.button_data("5"))
            await telegram.wait_for(lambda t: "clip 5 of 6 · image 3" in t.message(ANN, view.message_id).caption)
            # A replayed finish changes nothing: one sheet, one closing message.
            await progress(app, batch_id, finished=True)
            assert len([m for m in telegram.outbox(ANN) if m.kind == "photo"]) == 1
            assert len([m for m in telegram.outbox(ANN) if "is finished" in (m.content or "")]) == 1
            assert not (Path(settings.paths.data_dir) / "sheets" / f"batch{batch_id}.jpg").exists()
            # The user deleted the view: the next jump sends it anew (and edits that one after).
            telegram.message(ANN, view.message_id).deleted = True
            await telegram.press(ANN, sheet.message_id, sheet.button_data("2"))
            fresh = await telegram.wait_for(lambda t: (v := view_of(t, ANN)) and v.message_id != view.message_id
                                            and "clip 2 of 6" in v.caption and v)
            await telegram.press(ANN, sheet.message_id, sheet.button_data("3"))
            await telegram.wait_for(lambda t: "clip 3 of 6" in t.message(ANN, fresh.message_id).caption)
            assert len([m for m in telegram.outbox(ANN) if m.kind == "video"]) == 2
    finally:
        await db.close()


async def test_albums_stay_available_in_settings(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        await telegram.send_command(ANN, "/settings")
        panel = await telegram.wait_for(lambda t: last_with(t, ANN, "Finished clips: one review message"))
        await telegram.press(ANN, panel.message_id, panel.button_data("album per image"))
        await telegram.wait_for(lambda t: "Finished clips: an album per image" in t.message(ANN, panel.message_id).content)
        batch_id = await make_batch(telegram, app, 1)
        await finish_item(app, (await item_ids(app, batch_id))[0], small_clip)
        await telegram.wait_for(lambda t: last_with(t, ANN, "Tap to select"))
        assert view_of(telegram, ANN) is None and telegram.albums(ANN)


async def test_the_real_pipeline_on_flowsim_fills_the_view(telegram, sim, chromium, sim_session_file, tmp_path):
    """The pipeline's own collect and deliver stages, on flowsim in Chromium: one image with two
    outputs ends as one view message of two clips, a contact sheet and the closing line."""
    from bot.clock import SystemClock
    from bot.pipeline.flow.client import PlaywrightFlowClient

    settings = bot_settings(telegram, tmp_path / "data", sim.base_url, review_mode="view")
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options={"tick_s": 0.3}):
            await telegram.send_photo(ANN, image_bytes(), caption="a kite over the dunes")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
            await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
            await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("Start"))
            await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=120)
            sheet = await telegram.wait_for(lambda t: next((m for m in t.outbox(ANN) if m.kind == "photo"), None))
            view = view_of(telegram, ANN)
            assert view is not None and "clip 1 of 2 · image 1" in view.caption
            assert [m.message_id for m in telegram.outbox(ANN) if m.kind == "video"] == [view.message_id]
            assert not telegram.albums(ANN) and [t for t, _ in sheet.buttons()] == ["1", "2"]
    finally:
        await flow.close()


async def test_the_real_pipeline_on_flowsim_2026_fills_the_view(telegram, sim, chromium, sim_session_file, tmp_path):
    """The same on flowsim's flow2026 variant: the view does not depend on the Flow UI."""
    from tests.handlers.test_flow2026_journeys import _Bot, _settings
    from tests.pipeline.flow.flow2026 import QUIET

    await sim.configure(**QUIET)
    settings = _settings(telegram, sim, tmp_path, default_outputs=2)
    settings.telegram.review_mode = "view"
    async with _Bot(settings, sim_session_file, tmp_path, chromium):
        await telegram.send_document(ANN, image_bytes(), "dune.jpg", "image/jpeg", caption="a kite over the dunes")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
        await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
        await telegram.press(ANN, card.message_id, telegram.message(ANN, card.message_id).button_data("Start"))
        await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=180)
        sheet = await telegram.wait_for(lambda t: next((m for m in t.outbox(ANN) if m.kind == "photo"), None))
        view = view_of(telegram, ANN)
        assert view is not None and "clip 1 of 2 · image 1" in view.caption
        await telegram.press(ANN, view.message_id, view.button_data("▶"))
        await telegram.wait_for(lambda t: "clip 2 of 2" in t.message(ANN, view.message_id).caption)
        assert not telegram.albums(ANN) and [t for t, _ in sheet.buttons()] == ["1", "2"]


async def test_a_clip_too_large_to_upload_is_never_uploaded_and_says_so(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    big = 60 * 1024 * 1024  # over the cloud Bot API's 50 MB upload limit
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 2)
        ids = await item_ids(app, batch_id)
        await finish_item(app, ids[0], small_clip, sizes={1: big})
        # The view is a video message: it starts on the first clip Telegram takes.
        view = await telegram.wait_for(lambda t: view_of(t, ANN))
        assert "clip 2 of 2" in view.caption and len(telegram.calls_to("sendVideo")) == 1
        mid, shown = view.message_id, telegram.message(ANN, view.message_id).payload["video"]["file_id"]
        await telegram.press(ANN, mid, view.button_data("◀"))
        await telegram.wait_for(lambda t: "clip 1 of 2" in t.message(ANN, mid).caption)
        msg = telegram.message(ANN, mid)
        assert "too large to preview" in msg.caption and msg.payload["video"]["file_id"] == shown
        assert telegram.calls_to("editMessageMedia") == []
        # It can still be selected.
        await telegram.press(ANN, mid, msg.button_data("☐ 1/2"))
        await telegram.wait_for(lambda t: "Upscale selected (1)" in str(t.message(ANN, mid).buttons()))
        # Paging on to a clip that fits shows its video again.
        await finish_item(app, ids[1], small_clip)
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("▶"))
        await telegram.wait_for(lambda t: "clip 2 of 4" in t.message(ANN, mid).caption
                                and "too large" not in t.message(ANN, mid).caption)


async def test_contact_sheet_failure_does_not_hold_up_the_closing_message(telegram, tmp_path):
    """Regression: a sheet FFmpeg cannot make (an unreadable clip) must not stop the finish."""
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 1)
        await finish_item(app, (await item_ids(app, batch_id))[0], bad)
        await progress(app, batch_id, finished=True)
        await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"))
        assert view_of(telegram, ANN) is not None
        assert not any(m.kind == "photo" for m in telegram.outbox(ANN))


async def test_a_forgotten_new_prompt_does_not_take_a_later_text(telegram, tmp_path, small_clip):
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 1)
        await finish_item(app, (await item_ids(app, batch_id))[0], small_clip)
        await progress(app, batch_id, finished=True)
        view = await telegram.wait_for(lambda t: view_of(t, ANN))
        await telegram.press(ANN, view.message_id, view.button_data("New prompt"))
        await eventually(lambda: _pending(app))
        db = app.services["batches"].db
        await db.execute("UPDATE kv SET updated_at = updated_at - 3600 WHERE key LIKE 'review.new_prompt.%'")
        before = len(telegram.outbox(ANN))
        await telegram.send_text(ANN, "a lantern drifting over the lake")
        await telegram.wait_for(lambda t: len(t.outbox(ANN)) > before)
        assert last_with(telegram, ANN, "New clips of image") is None, telegram.dump()


async def _pending(app) -> bool:
    return await app.notifier.review.pending_prompt(ANN) is not None


async def test_cancel_clears_a_pending_new_prompt(telegram, tmp_path, small_clip):
    """Regression: /cancel said "Nothing to cancel" while the view waited for a "New prompt":
    the next text was still taken as the prompt. /cancel drops it (before the text is sent and
    while its cost waits for a yes), the view gets its buttons back, and nothing is submitted."""
    settings = bot_settings(telegram, tmp_path / "data", review_mode="view")
    async with running_bot(settings) as app:
        batch_id = await make_batch(telegram, app, 1)
        for item_id in await item_ids(app, batch_id):
            await finish_item(app, item_id, small_clip)
        await progress(app, batch_id, finished=True)
        view = await telegram.wait_for(lambda t: (v := view_of(t, ANN)) and "clip 1 of 2" in v.caption and v)
        mid, db = view.message_id, app.services["batches"].db

        async def submits() -> int:
            return (await db.fetchone("SELECT count(*) FROM tasks WHERE kind = 'submit'"))[0]

        base = await submits()
        # Before the text: /cancel drops the wait; the next text is not a prompt.
        await telegram.press(ANN, mid, view.button_data("New prompt"))
        await telegram.wait_for(lambda t: "Cancel new prompt" in str(t.message(ANN, mid).buttons()))
        await telegram.send_text(ANN, "/cancel")
        await telegram.wait_for(lambda t: last_with(t, ANN, "new prompt for the review view was dropped"))
        await telegram.wait_for(lambda t: "Again" in str(t.message(ANN, mid).buttons()))
        assert await app.notifier.review.pending_prompt(ANN) is None
        await telegram.send_text(ANN, "the boat sails into a sunset")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Send me images with a caption"))
        assert last_with(telegram, ANN, "New clips of image") is None

        # After the text, while its cost waits for a yes: /cancel drops it; the yes spends nothing.
        await telegram.press(ANN, mid, telegram.message(ANN, mid).button_data("New prompt"))
        await telegram.wait_for(lambda t: "Cancel new prompt" in str(t.message(ANN, mid).buttons()))
        await telegram.send_text(ANN, "the boat sinks slowly")
        confirm = await telegram.wait_for(lambda t: last_with(t, ANN, "New clips of image 1"))
        await telegram.send_text(ANN, "/cancel")
        await telegram.wait_for(
            lambda t: sum("review view was dropped" in (m.content or "") for m in t.outbox(ANN)) == 2)
        await telegram.press(ANN, confirm.message_id, confirm.button_data("Yes"))
        await telegram.wait_for(lambda t: any("or cancelled" in (a["text"] or "") for a in t.answers))
        assert await submits() == base
        # With nothing pending, /cancel is about batches again.
        await telegram.send_text(ANN, "/cancel")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Nothing to cancel"))
