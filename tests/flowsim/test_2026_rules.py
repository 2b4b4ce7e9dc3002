"""flow2026 account rules over the wire: render slots and queued tiles, the queue limit,
too-quickly, high demand, unusual activity (cleared only by a reload plus time), untrusted
submits, stuck tiles and titles that appear while rendering."""

from __future__ import annotations

import asyncio

import pytest

from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim import texts

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")


async def reload(cookie_http, base: str, project: str) -> None:
    """Load the project page, as a browser reload does."""
    async with cookie_http.get(f"{base}/project/{project}") as resp:
        assert resp.status == 200


async def test_over_slots_tiles_queue_and_start_when_a_slot_frees(flow, sim):
    # Two scripted failures: the first frees its slot, the queued one then starts and fails
    # too, so no FFmpeg render is needed.
    await sim.configure(slots=1, queue_limit=1, generation_seconds=30)
    await sim.fail_next(2, "something_wrong", at_percent=0)
    project = await flow.new_project()
    first = await flow.submit("YhhmEf", project, 2)
    assert isinstance(first, W.SubmitReply)
    assert first.credits_after == 1000 - 24  # queued tiles are charged at submit
    slotted, queued = first.media_ids
    over = await flow.submit("YhhmEf", project)
    assert isinstance(over, W.Refusal)
    assert (over.status, over.reason, over.message) == (
        8, "PUBLIC_ERROR_TOO_MANY_GENERATIONS", texts.SLOTS_FULL)
    assert [e["refused"] for e in await sim.wire() if e["rpc"] == "YhhmEf"] == [None, "too_many"]
    polled = await flow.poll([slotted, queued])
    assert polled[queued].state == "queued"  # state 6: no slot yet
    assert polled[slotted].state in ("rendering", "failed")  # it had a slot at once
    await flow.wait(queued, {"rendering", "failed"})
    counters = await sim.counters()
    assert (counters["submissions"], counters["tiles_created"], counters["max_active_renders"],
            counters["refusals"]) == (1, 2, 1, {"too_many": 1})


async def test_too_quickly_and_high_demand(flow, sim):
    await sim.configure(rate_limit_per_minute=1, high_demand=True)
    project = await flow.new_project()
    [op] = await flow.submitted("YhhmEf", project)
    refused = await flow.submit("YhhmEf", project)
    assert (refused.status, refused.reason) == (8, "PUBLIC_ERROR_RATE_LIMITED")
    assert (await sim.wire())[-1]["refused"] == "too_quickly"
    failed = await flow.wait(op, {"failed"})
    assert failed.error == texts.HIGH_DEMAND
    assert (await sim.counters())["credits_spent"] == 0


async def test_unusual_activity_clears_only_after_a_reload_and_time(flow, sim, flowsim_url,
                                                                    cookie_http):
    clear = 1.0
    await sim.configure(unusual_activity=2, unusual_clear_seconds=clear, stuck_next=1)
    project = await flow.new_project()

    async def reason():
        result = await flow.submit("YhhmEf", project)
        if isinstance(result, W.SubmitReply):
            return None
        assert (result.status, result.reason) == (7, "PUBLIC_ERROR_UNUSUAL_ACTIVITY")
        return (await sim.wire())[-1]["refused"]

    assert [await reason(), await reason()] == ["unusual_activity"] * 2  # the scripted two
    await asyncio.sleep(clear + 0.2)
    assert await reason() == "unusual_activity"  # time alone does not clear it
    await sim.configure(unusual_activity=1)
    assert await reason() == "unusual_activity"  # a new series: the clock starts again
    await reload(cookie_http, flowsim_url, project)
    assert await reason() == "unusual_activity"  # a reload alone does not clear it either
    await asyncio.sleep(clear + 0.2)
    assert await reason() is None  # reload + time: accepted
    counters = await sim.counters()
    assert (counters["submissions"], counters["refusals"]) == (1, {"unusual_activity": 5})
    assert [e["refused"] for e in await sim.wire() if e["rpc"] == "YhhmEf"] == [
        "unusual_activity"] * 5 + [None]


async def test_untrusted_submit_is_refused_as_unusual_activity(flow, sim):
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, trusted=False)  # an `untrusted-` token
    assert (result.status, result.reason) == (7, "PUBLIC_ERROR_UNUSUAL_ACTIVITY")
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (entry["trusted"], entry["refused"], entry["credits"]) == (
        False, "unusual_activity", 0)
    assert (await sim.counters())["tiles_created"] == 0


async def test_stuck_tile_stays_pending_while_others_progress(flow, sim):
    await sim.configure(stuck_next=1, generation_seconds=30)
    await sim.fail_next(1, "policy", at_percent=5)  # the second tile shows progress, then fails
    project = await flow.new_project()
    stuck, moving = await flow.submitted("YhhmEf", project, 2)
    failed = await flow.wait(moving, {"failed"})
    assert failed.title == "A Red Kite Over The Dunes"  # titled once it was rendering
    assert failed.progress >= 5 and failed.error == texts.POLICY
    assert failed.rec.state_code == 4
    pending = (await flow.project_clips(project))[stuck]
    assert (pending.state, pending.progress, pending.title) == ("rendering", None, "")
    [item] = [i for i in (await flow.listing(project)).items if i.media_id == stuck]
    assert item.title is None  # the workflow item is untitled too
    assert (await sim.counters())["active_renders"] == 1  # the stuck tile holds its slot


async def test_a_late_submit_reply_is_already_billed(flow, sim):
    # The reply may come seconds after the click; the tile exists and is charged before it.
    await sim.configure(submit_reply_ms=1500, stuck_next=1)
    project = await flow.new_project()
    reply = asyncio.ensure_future(flow.submit("YhhmEf", project))
    for _ in range(100):
        if (await sim.counters())["tiles_created"]:
            break
        await asyncio.sleep(0.05)
    assert not reply.done()
    assert (await sim.counters())["credits_spent"] == 12
    done = await reply
    assert isinstance(done, W.SubmitReply) and len(done.media_ids) == 1
    assert (await flow.poll(done.media_ids))[done.media_ids[0]].state == "rendering"


async def test_the_submit_reply_comes_late_by_default(sim):
    # FLOW_2026 §7 (H): the reply arrives 4-5 s after the click; fast tests opt out by name.
    assert 4000 <= (await sim.config())["submit_reply_ms"] <= 5000
