"""flow2026 billing: credits per plan/model/duration/resolution as FLOW_2026 §11 lists them,
taken at submit, refunded on failure, and the insufficient-credits refusal (also when short)."""

from __future__ import annotations

import pytest

from flowsim import texts

# (plan, model key, seconds, resolution, credits per output): FLOW_2026 §11, row by row.
PRICES = [
    ("pro", "omni_1_1_t2v_flash", 4, "360p", 4),
    ("pro", "omni_1_1_t2v_flash", 6, "360p", 5),
    ("pro", "omni_1_1_t2v_flash", 8, "360p", 6),
    ("pro", "omni_1_1_t2v_flash", 10, "360p", 7),
    ("pro", "omni_1_1_t2v_flash", 4, "720p", 7),
    ("pro", "omni_1_1_t2v_flash", 6, "720p", 10),
    ("pro", "omni_1_1_t2v_flash", 8, "720p", 12),
    ("pro", "omni_1_1_t2v_flash", 10, "720p", 15),
    ("ultra", "omni_1_1_t2v_flash", 8, "720p", 12),
    ("pro", "veo_3_1_t2v_lite", 8, "720p", 10),
    ("ultra", "veo_3_1_t2v_lite", 4, "720p", 5),
    ("pro", "veo_3_1_t2v_fast", 8, "720p", 20),
    ("ultra", "veo_3_1_t2v_fast", 6, "720p", 10),
    ("pro", "veo_3_1_t2v_quality", 8, "720p", 100),
    ("ultra", "veo_3_1_t2v_quality", 4, "720p", 100),
    ("pro", "veo_3_1_t2v_lite_low_priority", 4, "720p", 0),
]


@pytest.mark.parametrize("plan, key, seconds, resolution, credits", PRICES)
async def test_credits_taken_at_submit_per_plan_model_duration_resolution(
        flow, sim, plan, key, seconds, resolution, credits):
    # Stuck tiles never render: the bill is all this test needs.
    await sim.configure(plan=plan, stuck_next=4, lower_priority_model=True)
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, 2, model_key=key, seconds=seconds,
                               resolution=resolution)
    assert result["remainingCredits"] == 1000 - 2 * credits
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (entry["credits"], entry["count"]) == (2 * credits, 2)
    assert (await sim.counters())["credits_spent"] == 2 * credits


async def test_i2v_costs_the_same_as_t2v(flow, sim):
    await sim.configure(stuck_next=4)
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "frame.png")
    result = await flow.submit("eb1hJf", project, model_key="omni_1_1_i2v_flash", seconds=10,
                               resolution="360p", start=frame)
    assert result["remainingCredits"] == 1000 - 7


async def test_veo_durations_other_than_8s_are_ultra_only(flow, sim):
    project = await flow.new_project()
    status, _ = await flow.send("YhhmEf", {"projectId": project, "requests": [
        flow.request(model_key="veo_3_1_t2v_quality", seconds=4)]})
    assert status == 400
    await sim.configure(plan="ultra", stuck_next=1)
    result = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_quality", seconds=4)
    assert result["remainingCredits"] == 900


async def test_lower_priority_model_only_when_switched_on(flow, sim):
    project = await flow.new_project()
    payload = {"projectId": project, "requests": [
        flow.request(model_key="veo_3_1_t2v_lite_low_priority", seconds=4)]}
    assert (await flow.send("YhhmEf", payload))[0] == 400


async def test_failed_tile_is_refunded_and_says_why(flow, sim):
    await sim.fail_next(1, "image_failed", at_percent=0)
    project = await flow.new_project()
    [op] = (await flow.submit("YhhmEf", project, seconds=6))["operations"]
    failed = await flow.wait(project, op["mediaId"], {"FAILED"})
    assert failed["error"] == texts.IMAGE_FAILED == "Sorry, this image failed to generate."
    vi = (await flow.poll(project, [op["mediaId"]], hl="vi"))[op["mediaId"]]
    assert vi["error"] == "Rất tiếc, không thể tạo hình ảnh này."
    counters = await sim.counters()
    assert (counters["credits_spent"], counters["credits_left"], counters["submissions"]) == (
        0, 1000, 1)
    # The wire keeps what was charged at submit: the refund shows in the balance.
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert entry["credits"] == 10


async def test_retry_bills_again_and_replaces_the_failed_tile(flow, sim):
    await sim.fail_next(1, "something_wrong", at_percent=0)
    project = await flow.new_project()
    [op] = (await flow.submit("YhhmEf", project, seconds=4, resolution="360p"))["operations"]
    await flow.wait(project, op["mediaId"], {"FAILED"})
    await sim.configure(stuck_next=1)
    result = await flow.call("Lm2sRd", {"op": "retry", "mediaId": op["mediaId"]})
    [new] = result["operations"]
    assert new["mediaId"] != op["mediaId"] and result["remainingCredits"] == 1000 - 4
    tiles = await flow.poll(project)
    assert list(tiles) == [new["mediaId"]]  # the failed one went away
    [retry] = [e for e in await sim.wire() if e["rpc"] == "Lm2sRd" and e.get("op") == "retry"]
    assert (retry["rpc"], retry["kind"], retry["credits"]) == ("Lm2sRd", "t2v", 4)
    assert (await sim.counters())["submissions"] == 2


@pytest.mark.parametrize("credits, count", [(11, 1), (20, 2)])
async def test_insufficient_credits_refused_also_when_merely_short(flow, sim, credits, count):
    await sim.configure(credits=credits)
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, count)  # Omni 8 s 720p: 12 each
    assert result["error"]["reason"] == "insufficient_credits"
    assert result["error"]["message"] == texts.INSUFFICIENT_CREDITS
    counters = await sim.counters()
    assert (counters["credits_left"], counters["tiles_created"], counters["refusals"]) == (
        credits, 0, {"insufficient_credits": 1})
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (entry["refused"], entry["credits"]) == ("insufficient_credits", 0)
