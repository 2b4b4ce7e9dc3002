"""BatchService and AccountService on a real SQLite file (no Flow needed for these rules)."""

from __future__ import annotations

import pytest

from bot.pipeline import stages
from bot.services.account import AccountService
from bot.services.batches import (
    BatchError,
    BatchService,
    BatchStateError,
    NewItem,
    NotYourBatchError,
)
from bot.storage import repo
from tests.services.harness import make_frames, make_settings

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")

OWNER, OTHER = 11, 22


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data", render_slots=5)


@pytest.fixture
def svc(db, queue, settings, clock):
    return BatchService(db, queue, settings, clock, settings.paths.data_dir)


@pytest.fixture
def frames(tmp_path):
    return make_frames(tmp_path / "frames", 3, size=(64, 96))


async def _draft(svc, frames, outputs=2):
    return await svc.create_batch(OWNER, 5, [NewItem(f, f"prompt {i}") for i, f in enumerate(frames)],
                                  aspect="9:16", outputs=outputs, model="Veo 3.1 - Fast")


async def _open_tasks(db, kind):
    row = await db.fetchone("SELECT count(*) FROM tasks WHERE kind = ? AND status = 'queued'", (kind,))
    return row[0]


async def test_create_copies_images_and_starts_as_a_draft(svc, frames, settings):
    batch_id = await _draft(svc, frames)
    view = await svc.get(batch_id)
    assert view.status == "draft" and view.counts == {"pending": 3}
    assert all(i.image_path.is_file() and settings.paths.data_dir in i.image_path.parents
               for i in view.items)
    assert [i.prompt for i in view.items] == ["prompt 0", "prompt 1", "prompt 2"]
    assert await svc.estimate(batch_id) == (3 * 2 * 20, pytest.approx((await svc.estimate(view)).seconds))
    assert await svc.get(999) is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(aspect="4:3"), "Aspect"), (dict(outputs=7), "Outputs"), (dict(model="Veo 9"), "Model")])
async def test_create_refuses_bad_settings(svc, frames, kwargs, message):
    with pytest.raises(BatchError, match=message):
        await svc.create_batch(OWNER, 5, [NewItem(frames[0], "p")], **kwargs)


async def test_settings_change_only_by_the_owner_and_only_while_draft(svc, frames):
    batch_id = await _draft(svc, frames)
    with pytest.raises(NotYourBatchError):
        await svc.update_settings(batch_id, OTHER, outputs=1)
    view = await svc.update_settings(batch_id, OWNER, outputs=1, aspect="16:9")
    assert (view.outputs, view.aspect) == (1, "16:9")
    await svc.start(batch_id, OWNER)
    with pytest.raises(BatchStateError):
        await svc.update_settings(batch_id, OWNER, outputs=3)


async def test_start_is_idempotent_and_cancel_stops_what_was_not_submitted(svc, frames, db):
    batch_id = await _draft(svc, frames)
    with pytest.raises(NotYourBatchError):
        await svc.start(batch_id, OTHER)
    await svc.start(batch_id, OWNER)
    await svc.start(batch_id, OWNER)  # double tap
    assert await _open_tasks(db, stages.SUBMIT) == 3
    view = await svc.cancel(batch_id, OWNER)
    assert view.status == "cancelled" and view.counts == {"cancelled": 3}
    assert await _open_tasks(db, stages.SUBMIT) == 0
    listed = await svc.list_for_user(OWNER)
    assert [(b.id, b.status, b.total) for b in listed] == [(batch_id, "cancelled", 3)]
    assert await svc.list_for_user(OTHER) == []


async def _with_clips(svc, db, frames, clock):
    """A started batch whose first item finished with two clips (rows as the collect stage writes)."""
    batch_id = await _draft(svc, frames)
    await svc.start(batch_id, OWNER)
    view = await svc.get(batch_id)
    item = view.items[0]
    now = clock.now()

    def finish(conn):
        gen = repo.insert_generation(conn, item_id=item.id, attempt=1, outputs=2, model="m",
                                     aspect="9:16", now=now)
        for variant in (1, 2):
            repo.insert_clip(conn, item_id=item.id, gen_id=gen, variant=variant,
                             tile_id=f"t{variant}", now=now)
        conn.execute("UPDATE clips SET status = 'ready', path_720 = 'clip.mp4', size_720 = 5")
        repo.set_item(conn, item.id, now, status="done")

    await db.write_sync(finish)
    return batch_id, [c.id for c in (await svc.get(batch_id)).clips]


async def test_clip_selection_is_checked_for_ownership(svc, db, frames, clock):
    batch_id, (c1, c2) = await _with_clips(svc, db, frames, clock)
    assert await svc.toggle_clip(c1, OWNER) is True
    assert await svc.toggle_clip(c1, OWNER) is False
    with pytest.raises(PermissionError):
        await svc.toggle_clip(c1, OTHER)
    with pytest.raises(NotYourBatchError):
        await svc.toggle_clip(c1, OWNER, batch_id=batch_id + 1)
    await svc.set_selected(c2, OWNER, True)
    await svc.set_selected(c2, OWNER, True)  # idempotent
    assert [c.id for c in await svc.selected_clips(batch_id, OWNER)] == [c2]


async def test_upscale_and_export_requests_survive_a_double_tap(svc, db, frames, clock):
    batch_id, (c1, c2) = await _with_clips(svc, db, frames, clock)
    assert await svc.request_upscale(batch_id, OWNER, "fast") == 0  # nothing selected yet
    await svc.set_selected(c1, OWNER, True)
    assert await svc.request_upscale(batch_id, OWNER, "fast") == 1
    assert await svc.request_upscale(batch_id, OWNER, "fast") == 0
    assert await _open_tasks(db, stages.UPSCALE) == 1
    with pytest.raises(NotYourBatchError):
        await svc.request_upscale(batch_id, OTHER, "fast")
    assert await svc.request_export(batch_id, OWNER, "4k") is None  # no 4K clip yet
    first = await svc.request_export(batch_id, OWNER, "720p")
    assert first is not None and await svc.request_export(batch_id, OWNER, "720p") == first
    assert await _open_tasks(db, stages.EXPORT) == 1


async def test_retry_of_a_failed_item_queues_one_new_submission(svc, db, frames, clock):
    batch_id = await _draft(svc, frames)
    await svc.start(batch_id, OWNER)
    item = (await svc.get(batch_id)).items[1]
    assert await svc.retry_item(item.id, OWNER) is False  # not failed
    await db.write_sync(lambda conn: repo.set_item(conn, item.id, clock.now(), status="failed",
                                                   error_code="transient", error_text="x"))
    with pytest.raises(PermissionError):
        await svc.retry_item(item.id, OTHER)
    assert await svc.retry_cost(item.id) == 40
    assert await svc.retry_item(item.id, OWNER) is True
    assert await svc.retry_item(item.id, OWNER) is False
    assert await _open_tasks(db, stages.SUBMIT) == 4
    assert (await svc.get(batch_id)).items[1].status == "queued"


async def test_account_pause_resume_state_and_queue(db, queue, clock, settings, svc, frames):
    account = AccountService(db, queue, clock, settings)
    assert (await account.state()).paused is False
    assert await account.pause("maintenance") is True
    assert await account.pause("again") is False
    state = await account.state()
    assert (state.paused, state.kind, state.detail, state.slot_cap) == (True, "admin", "maintenance", 5)
    assert await account.resume() is True and await account.resume() is False
    alerts = await db.fetchall("SELECT payload FROM tasks WHERE kind = 'deliver'")
    assert len(alerts) == 1 and "resumed" in alerts[0][0]
    batch_id = await _draft(svc, frames)
    await svc.start(batch_id, OWNER)
    overview = await account.queue_overview()
    assert overview["tasks"]["submit"] == {"queued": 3}
    assert overview["running_batches"][0]["total"] == 3
    task = await db.fetchone("SELECT id FROM tasks WHERE kind = 'submit' LIMIT 1")
    assert await account.cancel_task(task[0]) is True
    stats = await account.stats()
    assert stats["all_time"]["generations"] == 0 and stats["today"]["credits_spent"] == 0
