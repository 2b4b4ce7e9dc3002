"""`flowbot batch --backend simulator` and signals (leftover of issue 12 #10): SIGTERM left its
flowsim child running and no start-up sweep ran. Now a signal stops it like `serve`: leases
handed back, the session saved, every child stopped, within the bound; a second one forces."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

from bot.cli.batch import simulator_home
from bot.cli.serve import SHUTDOWN_BOUND_S
from tests.services.harness import make_frames
from tests.telegram.serve_proc import descendants, kill_all, still_running

ROOT = Path(__file__).resolve().parents[2]


async def _start_batch(tmp_path: Path) -> tuple[asyncio.subprocess.Process, Path, Path]:
    make_frames(tmp_path / "imgs", 3)
    out, log = tmp_path / "out", tmp_path / "batch.log"
    out.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_", "UPSCALE_"))}
    env.update(FLOW_SIM_PORT="0", FLOW_POLL_INTERVAL_S="0.3", FLOW_STEP_TIMEOUT_S="8",
               FLOW_RENDER_SLOTS="5", FLOW_SUBMIT_GAP_S="0", PYTHONPATH=str(ROOT))
    with open(log, "ab") as fh:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--env-file", "/dev/null", "batch", str(tmp_path / "imgs"),
            "--prompt", "a kite over dunes", "--outputs", "1", "--out", str(out), "--quiet",
            "--backend", "simulator", "--sim-generation-seconds", "20",
            cwd=ROOT, env=env, stdout=fh, stderr=asyncio.subprocess.STDOUT)
    return proc, out, log


async def _submitted(proc, out: Path, log: Path, timeout: float = 90.0) -> dict[int, str]:
    """Wait until an item is in Flow (so a lease or a render is open); the process tree then."""
    db_path = out / "flowbot-batch.sqlite3"
    for _ in range(int(timeout / 0.2)):
        assert proc.returncode is None, log.read_text()[-3000:]
        if db_path.exists():
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
            try:
                n = db.execute("SELECT count(*) FROM generations").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            finally:
                db.close()
            if n:
                return descendants(proc.pid)
        await asyncio.sleep(0.2)
    raise AssertionError("nothing submitted:\n" + log.read_text()[-3000:])


async def test_batch_cli_sigterm_stops_its_simulator_and_hands_leases_back(tmp_path):
    # A half-written file of a killed earlier run: the start-up sweep deletes it.
    leftover = tmp_path / "out" / "clips" / ".item001_1_v1.mp4.0a1b2c3d.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    proc, out, log = await _start_batch(tmp_path)
    tree: dict[int, str] = {}
    try:
        tree = await _submitted(proc, out, log)
        assert any("flowsim" in c for c in tree.values()), tree
        assert any("chrom" in c for c in tree.values()), tree
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), SHUTDOWN_BOUND_S)
        text = log.read_text()
        assert proc.returncode == 128 + signal.SIGTERM, text[-3000:]
        assert await still_running(tree) == {}, "left running after SIGTERM"
        assert "run the same command again to resume" in text
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        kill_all(tree)
    assert not leftover.exists()
    db = sqlite3.connect(out / "flowbot-batch.sqlite3")
    try:
        running = db.execute("SELECT count(*) FROM tasks WHERE status = 'running'").fetchone()[0]
    finally:
        db.close()
    assert running == 0  # every lease handed back
    # The simulated account waits outside the output folder for the resuming run.
    assert json.loads((simulator_home(out) / "session.json").read_text())["cookies"]
    assert not (out / "flowsim").exists() and not list(out.glob(".flowsim*"))


async def test_batch_cli_second_signal_forces_the_exit(tmp_path):
    proc, out, log = await _start_batch(tmp_path)
    tree: dict[int, str] = {}
    try:
        tree = await _submitted(proc, out, log)
        proc.send_signal(signal.SIGINT)
        for _ in range(500):  # the second only once the first was taken (signals coalesce)
            if "SIGINT received" in log.read_text():
                break
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), SHUTDOWN_BOUND_S)
        assert proc.returncode == 128 + signal.SIGINT, log.read_text()[-3000:]
        assert "forced exit: second signal" in log.read_text()
        assert await still_running(tree) == {}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        kill_all(tree)
