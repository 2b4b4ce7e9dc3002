"""The whole journey over HTTP: album + caption → card → Settings → Start → live progress →
previews → select 2 → Upscale to 4K → 4K documents → Zip. Real aiogram polling against the fake
Bot API, the real pipeline on flowsim with Chromium, and real FFmpeg."""

from __future__ import annotations

import io
import zipfile

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ANN, bot_settings, image_bytes, last_with, running_bot

PIPELINE = {"tick_s": 0.3, "session_check_s": 0.5}


async def test_album_to_4k_and_zip(telegram, sim, chromium, sim_session_file, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    settings.upscale.preset = "fast"
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options=dict(PIPELINE)) as app:
            await _journey(telegram, app)
    finally:
        await flow.close()


async def _journey(telegram, app):
    telegram.enforce_flood = True  # Telegram's per-chat and global rates: 429s are honoured
    await telegram.send_album(ANN, [(image_bytes(seed=i), "document", f"shot{i}.jpg") for i in range(2)],
                              caption="a paper boat drifts down a rainy street")
    card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
    await telegram.press(ANN, card.message_id, card.button_data("Settings"))
    await telegram.wait_for(lambda t: "1 output" in str(t.message(ANN, card.message_id).buttons()))
    card = telegram.message(ANN, card.message_id)
    await telegram.press(ANN, card.message_id, card.button_data("1 output"))
    await telegram.wait_for(lambda t: "1 video each" in t.message(ANN, card.message_id).content)
    card = telegram.message(ANN, card.message_id)
    await telegram.press(ANN, card.message_id, card.button_data("Done"))
    await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
    card = telegram.message(ANN, card.message_id)
    await telegram.press(ANN, card.message_id, card.button_data("Start"))

    # Live progress: one message, edited in place, ending "Finished"; then two review messages.
    done = await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=120)
    assert "2 done, 0 failed" in done.content
    progress = [m for m in telegram.outbox(ANN) if "▓" in (m.content or "") or "░" in (m.content or "")]
    assert len(progress) == 1, [m.describe() for m in progress]
    assert "Finished" in progress[0].content and progress[0].edits
    reviews = await telegram.wait_for(
        lambda t: (r := [m for m in t.outbox(ANN) if "Tap to select" in (m.content or "")]) and len(r) == 2 and r)
    previews = [m for m in telegram.outbox(ANN) if m.method in ("sendVideo", "sendMediaGroup")]
    assert len(previews) == 2 and all(m.files for m in previews)

    # Select one clip under each image (a double tap on the second changes nothing).
    taps = [r.button_data("☐") for r in reviews]
    for review, tap in zip(reviews, taps, strict=True):
        await telegram.press(ANN, review.message_id, tap)
        await telegram.wait_for(lambda t, r=review: "✅" in str(t.message(ANN, r.message_id).buttons()))
    # A double tap: the same payload again lands on the same state.
    await telegram.press(ANN, reviews[1].message_id, taps[1], forge=True)
    await telegram.wait_for(lambda t: sum("selected in batch" in (a.get("text") or "") for a in t.answers) >= 3)
    batches = app.services["batches"]
    assert len((await batches.get(1)).selected_clips) == 2

    review = telegram.message(ANN, reviews[0].message_id)
    await telegram.press(ANN, review.message_id, review.button_data("Upscale"))
    await telegram.wait_for(lambda t: "Fast" in str(t.message(ANN, review.message_id).buttons()))
    review = telegram.message(ANN, review.message_id)
    await telegram.press(ANN, review.message_id, review.button_data("Fast"))
    docs = await telegram.wait_for(
        lambda t: (d := [m for m in t.outbox(ANN) if m.method == "sendDocument" and "4K" in (m.caption or "")])
        and len(d) == 2 and d, timeout=180)
    assert all(m.files and m.files[0][1].endswith("_4k.mp4") for m in docs)
    assert any(a == (ANN, "upload_video") for a in telegram.chat_actions)

    review = telegram.message(ANN, reviews[0].message_id)
    await telegram.press(ANN, review.message_id, review.button_data("Zip 4K"))
    zipped = await telegram.wait_for(
        lambda t: next((m for m in t.outbox(ANN) if m.method == "sendDocument"
                        and m.files and m.files[0][1].endswith(".zip")), None), timeout=60)
    with zipfile.ZipFile(io.BytesIO(zipped.files[0][2])) as zf:
        assert sum(1 for n in zf.namelist() if n.endswith(".mp4")) == 2
    # Under enforced flood limits nothing failed for good: only 429s, each waited out.
    refused = [(c.method, c.status, c.error) for c in telegram.calls if c.status >= 400 and c.status != 429]
    assert refused == []
