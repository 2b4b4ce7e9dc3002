"""Regression (found by the suite under load: test_text_only_batch_bills_t2v... and the language
journeys saw "Batch #1 is finished" before the last clip's video): the "finished" notice, a short
text, overtook an item's previews (a video upload) running beside it. It now comes last."""

from __future__ import annotations

from bot.pipeline import stages
from bot.pipeline.stages.deliver import FINISH_AFTER_ITEMS_S, run_deliver
from tests.services.harness import RecordingNotifier, make_settings


async def _add(db, queue, new) -> int:
    return await db.write_sync(lambda conn: queue.add(conn, new))


def _ctx(db, queue, clock, tmp_path, notifier):
    return stages.StageContext(db=db, queue=queue, flow=None, notifier=notifier,  # type: ignore[arg-type]
                               settings=make_settings(tmp_path / "data"), clock=clock,
                               data_dir=tmp_path)


async def test_finished_waits_for_the_previews_still_being_sent(db, queue, clock, tmp_path):
    notifier = RecordingNotifier()
    ctx = _ctx(db, queue, clock, tmp_path, notifier)
    await _add(db, queue, stages.deliver_task(1, "previews", "7:3", item_id=7, generation_id=3))
    await _add(db, queue, stages.deliver_task(1, "finished", 1, batch_id=1))
    previews = await queue.claim("w1", kinds=[stages.DELIVER])
    finished = await queue.claim("w2", kinds=[stages.DELIVER])
    assert previews.payload["event"] == "previews" and finished.payload["event"] == "finished"

    await run_deliver(ctx, finished, "w2")  # the previews' upload is still running
    assert notifier.of("batch_finished") == []
    again = await queue.get(finished.id)
    assert again.status == "queued" and again.attempts == 0  # put back, no attempt spent

    await queue.complete(previews.id, "w1")  # the video went out
    clock.advance(1.0)
    retry = await queue.claim("w2", kinds=[stages.DELIVER])
    assert retry.id == finished.id
    await run_deliver(ctx, retry, "w2")
    assert (await queue.get(finished.id)).status == "done"


async def test_finished_goes_anyway_after_a_bound(db, queue, clock, tmp_path):
    ctx = _ctx(db, queue, clock, tmp_path, RecordingNotifier())
    await _add(db, queue, stages.deliver_task(1, "failed", "7:t1", item_id=7))
    await _add(db, queue, stages.deliver_task(1, "finished", 1, batch_id=1))
    stuck = await queue.claim("w1", kinds=[stages.DELIVER], lease_seconds=1000)
    finished = await queue.claim("w2", kinds=[stages.DELIVER])
    assert stuck.payload["event"] == "failed"
    await run_deliver(ctx, finished, "w2")
    assert (await queue.get(finished.id)).status == "queued"
    clock.advance(FINISH_AFTER_ITEMS_S + 1)
    retry = await queue.claim("w2", kinds=[stages.DELIVER])
    await run_deliver(ctx, retry, "w2")
    assert (await queue.get(finished.id)).status == "done"
