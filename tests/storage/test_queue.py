"""The leased work queue on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.errors import LeaseLost
from bot.storage.db import Database
from bot.storage.queue import NewTask, TaskQueue, worker_id


async def _drain(queue: TaskQueue, claimed: list[int], errors: list[str]) -> None:
    me = worker_id("t")
    while True:
        try:
            task = await queue.claim(me)
        except sqlite3.OperationalError as err:  # "database is locked" would land here
            errors.append(str(err))
            continue
        if task is None:
            return
        claimed.append(task.id)
        await queue.complete(task.id, me)


async def _fill(queue: TaskQueue, n: int) -> None:
    await queue.db.write_sync(
        lambda conn: [queue.add(conn, NewTask("work", {"i": i}, f"w{i}")) for i in range(n)]
    )


async def test_eight_claimers_share_one_database_each_task_claimed_once(queue):
    await _fill(queue, 1000)
    claimed: list[int] = []
    errors: list[str] = []
    await asyncio.gather(*(_drain(queue, claimed, errors) for _ in range(8)))
    assert errors == []
    assert len(claimed) == 1000
    assert len(set(claimed)) == 1000
    assert await queue.counts() == {"done": 1000}


async def test_eight_claimers_on_separate_connections_never_see_locked(tmp_path, clock):
    """Each claimer has its own Database (own writer connection): SQLite's own locking decides."""
    path = tmp_path / "shared.sqlite3"
    dbs = [await Database(path, clock).open() for _ in range(8)]
    try:
        queues = [TaskQueue(db) for db in dbs]
        await _fill(queues[0], 1000)
        claimed: list[int] = []
        errors: list[str] = []
        await asyncio.gather(*(_drain(q, claimed, errors) for q in queues))
        assert errors == []
        assert sorted(claimed) == sorted(set(claimed))
        assert len(claimed) == 1000
    finally:
        for db in dbs:
            await db.close()


async def test_expired_lease_is_reclaimed_and_late_worker_changes_nothing(queue, clock):
    task_id = await queue.enqueue("work", {"n": 1})
    slow, fast = worker_id("slow"), worker_id("fast")
    first = await queue.claim(slow)
    assert first is not None and first.id == task_id
    assert await queue.claim(fast) is None  # still leased

    clock.advance(queue.lease_seconds + 1)
    second = await queue.claim(fast)
    assert second is not None and second.id == task_id
    assert second.attempts == 2

    with pytest.raises(LeaseLost):
        await queue.complete(task_id, slow)
    with pytest.raises(LeaseLost):
        await queue.fail(task_id, slow, "late")
    with pytest.raises(LeaseLost):
        await queue.retry(task_id, slow, "late")
    with pytest.raises(LeaseLost):
        await queue.renew(task_id, slow)
    unchanged = await queue.get(task_id)
    assert unchanged.status == "running" and unchanged.lease_owner == fast

    await queue.complete(task_id, fast)
    assert (await queue.get(task_id)).status == "done"


async def test_renewal_keeps_a_long_step_leased(queue, clock):
    await queue.enqueue("long")
    me, other = worker_id(), worker_id()
    task = await queue.claim(me)
    for _ in range(3):
        clock.advance(queue.lease_seconds * 0.8)
        await queue.renew(task.id, me)
        assert await queue.claim(other) is None
    await queue.complete(task.id, me)


async def test_late_effects_are_fenced_too(queue, db, clock):
    """Domain writes passed as effects are not applied when the lease was lost."""
    task_id = await queue.enqueue("work")
    me = worker_id()
    await queue.claim(me)
    clock.advance(queue.lease_seconds + 1)
    await queue.claim(worker_id())

    def effects(conn):
        conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('late', 'x', 0)")

    with pytest.raises(LeaseLost):
        await queue.complete(task_id, me, effects=effects, then=[NewTask("next")])
    assert await db.fetchone("SELECT * FROM kv WHERE key = 'late'") is None
    assert await queue.counts() == {"running": 1}


async def test_complete_chains_next_step_and_effects_atomically(queue, db):
    task_id = await queue.enqueue("submit", {"item": 7})
    me = worker_id()
    await queue.claim(me)

    def effects(conn):
        conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('item7', 'submitted', 0)")

    ids = await queue.complete(
        task_id, me, then=[NewTask("watch", {"item": 7}, key="watch:7")], effects=effects
    )
    nxt = await queue.get(ids[0])
    assert nxt.kind == "watch" and nxt.payload == {"item": 7} and nxt.status == "queued"
    row = await db.fetchone("SELECT value FROM kv WHERE key = 'item7'")
    assert row[0] == "submitted"


async def test_failing_effects_roll_back_the_completion(queue, db):
    task_id = await queue.enqueue("submit")
    me = worker_id()
    await queue.claim(me)

    def effects(conn):
        conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('half', 'x', 0)")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        await queue.complete(task_id, me, then=[NewTask("watch")], effects=effects)
    task = await queue.get(task_id)
    assert task.status == "running" and task.lease_owner == me
    assert await db.fetchone("SELECT * FROM kv WHERE key = 'half'") is None
    assert await queue.counts() == {"running": 1}


async def test_retry_backs_off_exponentially_with_jitter_then_fails(queue, clock):
    task_id = await queue.enqueue("flaky", max_attempts=4)
    me = worker_id()
    delays = []
    for attempt in range(1, 4):
        task = await queue.claim(me)
        assert task is not None and task.attempts == attempt
        before = clock.now()
        assert await queue.retry(task_id, me, f"boom {attempt}") is True
        delay = (await queue.get(task_id)).run_after - before
        ceiling = queue.backoff_base * 2 ** (attempt - 1)
        assert queue.backoff_base / 2 <= delay <= ceiling
        delays.append(delay)
        assert await queue.claim(me) is None  # not ready before the backoff elapses
        clock.advance(delay + 0.01)
    task = await queue.claim(me)
    assert task.attempts == 4
    assert await queue.retry(task_id, me, "boom 4") is False
    final = await queue.get(task_id)
    assert final.status == "failed" and final.last_error == "boom 4"


async def test_retry_with_explicit_delay_and_attempts(queue, clock):
    task_id = await queue.enqueue("high_demand", max_attempts=5)
    me = worker_id()
    await queue.claim(me)
    assert await queue.retry(task_id, me, "high demand", delay=180, attempts=1)
    task = await queue.get(task_id)
    assert task.run_after == pytest.approx(clock.now() + 180)
    assert task.attempts == 1


async def test_reschedule_does_not_spend_an_attempt(queue, clock):
    task_id = await queue.enqueue("watch", {"poll": 0}, max_attempts=2)
    me = worker_id()
    for poll in range(1, 6):
        task = await queue.claim(me)
        assert task is not None and task.attempts == 1
        await queue.reschedule(task_id, me, 2.0, payload={"poll": poll})
        clock.advance(2.0)
    assert (await queue.get(task_id)).payload == {"poll": 5}


async def test_enqueue_is_idempotent_by_key(queue):
    first = await queue.enqueue("submit", {"item": 1}, key="submit:1:1")
    again = await queue.enqueue("submit", {"item": 999}, key="submit:1:1")
    assert first == again
    assert (await queue.get(first)).payload == {"item": 1}
    assert await queue.counts() == {"queued": 1}


async def test_claim_filters_by_kind(queue):
    await queue.enqueue("upscale")
    watch = await queue.enqueue("watch")
    me = worker_id()
    task = await queue.claim(me, kinds=["watch", "collect"])
    assert task.id == watch
    assert await queue.claim(me, kinds=["watch"]) is None


async def test_expired_lease_without_attempts_left_fails_instead_of_looping(queue, clock):
    task_id = await queue.enqueue("crashy", max_attempts=1)
    await queue.claim(worker_id())
    clock.advance(queue.lease_seconds + 1)
    assert await queue.claim(worker_id()) is None
    task = await queue.get(task_id)
    assert task.status == "failed" and "no attempts left" in task.last_error


async def test_cancel_by_key_prefix_leaves_other_batches(queue):
    await queue.enqueue("submit", key="batch:1:item:1")
    await queue.enqueue("submit", key="batch:1:item:2")
    other = await queue.enqueue("submit", key="batch:10:item:1")
    assert await queue.cancel(key_prefix="batch:1:") == 2
    assert (await queue.get(other)).status == "queued"


async def test_prune_deletes_only_old_finished_tasks(queue, clock):
    me = worker_id()
    old = await queue.enqueue("a")
    await queue.claim(me)
    await queue.complete(old, me)
    clock.advance(3600)
    recent = await queue.enqueue("b")
    await queue.claim(me)
    await queue.complete(recent, me)
    pending = await queue.enqueue("c")
    assert await queue.prune(older_than_s=1800) == 1
    assert await queue.get(old) is None
    assert (await queue.get(recent)).status == "done"
    assert (await queue.get(pending)).status == "queued"
