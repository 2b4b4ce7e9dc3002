"""`flowbot serve`: run the Telegram bot with its pipeline until SIGTERM or SIGINT.

The first signal stops the bot gracefully, within `SHUTDOWN_BOUND_S`: polling stops (no new
updates), running pipeline steps get a few seconds and are then cancelled with their queue
leases handed back (a restart picks the work up; nothing is submitted to Flow twice), the Flow
session is saved, and the children end (Chromium, the simulator's flowsim, FFmpeg); the exit
status is 0. A second signal, or a graceful stop that overruns its bound, forces the exit:
every child process is killed and the status is 128 + the signal (1 for an overrun).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import threading
from typing import Any

log = logging.getLogger(__name__)

# docker stop waits 10 s by default before SIGKILL: give the container stop_grace_period: 30s.
SHUTDOWN_BOUND_S = 25.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the Telegram bot (SIGTERM/SIGINT stop it gracefully)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    settings.require_bot_token()
    return asyncio.run(serve_until_signalled(settings))


async def serve_until_signalled(settings: Any, bound_s: float = SHUTDOWN_BOUND_S) -> int:
    """Serve until the first SIGTERM/SIGINT, then stop gracefully; returns the exit status."""
    from bot.app import serve

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[signal.Signals] = []
    watchdogs: list[threading.Timer] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        if len(received) == 1:
            log.info("%s received: stopping gracefully within %.0f s (send it again to force)",
                     sig.name, bound_s)
            stop.set()
            # A thread, not the loop: the bound must hold even if the loop is stuck.
            watchdog = threading.Timer(bound_s, force_exit,
                                       (f"the graceful stop took over {bound_s:.0f} s", 1))
            watchdog.daemon = True
            watchdog.start()
            watchdogs.append(watchdog)
        else:
            force_exit(f"second signal ({sig.name})", 128 + int(sig))

    watched = (signal.SIGTERM, signal.SIGINT)
    for sig in watched:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await serve(settings, stop)
    finally:
        for sig in watched:
            loop.remove_signal_handler(sig)
        for watchdog in watchdogs:
            watchdog.cancel()
    if received:
        log.info("stopped cleanly after %s", received[0].name)
    return 0


def force_exit(reason: str, status: int) -> None:
    """Kill every process this one started (and theirs), then exit at once with `status`."""
    log.error("forced exit: %s; killing child processes", reason)
    for pid in child_processes(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(status)


def child_processes(pid: int) -> list[int]:
    """Every live process below `pid` (children first), read from /proc; [] where there is none."""
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    children: dict[int, list[int]] = {}
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(children.get(p, []))
    return out
