"""Issue 12 #11, the class "a crash repeats messages already sent": the real `flowbot serve`
is SIGKILLed at the worst moment of a preview — the fake Bot API has just accepted the review
buttons message (after the album), and the bot never learns it. After a restart, at most one
message of that notification is repeated, and nothing is paid twice."""

from __future__ import annotations

import asyncio
import os
import signal

from bot.pipeline.notifier import AdminAlert
from tests.handlers.harness import ADMIN, ANN, bot_settings, image_bytes, last_with, running_bot
from tests.telegram.serve_proc import descendants, idle, kill_all, serve_env, start_serve


async def test_crash_repeats_at_most_one_preview_message(telegram, sim, sim_session_file, tmp_path):
    await sim.configure(generation_seconds=3)
    env = serve_env(telegram, tmp_path / "data", FLOW_BACKEND="browser",
                    FLOW_BASE_URL=f"{sim.base_url}/", FLOW_ACCEPT_UPLOAD_TERMS="true",
                    FLOW_SESSION_FILE=str(sim_session_file), FLOW_DEFAULT_OUTPUTS="2")
    log = tmp_path / "serve.log"
    proc = await start_serve(env, log)
    tree: dict[int, str] = {}

    def power_cut_at_buttons(params, result) -> None:
        if not tree and "Tap to select" in str(params.get("text", "")):
            tree.update(descendants(proc.pid))
            os.kill(proc.pid, signal.SIGKILL)  # the message exists; the bot never hears so

    telegram.after("sendMessage", power_cut_at_buttons)
    try:
        await telegram.wait_for(lambda t: t.commands, timeout=60)
        await telegram.send_document(ANN, image_bytes(seed=1), "a.jpg", caption="smoke curls from a chimney")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"), timeout=30)
        await telegram.press(ANN, card.message_id, card.button_data("Start"))
        await asyncio.wait_for(proc.wait(), 120)
        assert proc.returncode == -signal.SIGKILL, log.read_text()[-3000:]
        kill_all(tree)  # the browser of the dead bot goes with it, as in a container stop

        proc = await start_serve(env, log)
        await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=120)
        await idle(tmp_path / "data" / "flowbot.sqlite3")  # every replay has run
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    previews = telegram.albums(ANN)
    buttons = [m for m in telegram.outbox(ANN) if "Tap to select" in (m.content or "")]
    assert len(previews) >= 1 and len(buttons) >= 1, telegram.dump()
    # One album plus one buttons message were due; one crash may repeat one of them, not both.
    assert len(previews) + len(buttons) <= 2 + 1, telegram.dump()
    assert (await sim.counters())["submissions"] == 1


async def test_crash_repeats_no_admin_alert_message_already_sent(telegram, tmp_path):
    """An alert goes to every admin as a text and a screenshot; a replay of the same alert (the
    deliver task ran again after a crash) sends only what had not gone out yet."""
    other = 1010
    telegram.user(other, "Ed")
    shot = tmp_path / "shot.png"
    shot.write_bytes(image_bytes(fmt="PNG", size=(320, 200)))
    settings = bot_settings(telegram, tmp_path, admin_ids=[ADMIN, other])
    async with running_bot(settings, with_pipeline=False) as app:
        alert = AdminAlert("unknown", "Flow showed something unrecognised", "Look at it.", shot, key="task7")
        telegram.fail_next("sendPhoto", status=400)  # the first admin's screenshot is lost
        await app.notifier.admin_alert(alert)
        await app.notifier.admin_alert(alert)  # the replay
        sent = {uid: [m.method for m in telegram.outbox(uid)] for uid in (ADMIN, other)}
    assert sent == {ADMIN: ["sendMessage", "sendPhoto"], other: ["sendMessage", "sendPhoto"]}
