"""The one SQLite file: connections, pragmas, transactions, migrations at open.

Rules every caller relies on:

* Every write runs inside `Database.write()`, which issues an explicit ``BEGIN IMMEDIATE``.
  A deferred transaction that reads and then writes can fail with "database is locked" no
  matter how long `busy_timeout` is, because SQLite cannot upgrade its read lock while another
  connection writes.
* Within one process, writers take turns on an asyncio lock so they never spin in SQLite's
  busy handler (which sleeps in millisecond steps); other processes are handled by
  `busy_timeout`.
* Each concurrent transaction gets its own aiosqlite connection: interleaving statements of two
  coroutines on one connection would mix their transactions.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.clock import Clock, SystemClock
from bot.storage.migrations import apply_migrations

BUSY_TIMEOUT_MS = 15_000
T = TypeVar("T")


async def _begin(conn: aiosqlite.Connection, sql: str) -> None:
    """Start a transaction on `conn`, leaving none open if the caller is cancelled meanwhile.

    A cancelled await does not stop aiosqlite's thread: the BEGIN queued there still runs, and
    a connection left inside it refuses every later BEGIN ("cannot start a transaction within a
    transaction"), which is what a shutdown that cancelled a tick at the wrong moment did to the
    writer. A rollback queued behind it (the thread runs calls in order) closes it again.
    """
    try:
        await conn.execute(sql)
    except BaseException:
        raw = conn._conn  # aiosqlite's sqlite3 connection, used on its own thread

        def end_open() -> None:
            if raw.in_transaction:
                raw.execute("ROLLBACK")

        await asyncio.shield(conn._execute(end_open))
        raise


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Database:
    """A pool of aiosqlite connections to one file, with migrations applied on `open()`."""

    def __init__(self, path: Path | str, clock: Clock | None = None, *, max_readers: int = 8) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or SystemClock()
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._idle_readers: list[aiosqlite.Connection] = []
        self._reader_slots = asyncio.Semaphore(max_readers)
        self._all_readers: list[aiosqlite.Connection] = []

    async def open(self) -> Database:
        """Create the file if needed, apply pending migrations, and get ready for use."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        await apply_migrations(self._writer)
        return self

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        self._idle_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def now(self) -> float:
        """The injected clock's time; bound into SQL as a parameter, never computed by SQLite."""
        return self.clock.now()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception."""
        if self._writer is None:
            raise RuntimeError("Database.open() was not called")
        async with self._write_lock:
            conn = self._writer
            await _begin(conn, "BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def write_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one ``BEGIN IMMEDIATE`` transaction on the writer's own thread.

        The whole transaction costs one hop between the event loop and aiosqlite's thread
        instead of one per statement, which is what lets the queue's claim/complete path reach
        thousands of tasks per second. `fn` must be quick and must not touch the event loop.
        """
        if self._writer is None:
            raise RuntimeError("Database.open() was not called")

        def transaction() -> T:
            raw = self._writer._conn  # aiosqlite's sqlite3 connection, used on its own thread
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = fn(raw)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result

        async with self._write_lock:
            # aiosqlite 0.22's Connection._execute queues a callable on the connection thread.
            return await self._writer._execute(transaction)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read snapshot on a connection of its own."""
        async with self._reader_slots:
            conn = self._idle_readers.pop() if self._idle_readers else None
            if conn is None:
                conn = await _connect(self.path)
                self._all_readers.append(conn)
            try:
                await _begin(conn, "BEGIN")
                try:
                    yield conn
                finally:
                    await conn.execute("COMMIT")
            finally:
                self._idle_readers.append(conn)

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run one query in a read snapshot and return all rows."""
        async with self.read() as conn, conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        """Run one query in a read snapshot and return the first row, if any."""
        async with self.read() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: tuple | dict = ()) -> int:
        """Run one write statement in its own transaction; returns the number of rows changed."""
        async with self.write() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount
