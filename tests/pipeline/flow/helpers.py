"""Small helpers shared by the driver tests (polling until terminal, finding our Chromium)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.pipeline.flow.api import FlowHandle


async def wait_terminal(client, handle: FlowHandle, timeout: float = 90.0):
    """Poll until every tile is done or failed; the limit only stops a hung test."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        statuses = await client.poll(handle)
        if all(s.terminal for s in statuses):
            return statuses
        assert loop.time() < end, f"tiles never finished: {statuses}"
        await asyncio.sleep(0.25)


def chromium_browsers() -> set[int]:
    """PIDs of Chromium *browser* processes (not renderers) descended from this test process."""
    me = os.getpid()
    parents: dict[int, int] = {}
    cmdlines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        cmdlines[int(entry.name)] = cmd

    def mine(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    return {
        pid for pid, cmd in cmdlines.items()
        if "chromium" in cmd and "--type=" not in cmd and "--remote-debugging-pipe" in cmd and mine(pid)
    }
