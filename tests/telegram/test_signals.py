"""Issue 12 #10, the class "a signal kills the bot outright": the real `flowbot serve`
(simulator backend: it starts flowsim and Chromium itself) gets SIGTERM in the middle of a
batch. It must exit 0 within its bound, leave no process behind (flowsim, Chromium, FFmpeg),
hand its queue work back and save the Flow session; restarted, it finishes the batch with no
item lost and nothing submitted to Flow twice."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3

from bot.cli.serve import SHUTDOWN_BOUND_S
from flowsim.control import SimControl
from tests.handlers.harness import ANN, image_bytes, last_with
from tests.telegram.serve_proc import (
    descendants,
    idle,
    kill_all,
    serve_env,
    start_serve,
    still_running,
)

ITEMS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _logged(log, text: str, timeout: float = 10.0) -> None:
    """Wait until the serve log holds `text` (the process has taken a signal)."""
    for _ in range(int(timeout / 0.01)):
        if text in log.read_text():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} never logged:\n{log.read_text()[-3000:]}")


async def _terminate(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), SHUTDOWN_BOUND_S)
    return proc.returncode


async def test_signal_stops_serve_gracefully_and_a_restart_loses_nothing(telegram, tmp_path):
    data = tmp_path / "data"
    port = _free_port()
    env = serve_env(telegram, data, FLOW_BACKEND="simulator", FLOW_SIM_PORT=str(port),
                    FLOW_SIM_GENERATION_SECONDS="4")
    log = tmp_path / "serve.log"
    db_path = data / "flowbot.sqlite3"
    proc = await start_serve(env, log)
    tree: dict[int, str] = {}
    try:
        await telegram.wait_for(lambda t: t.commands, timeout=90)
        await telegram.send_album(ANN, [(image_bytes(seed=i), "document", f"s{i}.jpg") for i in range(ITEMS)],
                                  caption="a lighthouse beam sweeps the fog")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"), timeout=30)
        await telegram.press(ANN, card.message_id, card.button_data("Start"))
        # Mid-batch: the first item is back, the others are still in Flow or queued.
        await telegram.wait_for(lambda t: last_with(t, ANN, "Tap to select"), timeout=120)
        assert last_with(telegram, ANN, "is finished") is None

        tree = descendants(proc.pid)
        assert any("flowsim" in c for c in tree.values()), tree
        assert any("chrom" in c for c in tree.values()), tree
        assert await _terminate(proc) == 0, log.read_text()[-3000:]
        assert await still_running(tree) == {}, "left running after SIGTERM"

        db = sqlite3.connect(db_path)
        try:
            running = db.execute("SELECT count(*) FROM tasks WHERE status = 'running'").fetchone()[0]
        finally:
            db.close()
        assert running == 0  # every lease handed back, none left to expire
        # The session file is whole (saved when it changed, never half-written by the stop).
        assert json.loads((data / "flowsim_session.json").read_text())["cookies"]

        proc = await start_serve(env, log)
        await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=180)
        await idle(db_path)
        control = SimControl(f"http://127.0.0.1:{port}")
        try:
            counters = await control.counters()
        finally:
            await control.close()
        tree = descendants(proc.pid)
        assert await _terminate(proc) == 0, log.read_text()[-3000:]
        assert await still_running(tree) == {}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        kill_all(tree)

    assert counters["submissions"] == ITEMS  # nothing paid twice across the stop
    db = sqlite3.connect(db_path)
    try:
        statuses = db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall()
    finally:
        db.close()
    assert statuses == [("done", ITEMS)]
    assert "stopped cleanly after SIGTERM" in log.read_text()


async def test_second_signal_forces_the_exit(telegram, tmp_path):
    env = serve_env(telegram, tmp_path / "data", FLOW_BACKEND="simulator", FLOW_SIM_PORT="0",
                    FLOW_SIM_GENERATION_SECONDS="4")
    log = tmp_path / "serve.log"
    proc = await start_serve(env, log)
    tree: dict[int, str] = {}
    try:
        await telegram.wait_for(lambda t: t.commands, timeout=90)
        tree = descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        # The second signal only after the first was taken: two sent back to back may reach
        # the process as one (the kernel keeps one pending SIGINT), which a human's second
        # Ctrl-C never is; the old test sent both at once and flaked at about one run in two.
        await _logged(log, "SIGINT received: stopping gracefully")
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), SHUTDOWN_BOUND_S)
        assert proc.returncode == 128 + signal.SIGINT, log.read_text()[-3000:]
        assert await still_running(tree) == {}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        kill_all(tree)
