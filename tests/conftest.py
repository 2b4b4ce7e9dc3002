"""Shared fixtures. Heavy stand-ins (flowsim + Chromium, the fake Telegram server, the S3
server) live in `tests/fixtures/` as plugins, each started once per test session."""

from __future__ import annotations

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
