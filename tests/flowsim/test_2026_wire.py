"""flow2026 wire: the batchexecute envelope, strict 400s on malformed calls, and wire()
records of every submit kind (text, image, start+end) with what was billed."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
import pytest

from flowsim.v2026 import wire
from tests.flowsim.flow2026 import PORTRAIT, Flow2026


async def test_reply_envelope_is_the_contracts(flow):
    status, text = await flow.send("Lm2sRd", {"op": "new_project"})
    assert status == 200 and text.startswith(")]}'\n\n")
    [[tag, rpc_id, result, *rest]] = json.loads(text[len(")]}'\n\n"):])
    assert (tag, rpc_id, rest) == ("wrb.fr", "Lm2sRd", [None, None, None, "generic"])
    assert set(json.loads(result)) == {"projectId", "title"}


@pytest.mark.parametrize("rpc_query, body, content_type", [
    (None, "f.req=x", wire.FORM_TYPE),                                    # no rpcids
    ("jwpduf", "f.req=" + wire.encode_call("as29s", {}), wire.FORM_TYPE),  # id mismatch
    ("Zz9Zz9", urlencode({"f.req": wire.encode_call("Zz9Zz9", {})}), wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": wire.encode_call("jwpduf", {})}), "application/json"),
    ("jwpduf", urlencode({"f.req": "[[[\"jwpduf\",\"{not json\",null,\"generic\"]]]"}),
     wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": "[[[\"jwpduf\",\"[1,2]\",null,\"generic\"]]]"}),
     wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": "{}"}), wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": "[]", "at": "x"}), wire.FORM_TYPE),
])
async def test_malformed_envelopes_get_400_and_are_recorded(flow, sim, rpc_query, body,
                                                            content_type):
    status, text = await flow.raw(rpc_query, body, content_type=content_type)
    assert status == 400 and text.startswith(")]}'")
    [entry] = await sim.wire()
    assert entry["refused"].startswith("bad_request")
    assert (await sim.counters())["submissions"] == 0


async def test_bad_submits_get_400_and_charge_nothing(flow, sim):
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "frame.png")
    other = await flow.new_project()
    foreign_frame = await flow.ready_upload(other, "elsewhere.png")
    good = flow.request()
    bad_payloads = {
        "no requests": ("YhhmEf", {"projectId": project, "requests": []}),
        "five outputs": ("YhhmEf", {"projectId": project, "requests": [good] * 5}),
        "unknown model": ("YhhmEf", {"projectId": project,
                                     "requests": [flow.request(model_key="veo_4_t2v")]}),
        "i2v key on t2v": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(model_key="veo_3_1_i2v_fast")]}),
        "t2v key on i2v": ("eb1hJf", {"projectId": project, "requests": [
            flow.request(model_key="veo_3_1_t2v_fast", start=frame)]}),
        "Veo 6 s on Pro": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(model_key="veo_3_1_t2v_fast", seconds=6)]}),
        "Veo at 360p": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(model_key="veo_3_1_t2v_fast", resolution="360p")]}),
        "Omni 5 s": ("YhhmEf", {"projectId": project, "requests": [flow.request(seconds=5)]}),
        "prompt too long": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(prompt="x" * 5001)]}),
        "empty prompt": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(prompt="   ")]}),
        "bad aspect": ("YhhmEf", {"projectId": project, "requests": [
            {**good, "aspectRatio": "VIDEO_ASPECT_RATIO_SQUARE"}]}),
        "frame on t2v": ("YhhmEf", {"projectId": project, "requests": [
            flow.request(start=frame)]}),
        "i2v without frame": ("eb1hJf", {"projectId": project, "requests": [
            flow.request(model_key="omni_1_1_i2v_flash")]}),
        "frame of another project": ("eb1hJf", {"projectId": project, "requests": [
            flow.request(model_key="omni_1_1_i2v_flash", start=foreign_frame)]}),
        "unknown frame": ("eb1hJf", {"projectId": project, "requests": [
            flow.request(model_key="omni_1_1_i2v_flash",
                         start="00000000-0000-0000-0000-000000000000")]}),
        "fl without end": ("nprQif", {"projectId": project, "requests": [
            flow.request(model_key="omni_1_1_fl_flash", start=frame)]}),
        "foreign project": ("YhhmEf", {"projectId": await sim.foreign_project(),
                                       "requests": [good]}),
        "mixed settings": ("YhhmEf", {"projectId": project, "requests": [
            good, flow.request(seconds=4)]}),
        "trusted not a bool": ("YhhmEf", {"projectId": project, "requests": [good],
                                          "trusted": "yes"}),
    }
    for name, (rpc_id, payload) in bad_payloads.items():
        status, _text = await flow.send(rpc_id, payload)
        assert status == 400, name
    counters = await sim.counters()
    assert (counters["submissions"], counters["credits_spent"], counters["tiles_created"]) == (
        0, 0, 0)
    refused = [e for e in await sim.wire() if e["rpc"] in ("YhhmEf", "eb1hJf", "nprQif")]
    assert len(refused) == len(bad_payloads)
    assert all(e["refused"].startswith("bad_request") and e["credits"] == 0 for e in refused)


async def test_empty_frames_submit_is_billed_as_t2v(flow, sim):
    # The page sends a Frames submit with an empty Start chip as YhhmEf: billed, text-to-video.
    await sim.configure(stuck_next=10)  # no render needed to see the bill
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, 2, seconds=6, resolution="720p")
    assert [op["status"] for op in result["operations"]] == ["PENDING", "PENDING"]
    assert result["remainingCredits"] == 1000 - 2 * 10
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert {k: entry[k] for k in ("kind", "project", "media_ids", "model", "model_key",
                                  "duration", "resolution", "aspect", "count", "credits",
                                  "refused", "trusted")} == {
        "kind": "t2v", "project": project, "media_ids": [None, None],
        "model": "Omni 1.1 Flash", "model_key": "omni_1_1_t2v_flash", "duration": 6,
        "resolution": "720p", "aspect": "16:9", "count": 2, "credits": 20, "refused": None,
        "trusted": True}
    assert entry["tile_ids"] == [op["mediaId"] for op in result["operations"]]


async def test_i2v_and_interpolation_records_carry_the_frames(flow, sim):
    await sim.configure(stuck_next=10)
    project = await flow.new_project()
    start = await flow.ready_upload(project, "start.png")
    end = await flow.ready_upload(project, "end.png")
    await flow.submit("eb1hJf", project, model_key="veo_3_1_i2v_fast", start=start,
                      aspect=PORTRAIT)
    await flow.submit("nprQif", project, model_key="veo_3_1_fl_lite", start=start, end=end)
    i2v, fl = [e for e in await sim.wire() if e["rpc"] in ("eb1hJf", "nprQif")]
    assert "_i2v_" in i2v["model_key"]
    assert (i2v["kind"], i2v["media_ids"], i2v["model"], i2v["aspect"], i2v["credits"]) == (
        "i2v", [start, None], "Veo 3.1 - Fast", "9:16", 20)
    assert (fl["kind"], fl["media_ids"], fl["model"], fl["duration"], fl["credits"]) == (
        "interpolation", [start, end], "Veo 3.1 - Lite", 8, 10)
    uploads = await sim.uploads()
    assert [u["fileName"] for u in uploads] == ["start.png", "end.png"]


async def test_without_a_session_the_wire_answers_401_to_about(sim, flowsim_url):
    await sim.configure(variant="flow2026")
    async with aiohttp.ClientSession() as anonymous:
        status, text = await Flow2026(anonymous, flowsim_url).send("jwpduf", {})
    assert status == 401 and json.loads(text) == {"redirect": "/about"}
