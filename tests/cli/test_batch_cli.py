"""`flowbot batch`: input parsing, and the crash test — a real `flowbot batch` process on flowsim
killed with SIGKILL at random moments, restarted each time, must finish every item exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.batch import LOG_NAME, fingerprint, read_input
from bot.pipeline.flow.ledger import Ledger, ledger_path
from flowsim.control import SyncSimControl
from tests.fixtures.flowsim import app_url
from tests.services.harness import make_frames

ROOT = Path(__file__).resolve().parents[2]


def test_read_input_folder_csv_and_txt(tmp_path):
    frames = make_frames(tmp_path / "imgs", 2)
    assert read_input(tmp_path / "imgs", "pan") == [(frames[0], "pan"), (frames[1], "pan")]
    csv_file = tmp_path / "map.csv"
    csv_file.write_text('image,prompt\nimgs/frame00.png,"a cat, walking"\nimgs/frame01.png,dog\n')
    assert read_input(csv_file, None) == [(frames[0], "a cat, walking"), (frames[1], "dog")]
    txt = tmp_path / "map.txt"
    txt.write_text("# comment\nimgs/frame00.png | sunrise\nimgs/frame01.png\tsunset\n")
    assert read_input(txt, None) == [(frames[0], "sunrise"), (frames[1], "sunset")]
    assert fingerprint(read_input(txt, None), "9:16", 1, "m") != fingerprint(
        read_input(csv_file, None), "9:16", 1, "m")


@pytest.mark.parametrize("content, message", [
    (None, "needs --prompt"),
    ("imgs/missing.png | x\n", "image not found"),
    ("imgs/frame00.png\n", "no prompt"),
])
def test_read_input_errors_say_what_is_wrong(tmp_path, content, message):
    make_frames(tmp_path / "imgs", 1)
    target = tmp_path / "imgs"
    if content is not None:
        target = tmp_path / "map.txt"
        target.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_input(target, None)


def _env(sim_url: str, session: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_", "UPSCALE_"))}
    env.update(FLOW_BACKEND="browser", FLOW_BASE_URL=app_url(sim_url),
               FLOW_ACCEPT_UPLOAD_TERMS="true",
               FLOW_SESSION_FILE=str(session), FLOW_POLL_INTERVAL_S="0.3", FLOW_STEP_TIMEOUT_S="8",
               PATHS_DATA_DIR=str(data), FLOW_RENDER_SLOTS="5", FLOW_SUBMIT_GAP_S="0")
    return env


def _ffprobe_seconds(path: str) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", path], capture_output=True, text=True)
    return float(out.stdout.strip() or 0) if out.returncode == 0 else 0.0


def _no_click_in_flight(control: SyncSimControl, ledger: Path, bound_s: float = 5.0) -> None:
    """Wait (bounded) until every click the driver recorded has reached flowsim.

    A kill between the record and the click's arrival leaves a click whose fate nobody can
    know, on the real site too: the driver holds it for an admin for FLOW_RECONCILE_WINDOW_S
    and never redoes it (tests/pipeline/flow/test_flow2026_wire_faults.py proves that). This
    test is about the kills the driver must survive unaided, so it does not aim into that
    window of a few milliseconds.
    """
    deadline = time.monotonic() + bound_s
    # The driver's own reader: a ledger not written yet reads as no clicks.
    while (len(Ledger(ledger).clicks) > control.counters()["submissions"]
           and time.monotonic() < deadline):
        time.sleep(0.005)


def _run_with_kills(cmd: list[str], env: dict[str, str], kills: int, log_path: Path,
                    sim_url: str) -> int | None:
    """Start the batch and SIGKILL it `kills` times, then let it finish; returns its exit code
    (None when the last run did not end within its bound).

    The first kill lands right after flowsim counted the first Create click, inside the window
    between "clicked" and "handle recorded"; the others at random moments.
    """
    rng = random.Random(20261124)
    control = SyncSimControl(sim_url)
    ledger = ledger_path(env["FLOW_SESSION_FILE"])
    with open(log_path, "w") as log:
        for n in range(kills):
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            if n == 0:
                deadline = time.monotonic() + 60
                while control.counters()["submissions"] == 0 and time.monotonic() < deadline:
                    time.sleep(0.02)
            else:
                time.sleep(rng.uniform(3.0, 9.0))
                _no_click_in_flight(control, ledger)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # only the batch process: a power cut of it
            proc.wait()
        try:
            return subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=240).returncode
        except subprocess.TimeoutExpired:
            return None


async def test_sigkill_at_random_moments_never_pays_twice(sim, sim_session_file, tmp_path):
    await sim.configure(generation_seconds=3)
    items, kills = 6, 10
    make_frames(tmp_path / "imgs", items)
    out, events = tmp_path / "out", tmp_path / "events.jsonl"
    cmd = [sys.executable, "-m", "bot", "--env-file", "/dev/null", "batch", str(tmp_path / "imgs"),
           "--prompt", "crash me", "--outputs", "1", "--out", str(out), "--events-log", str(events),
           "--quiet"]
    env = _env(sim.base_url, sim_session_file, tmp_path / "data")
    final = await asyncio.to_thread(_run_with_kills, cmd, env, kills, tmp_path / "runs.log",
                                    sim.base_url)
    # The terminal's lines, then the log the runs wrote into the output folder.
    runs_log = (tmp_path / "runs.log").read_text() + (out / LOG_NAME).read_text()
    assert final == 0, f"last run: {'no end within 240 s' if final is None else final}\n" + \
        runs_log[-3000:]
    assert "1 reattached" in runs_log  # the click-then-kill submission was found, not redone

    counters = await sim.counters()
    assert counters["submissions"] == items  # no credit paid twice, whatever the kill hit
    db = sqlite3.connect(out / "flowbot-batch.sqlite3")
    statuses = db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall()
    assert statuses == [("done", items)]
    done = db.execute("SELECT item_id, count(*) FROM generations WHERE status = 'done' "
                      "GROUP BY item_id").fetchall()
    assert len(done) == items and all(n == 1 for _, n in done)
    clips = db.execute("SELECT path_720, sha256_720 FROM clips WHERE status = 'ready'").fetchall()
    assert len(clips) == items
    for path, digest in clips:
        assert _ffprobe_seconds(path) > 7.5
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest
    previews = [json.loads(line) for line in events.read_text().splitlines()
                if json.loads(line)["event"] == "item_previews"]
    per_item: dict[int, int] = {}
    for p in previews:
        per_item[p["item_id"]] = per_item.get(p["item_id"], 0) + 1
    assert len(per_item) == items
    assert len(previews) <= items + kills  # at most one replay per crash
