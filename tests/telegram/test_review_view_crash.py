"""Issue 13, restart safety of the review view: the real `flowbot serve` is SIGKILLed right
after the fake Bot API accepted the view's first message (the bot never learns its id). After
a restart the view is sent at most once more, every later change edits one message, the
contact sheet comes once, and nothing is paid twice."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.handlers.harness import ANN, image_bytes, last_with
from tests.telegram.serve_proc import descendants, idle, kill_all, serve_env, start_serve


def _views(telegram):
    return [m for m in telegram.outbox(ANN) if m.kind == "video" and "· clip " in (m.caption or "")]


async def test_crash_after_the_view_is_sent_repeats_it_at_most_once(telegram, sim, sim_session_file, tmp_path):
    await sim.configure(generation_seconds=3)
    env = serve_env(telegram, tmp_path / "data", FLOW_BACKEND="browser",
                    FLOW_BASE_URL=f"{sim.base_url}/", FLOW_ACCEPT_UPLOAD_TERMS="true",
                    FLOW_SESSION_FILE=str(sim_session_file), FLOW_DEFAULT_OUTPUTS="2",
                    TELEGRAM_REVIEW_MODE="view")
    log = tmp_path / "serve.log"
    proc = await start_serve(env, log)
    tree: dict[int, str] = {}

    def power_cut_at_view(params, result) -> None:
        if not tree and "· clip " in str(params.get("caption", "")):
            tree.update(descendants(proc.pid))
            os.kill(proc.pid, signal.SIGKILL)  # the view exists; the bot never hears so

    telegram.after("sendVideo", power_cut_at_view)
    try:
        await telegram.wait_for(lambda t: t.commands, timeout=60)
        await telegram.send_document(ANN, image_bytes(seed=2), "a.jpg", caption="a lighthouse at dusk")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"), timeout=30)
        await telegram.press(ANN, card.message_id, card.button_data("Start"))
        await asyncio.wait_for(proc.wait(), 120)
        assert proc.returncode == -signal.SIGKILL, log.read_text()[-3000:]
        kill_all(tree)

        proc = await start_serve(env, log)
        await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=120)
        await telegram.wait_for(lambda t: any(m.kind == "photo" for m in t.outbox(ANN)), timeout=60)
        await idle(tmp_path / "data" / "flowbot.sqlite3")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    views = _views(telegram)
    assert 1 <= len(views) <= 2, telegram.dump()
    assert "clip 1 of 2" in views[-1].caption
    assert len([m for m in telegram.outbox(ANN) if m.kind == "photo"]) == 1
    assert not telegram.albums(ANN)
    assert (await sim.counters())["submissions"] == 1
