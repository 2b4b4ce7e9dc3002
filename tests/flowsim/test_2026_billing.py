"""flow2026 billing: credits per plan/model/duration/resolution as FLOW_2026 §11 lists them,
taken at submit, refunded on failure, and the insufficient-credits refusal (also when short)."""

from __future__ import annotations

import pytest

from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim import texts

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

# (plan, model key, seconds, resolution, credits per output): FLOW_2026 §11, row by row. The
# key names duration and resolution itself (the real request has no other field for them).
PRICES = [
    ("pro", "abra_t2v_4s_360p", 4, "360p", 4),
    ("pro", "abra_t2v_6s_360p", 6, "360p", 5),
    ("pro", "abra_t2v_8s_360p", 8, "360p", 6),
    ("pro", "abra_t2v_10s_360p", 10, "360p", 7),
    ("pro", "abra_t2v_4s", 4, "720p", 7),
    ("pro", "abra_t2v_6s", 6, "720p", 10),
    ("pro", "abra_t2v_8s", 8, "720p", 12),
    ("pro", "abra_t2v_10s", 10, "720p", 15),
    ("ultra", "abra_t2v_8s", 8, "720p", 12),
    ("pro", "veo_3_1_t2v_lite", 8, "720p", 10),
    ("ultra", "veo_3_1_t2v_lite_4s", 4, "720p", 5),
    ("pro", "veo_3_1_t2v_fast", 8, "720p", 20),
    ("ultra", "veo_3_1_t2v_fast_6s", 6, "720p", 10),
    ("pro", "veo_3_1_t2v_quality", 8, "720p", 100),
    ("ultra", "veo_3_1_t2v_quality_4s", 4, "720p", 100),
    ("pro", "veo_3_1_t2v_lite_low_priority_4s", 4, "720p", 0),
]


@pytest.mark.parametrize("plan, key, seconds, resolution, credits", PRICES)
async def test_credits_taken_at_submit_per_plan_model_duration_resolution(
        flow, sim, plan, key, seconds, resolution, credits):
    # Stuck tiles never render: the bill is all this test needs.
    await sim.configure(plan=plan, stuck_next=4, lower_priority_model=True)
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, 2, model_key=key)
    assert result.credits_after == 1000 - 2 * credits
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (entry["credits"], entry["count"]) == (2 * credits, 2)
    assert (entry["duration"], entry["resolution"]) == (seconds, resolution)
    assert {r.duration_s for r in result.records} == {seconds}
    assert (await sim.counters())["credits_spent"] == 2 * credits


async def test_i2v_costs_the_same_as_t2v(flow, sim):
    await sim.configure(stuck_next=4)
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "frame.png")
    result = await flow.submit("eb1hJf", project, model_key="abra_i2v_10s_360p", refs=[frame])
    assert result.credits_after == 1000 - 7


async def test_veo_durations_other_than_8s_are_ultra_only(flow, sim):
    project = await flow.new_project()
    refused = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_quality_4s")
    assert (refused.status, refused.reason) == (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED")
    await sim.configure(plan="ultra", stuck_next=1)
    result = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_quality_4s")
    assert result.credits_after == 900


async def test_lower_priority_model_only_when_switched_on(flow, sim):
    project = await flow.new_project()
    refused = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_lite_low_priority_4s")
    assert (refused.status, refused.reason) == (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED")
    assert (await sim.wire())[-1]["refused"] == "model_not_on_plan"
    assert (await sim.counters())["tiles_created"] == 0


async def test_failed_tile_is_refunded_and_says_why(flow, sim):
    await sim.fail_next(1, "image_failed", at_percent=0)
    project = await flow.new_project()
    [op] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_6s")
    failed = await flow.wait(op, {"failed"})
    assert failed.error == texts.IMAGE_FAILED == "Sorry, this image failed to generate."
    vi = (await flow.poll([op], hl="vi"))[op]
    assert vi.error == "Rất tiếc, không thể tạo hình ảnh này."
    counters = await sim.counters()
    assert (counters["credits_spent"], counters["credits_left"], counters["submissions"]) == (
        0, 1000, 1)
    # The wire keeps what was charged at submit: the refund shows in the balance.
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert entry["credits"] == 10


async def test_retry_bills_again_and_replaces_the_failed_tile(flow, sim):
    await sim.fail_next(1, "something_wrong", at_percent=0)
    project = await flow.new_project()
    [op] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_4s_360p")
    await flow.wait(op, {"failed"})
    await sim.configure(stuck_next=1)
    result = await flow.call("Lm2sRd", {"op": "retry", "mediaId": op})
    assert isinstance(result, W.SubmitReply)  # Retry answers the submit result shape
    [new] = result.media_ids
    assert new != op and result.credits_after == 1000 - 4
    assert result.records[0].model_key == "abra_t2v_4s_360p"
    tiles = await flow.project_clips(project)
    assert list(tiles) == [new]  # the failed one went away
    [retry] = [e for e in await sim.wire() if e["rpc"] == "Lm2sRd" and e.get("op") == "retry"]
    assert (retry["rpc"], retry["kind"], retry["credits"]) == ("Lm2sRd", "t2v", 4)
    assert (await sim.counters())["submissions"] == 2


@pytest.mark.parametrize("credits, count", [(11, 1), (20, 2)])
async def test_insufficient_credits_refused_also_when_merely_short(flow, sim, credits, count):
    await sim.configure(credits=credits)
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, count)  # Omni 8 s 720p: 12 each
    assert (result.status, result.reason) == (8, "PUBLIC_ERROR_INSUFFICIENT_CREDITS")
    assert result.message == texts.INSUFFICIENT_CREDITS
    counters = await sim.counters()
    assert (counters["credits_left"], counters["tiles_created"], counters["refusals"]) == (
        credits, 0, {"insufficient_credits": 1})
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (entry["refused"], entry["credits"]) == ("insufficient_credits", 0)
