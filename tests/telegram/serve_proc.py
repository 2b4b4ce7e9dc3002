"""Running the real `flowbot serve` as a child process against the in-test fake Bot API, for
the crash and signal tests (the process must be killable without killing the test)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from fake_telegram import FakeTelegram
from tests.handlers.harness import ADMIN, ANN, BOB

ROOT = Path(__file__).resolve().parents[2]


def serve_env(tg: FakeTelegram, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment a user would set: the fake server as TELEGRAM_API_BASE_URL, fast polls."""
    for uid, name in ((ADMIN, "Ada"), (ANN, "Ann"), (BOB, "Bob")):
        tg.user(uid, name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLOW_", "PATHS_", "UPSCALE_", "TELEGRAM_", "STORAGE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=tg.token or "", TELEGRAM_API_BASE_URL=tg.base_url,
        TELEGRAM_ADMIN_IDS=str(ADMIN), TELEGRAM_ALLOWED_USER_IDS=f"{ANN},{BOB}",
        TELEGRAM_PROGRESS_EDIT_INTERVAL_S="0.3", PATHS_DATA_DIR=str(data_dir),
        TELEGRAM_REVIEW_MODE="albums",  # its journeys read per-item albums (issue 13: "view")
        FLOW_POLL_INTERVAL_S="0.3", FLOW_STEP_TIMEOUT_S="8", FLOW_RENDER_SLOTS="5",
        FLOW_DEFAULT_OUTPUTS="1", UPSCALE_PRESET="fast", PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


async def start_serve(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    """`python -m bot serve` (what the `flowbot serve` script runs), output appended to a log."""
    with open(log_path, "ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--env-file", "/dev/null", "serve",
            cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT)


async def idle(db_path: Path, timeout: float = 60.0) -> None:
    """Wait until the bot's queue has nothing queued or running (read from its SQLite file)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            open_tasks = db.execute(
                "SELECT count(*) FROM tasks WHERE status IN ('queued', 'running')").fetchone()[0]
        finally:
            db.close()
        if open_tasks == 0:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"{open_tasks} task(s) still open")
        await asyncio.sleep(0.2)


def descendants(pid: int) -> dict[int, str]:
    """Every live process below `pid` (children, grandchildren, …) as {pid: command line}."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                names[int(entry)] = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out[p] = names.get(p, "?")
        todo.extend(children.get(p, []))
    return out


def alive(pids: dict[int, str]) -> dict[int, str]:
    """Those of `pids` that still run (not gone, not a zombie)."""
    out = {}
    for p, name in pids.items():
        try:
            with open(f"/proc/{p}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out[p] = name
        except OSError:
            pass
    return out


async def still_running(tree: dict[int, str], timeout: float = 5.0) -> dict[int, str]:
    """What of `tree` still runs after `timeout` (children may take a moment to be reaped)."""
    for _ in range(int(timeout / 0.1)):
        if not alive(tree):
            break
        await asyncio.sleep(0.1)
    return alive(tree)


def kill_all(pids: dict[int, str]) -> None:
    """SIGKILL what is left of a killed bot's process tree (a power cut takes it all)."""
    for p in alive(pids):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
