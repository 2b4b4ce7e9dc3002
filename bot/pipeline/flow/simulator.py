"""`FLOW_BACKEND=simulator`: start flowsim as a child process and drive it like the real Flow.

The driver never imports flowsim (it targets Google Flow); the composition root calls
`start_simulator(settings, session_file)`, which runs `python -m flowsim`, reads the URL it
prints, stores the simulator's signed-in storage_state in the session file (0600) and returns
the app's base URL plus a `stop` coroutine. A new user can then try the whole bot without a
Google account and without spending credits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import FlowSettings
from bot.pipeline.flow.session import write_private

log = logging.getLogger(__name__)
_LISTENING = re.compile(r"listening on (http://\S+)")


def app_url(root: str) -> str:
    """The Flow app URL the driver opens on a simulator at `root` (flow.google.com's home)."""
    return root + "/"


@dataclass
class RunningSimulator:
    """A flowsim child process: `base_url` is the Flow app URL to give the driver."""

    root_url: str
    base_url: str
    process: asyncio.subprocess.Process
    stop: Callable[[], Awaitable[None]]


async def start_simulator(
    settings: FlowSettings, session_file: Path, *, state_dir: Path | None = None,
    startup_timeout: float = 30.0,
) -> RunningSimulator:
    """Start flowsim on `settings.sim_port` (0: any free port) and sign the session file in.

    With `state_dir` the simulated account (projects, tiles, credits, cookie) survives a
    restart, so a restarted bot can reattach to generations it started before.
    """
    cmd = [
        sys.executable, "-m", "flowsim", "--port", str(settings.sim_port),
        "--generation-seconds", str(settings.sim_generation_seconds),
    ]
    if state_dir is not None:
        cmd += ["--state-dir", str(state_dir)]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )

    async def stop() -> None:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    try:
        root = await asyncio.wait_for(_read_url(proc), startup_timeout)
        state = await asyncio.to_thread(_fetch_state, root)
        if not settings.accept_upload_terms:
            # The simulated account accepted Flow's upload rights dialog long ago: trying the
            # bot must not stop at a dialog only an admin may accept on a real account.
            await asyncio.to_thread(_configure, root, {"upload_consent": False})
    except BaseException:
        await stop()
        raise
    write_private(Path(session_file), json.dumps(state).encode())
    # Keep draining its output so a chatty simulator never blocks on a full pipe.
    drain = asyncio.get_running_loop().create_task(_drain(proc))

    async def stop_all() -> None:
        await stop()
        drain.cancel()

    log.info("flowsim started at %s", root)
    return RunningSimulator(root, app_url(root), proc, stop_all)


async def _read_url(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    while True:
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"flowsim exited before listening (code {await proc.wait()})")
        match = _LISTENING.search(line.decode(errors="replace"))
        if match:
            return match.group(1).rstrip("/")


async def _drain(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass


def _configure(root: str, values: dict) -> None:
    body = json.dumps(values).encode()
    req = urllib.request.Request(f"{root}/__sim__/configure", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def _fetch_state(root: str) -> dict:
    with urllib.request.urlopen(f"{root}/__sim__/storage_state", timeout=10) as resp:
        return json.loads(resp.read())
