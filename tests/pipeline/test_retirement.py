"""A model Flow retired is a product event (issue 17): a draft, a saved default and a queued,
not yet submitted item that name it are HELD — nothing spent, nothing switched silently, the
account not paused — and one tap moves them to the nearest model at its new price."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.pipeline import catalog, retirement, stages
from bot.pipeline.catalog import OMNI, OMNI_12, VEO_FAST, VEO_LITE, VEO_QUALITY
from bot.pipeline.catalog_learned import learned_from_survey
from bot.services.batches import (
    BatchError,
    BatchService,
    ModelRetiredError,
    NewItem,
)
from bot.services.users import UserService
from bot.storage import repo
from tests.fixtures.catalogs import december_baseline
from tests.services.harness import RecordingNotifier, make_frames, make_settings

OWNER, OTHER = 11, 22
BEFORE = datetime(2026, 12, 6, 12, tzinfo=UTC).timestamp()
AFTER = datetime(2027, 1, 15, 12, tzinfo=UTC).timestamp()


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data")


@pytest.fixture
def svc(db, queue, settings, clock, tmp_path):
    return BatchService(db, queue, settings, clock, tmp_path / "data")


@pytest.fixture
def frames(tmp_path):
    return make_frames(tmp_path / "frames", 3)


async def _draft(svc, frames, model, **kw):
    return await svc.create_batch(OWNER, 5, [NewItem(f, f"prompt {i}") for i, f in
                                             enumerate(frames)], aspect="9:16", outputs=2,
                                  model=model, **kw)


async def _tasks(db):
    return [tuple(r) for r in await db.fetchall(
        "SELECT idempotency_key, status FROM tasks WHERE kind = ? ORDER BY id", (stages.SUBMIT,))]


def test_gone_names_the_day_and_the_nearest():
    held = retirement.gone(VEO_QUALITY, "pro", AFTER)
    assert held == retirement.Gone(VEO_QUALITY, date(2026, 12, 7), VEO_LITE, "pro")
    assert held.english() == ("Veo 3.1 - Quality was retired by Flow on 2026-12-07; the nearest "
                              "model is Veo 3.1 - Lite.")
    assert retirement.gone(VEO_QUALITY, "pro", BEFORE) is None
    assert retirement.gone(VEO_LITE, "pro", AFTER) is None
    # Dropped by a survey without a date of ours: "no longer offered".
    baseline = december_baseline("ultra")
    del baseline["options"][VEO_LITE]
    catalog.install(learned_from_survey(baseline))
    lite = retirement.gone(VEO_LITE, "ultra", AFTER)
    assert lite == retirement.Gone(VEO_LITE, None, OMNI_12, "ultra")
    assert lite.english() == "Flow no longer offers Veo 3.1 - Lite; the nearest model is Omni 1.2 Flash."


async def test_a_draft_naming_a_retired_model_is_held_and_one_tap_switches_it(svc, db, frames,
                                                                             clock):
    batch_id = await _draft(svc, frames, VEO_FAST)  # e.g. from a saved default
    view = await svc.get(batch_id)
    assert view.status == "draft" and view.model == VEO_FAST
    held = view.held
    assert held.gone == retirement.Gone(VEO_FAST, date(2026, 12, 7), VEO_LITE, "pro")
    assert (held.model, held.duration, held.resolution, held.credits) == (VEO_LITE, 8, "720p", 60)

    with pytest.raises(ModelRetiredError) as refused:
        await svc.start(batch_id, OWNER)
    assert refused.value.code == "model_retired" and refused.value.gone.nearest == VEO_LITE
    assert "switch this batch to Veo 3.1 - Lite first. Nothing was spent." in str(refused.value)
    assert (await svc.get(batch_id)).status == "draft" and await _tasks(db) == []
    assert await repo.kv_read(db, repo.KV_PAUSE) is None  # the account is not paused

    with pytest.raises(ModelRetiredError):  # a stale button (another model) changes nothing
        await svc.switch_model(batch_id, OWNER, OMNI_12)
    with pytest.raises(BatchError):
        await svc.switch_model(batch_id, OTHER, VEO_LITE)
    view = await svc.switch_model(batch_id, OWNER, VEO_LITE)
    assert (view.model, view.duration, view.resolution, view.held) == (VEO_LITE, 8, "720p", None)
    assert (await svc.estimate(view)).credits == 60  # the price the button said
    again = await svc.switch_model(batch_id, OWNER, VEO_LITE)  # a double tap: nothing more
    assert again.model == VEO_LITE
    audit = await db.fetchall("SELECT action, credits, detail FROM audit")
    assert [tuple(r) for r in audit] == [("model_switch", 60, "Veo 3.1 - Fast -> Veo 3.1 - Lite")]
    await svc.start(batch_id, OWNER)
    assert len(await _tasks(db)) == 3


async def test_omni_11_goes_to_omni_12_keeping_its_duration_and_resolution(svc, frames):
    batch_id = await _draft(svc, frames, OMNI, duration=6, resolution="360p")
    held = (await svc.get(batch_id)).held
    assert (held.model, held.duration, held.resolution) == (OMNI_12, 6, "360p")
    assert held.credits == 3 * 2 * 6  # Omni 1.2 at 360p: our guess, 1 a second
    view = await svc.switch_model(batch_id, OWNER)
    assert (view.model, view.duration, view.resolution) == (OMNI_12, 6, "360p")


async def test_admins_hear_once_per_model_when_a_held_draft_appears(svc, frames, db):
    told = []

    async def on_held(gone):
        if await retirement.claim_admin_notice(db, gone.model):
            told.append(gone.model)

    svc.on_held = on_held
    await _draft(svc, frames, VEO_FAST)
    await _draft(svc, frames, VEO_FAST)
    await _draft(svc, frames, VEO_QUALITY)
    await _draft(svc, frames, VEO_LITE)  # offered: nothing to tell
    assert told == [VEO_FAST, VEO_QUALITY]


async def test_a_saved_default_naming_a_retired_model_is_kept_and_shown_held(db, settings):
    users = UserService(db, settings)
    told = []

    async def on_held(gone):
        told.append(gone.model)

    users.on_held = on_held
    await users.set_default(OWNER, "model", VEO_FAST)
    d = await users.defaults(OWNER)
    assert d.model == VEO_FAST and d.gone == retirement.Gone(VEO_FAST, date(2026, 12, 7),
                                                             VEO_LITE, "pro")
    assert set(told) == {VEO_FAST}  # on every read: the admins' notice dedupes (claim_admin_notice)
    # Nothing silent: the saved value stays until the user taps the switch.
    assert (await users.defaults(OWNER)).model == VEO_FAST
    d = await users.set_default(OWNER, "model", VEO_LITE)
    assert (d.model, d.gone) == (VEO_LITE, None)
    # Never chosen (FLOW_DEFAULT_MODEL, or nothing saved): today's default, nothing held.
    settings.flow.default_model = VEO_FAST
    d = await UserService(db, settings).defaults(OTHER)
    assert (d.model, d.gone) == (VEO_LITE, None)


async def test_a_saved_duration_is_any_whole_number_the_range_allows(db, settings):
    users = UserService(db, settings)
    await users.set_default(OWNER, "model", OMNI_12)
    d = await users.set_default(OWNER, "duration", 13)
    assert (d.model, d.duration) == (OMNI_12, 13)
    for bad in (2, 16, True, "13"):
        with pytest.raises(ValueError):
            await users.set_default(OWNER, "duration", bad)
    d = await users.set_default(OWNER, "model", VEO_LITE)
    assert d.duration == 8  # Lite on Pro: 8 s only


async def test_a_queued_item_is_held_before_submit_and_the_switch_requeues_it(
        svc, db, queue, frames, clock):
    clock.set(BEFORE)  # started while Fast was offered
    batch_id = await _draft(svc, frames, VEO_FAST)
    await svc.start(batch_id, OWNER)
    items = [i.id for i in (await svc.get(batch_id)).items]
    clock.set(AFTER)  # 2026-12-07 has passed: Fast is gone
    view = await svc.get(batch_id)
    assert view.status == "running" and view.held.credits == 3 * 2 * 10

    held = await db.write_sync(lambda conn: retirement.hold_item(conn, items[0], plan="pro",
                                                                 now=AFTER))
    assert (held.batch_id, held.item_id, held.user_id, held.chat_id) == (batch_id, items[0],
                                                                         OWNER, 5)
    assert held.gone.since == date(2026, 12, 7) and held.switch.model == VEO_LITE
    assert held.notify_owner and held.notify_admins
    second = await db.write_sync(lambda conn: retirement.hold_item(conn, items[1], plan="pro",
                                                                   now=AFTER))
    assert not second.notify_owner and not second.notify_admins  # told once
    item = await db.fetchone("SELECT status, error_code, error_text FROM items WHERE id = ?",
                             (items[0],))
    assert tuple(item) == ("paused", "model_retired", held.gone.english())
    # Nothing was recorded for Flow, nothing spent, the account not paused.
    assert tuple(await db.fetchone("SELECT count(*) FROM generations")) == (0,)
    assert await repo.kv_read(db, repo.KV_PAUSE) is None

    notifier = RecordingNotifier()
    await retirement.announce(notifier, held)
    await retirement.announce(notifier, second)
    [event] = notifier.of("model_retired")
    assert (event.batch_id, event.model, event.since, event.nearest, event.credits, event.index) == (
        batch_id, VEO_FAST, "2026-12-07", VEO_LITE, 60, catalog.MODELS.index(VEO_LITE))
    [alert] = notifier.of("admin_alert")
    assert alert.kind == "model_retired" and alert.key == "retired.Veo 3.1 - Fast"
    assert alert.text == ("Flow retired Veo 3.1 - Fast on 2026-12-07: work that names it is held "
                          "and its owners are offered Veo 3.1 - Lite.")

    # An item whose model is still offered passes untouched.
    other = await _draft(svc, frames, VEO_LITE)
    await svc.start(other, OWNER)
    first_other = (await svc.get(other)).items[0].id
    assert await db.write_sync(lambda conn: retirement.hold_item(
        conn, first_other, plan="pro", now=AFTER)) is None

    view = await svc.switch_model(batch_id, OWNER, VEO_LITE)
    assert view.model == VEO_LITE and view.held is None
    assert [i.status for i in view.items] == ["queued"] * 3  # the third was never held
    keys = [k for k, _s in await _tasks(db) if k.startswith(f"b{batch_id}:")]
    assert keys.count(f"b{batch_id}:submit:{items[0]}:m1") == 1
    assert keys.count(f"b{batch_id}:submit:{items[1]}:m1") == 1
    assert not any(k.endswith(f"{items[2]}:m1") for k in keys)  # its first task still waits
    assert (await svc.switch_model(batch_id, OWNER, VEO_LITE)).model == VEO_LITE
    assert len([k for k, _s in await _tasks(db) if k.endswith(":m1")]) == 2  # no double queue
    # Held again later (another retirement) tells the owner again: the marks were cleared.
    assert not await repo.kv_read(db, f"retired.owner.b{batch_id}.{VEO_FAST}")


async def test_a_retry_of_a_failed_item_with_a_retired_model_is_refused(svc, db, frames, clock):
    clock.set(BEFORE)
    batch_id = await _draft(svc, frames, VEO_QUALITY)
    await svc.start(batch_id, OWNER)
    item = (await svc.get(batch_id)).items[0].id
    await db.write_sync(lambda conn: repo.set_item(conn, item, BEFORE, status="failed",
                                                   error_code="generation_failed"))
    clock.set(AFTER)
    with pytest.raises(ModelRetiredError):
        await svc.retry_cost(item)  # the confirmation (Retry, Again) is not even offered
    with pytest.raises(ModelRetiredError):
        await svc.retry_item(item, OWNER)


async def test_durations_3_to_15_and_their_refusals_before_any_spend(svc, frames, db, settings):
    batch_id = await _draft(svc, frames, OMNI_12, duration=13)
    view = await svc.get(batch_id)
    assert (view.duration, (await svc.estimate(view)).credits) == (13, 3 * 2 * 48)
    with pytest.raises(BatchError, match="clips of 3 to 15 s on the Pro plan"):
        await svc.update_settings(batch_id, OWNER, duration=16)
    # Start+end pairs: an end frame only up to 10 s.
    with pytest.raises(BatchError, match="work up to 10 s with Omni 1.2 Flash") as err:
        await svc.update_settings(batch_id, OWNER, pairs=True)
    assert err.value.code == "pairs_too_long"
    frames4 = make_frames(frames[0].parent / "four", 4)
    paired = await svc.create_batch(OWNER, 5, [NewItem(f, "p") for f in frames4], model=OMNI_12,
                                    duration=10, pairs=True)
    with pytest.raises(BatchError, match="work up to 10 s"):
        await svc.update_settings(paired, OWNER, duration=11)
    # A model change on a paired batch picks a duration its end frame allows.
    view = await svc.update_settings(paired, OWNER, model=VEO_LITE)
    assert view.duration == 8
    # The free plan: over 10 s needs Pro or Ultra.
    await db.write_sync(lambda conn: repo.kv_set(conn, repo.KV_PLAN, "free", 1.0))
    with pytest.raises(BatchError, match="over 10 s need the Pro or Ultra plan; this account is "
                                         "on the Free plan") as err:
        await svc.start(batch_id, OWNER)
    assert err.value.code == "duration_needs_plan"
    assert await _tasks(db) == []
