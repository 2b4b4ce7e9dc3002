"""Shared fixtures. Heavy stand-ins (flowsim + Chromium, the fake Telegram server, the S3
server) live in `tests/fixtures/` as plugins, each started once per test session."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
import traceback
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage.db import Database
from bot.storage.queue import TaskQueue

pytest_plugins = [
    "tests.fixtures.flowsim",
    "tests.fixtures.telegram",
    "tests.fixtures.s3",
    "tests.fixtures.media",
    "tests.fixtures.catalogs",
]


SLOW_TESTS = Path(__file__).with_name("slow_tests.json")


def _dump_tasks(signum, frame) -> None:
    """`kill -USR1 <worker pid>`: write every asyncio task's stack to
    $TMPDIR/flowbot-tasks-<pid>.txt (a test that hangs in an await shows where; py-spy sees only
    the idle event loop, and pytest captures stderr)."""
    try:
        tasks = asyncio.all_tasks(asyncio.get_event_loop_policy().get_event_loop())
    except RuntimeError:
        tasks = set()
    path = Path(tempfile.gettempdir()) / f"flowbot-tasks-{os.getpid()}.txt"
    with path.open("w") as out:
        print(f"--- {len(tasks)} asyncio task(s)", file=out)
        for task in tasks:
            task.print_stack(limit=30, file=out)
        traceback.print_stack(frame, file=out)


def pytest_configure(config):
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, _dump_tasks)


def pytest_collection_modifyitems(config, items):
    """Start the known-slow tests first, spread over the xdist workers.

    xdist's worksteal scheduler hands each worker a contiguous share of the list and lets the
    others steal from its tail, so a long test collected late ran alone at the end while the
    other workers sat idle. Each share now begins with its part of the slow tests (longest
    first, to the share with the least of them); the rest keep their order. The times come from
    `tests/slow_tests.json` (`scripts/slow_tests.py` refreshes it); a stale entry only costs
    ordering.
    """
    known = json.loads(SLOW_TESTS.read_text()) if SLOW_TESTS.exists() else {}
    slow = sorted((it for it in items if it.nodeid in known), key=lambda it: -known[it.nodeid])
    if not slow:
        return
    rest = [it for it in items if it.nodeid not in known]
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    # The shares as worksteal cuts them: worker i takes len(pending) // (workers - i).
    sizes, left = [], len(items)
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    shares: list[list] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for it in slow:
        j = min((j for j in range(workers) if len(shares[j]) < sizes[j]), key=lambda j: load[j])
        shares[j].append(it)
        load[j] += known[it.nodeid]
    start = 0
    for share, size in zip(shares, sizes, strict=True):
        take = size - len(share)
        share.extend(rest[start:start + take])
        start += take
    items[:] = [it for share in shares for it in share]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def db(tmp_path, clock):
    database = Database(tmp_path / "flowbot.sqlite3", clock)
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def queue(db) -> TaskQueue:
    return TaskQueue(db, lease_seconds=30)
