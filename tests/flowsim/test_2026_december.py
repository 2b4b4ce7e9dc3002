"""flowsim's December build on the wire (FLOW_2026 "December 2026", issue 17): the default build,
October still selectable, the models per plan, Omni 1.2 Flash (3-15 s, per-second price, start +
end only up to 10 s, over 10 s not on free, 7 ingredients, real-grammar keys, clips as long as
asked), the retired models refused with a dated message, the page's catalogue calls (HTrJv,
yBhWQ), and the traps of the wire: the front end's 403, the poll's refusal frame, the declined
upload's status 3, the lost upload reply, unusual activity on Flow's own upscale. Each trap
shows the naive reading failing the way the real site makes it fail."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import wire
from tests.fixtures.flowsim import spawn_flowsim, stop_flowsim
from tests.flowsim.flow2026 import Flow2026, png
from tests.flowsim.pages2026 import ffprobe
from tests.flowsim.test_2026_pages import boot_of

OMNI12_8S = "abra_v2_t2v_8s"  # Omni 1.2 Flash, text-to-video, 8 s, 720p, 16:9 (December's default)
RETIRED = {"abra_t2v_8s": "Omni 1.1 Flash", "veo_3_1_t2v_fast": "Veo 3.1 - Fast",
           "veo_3_1_t2v_quality": "Veo 3.1 - Quality"}


async def boot(flow: Flow2026, http, base: str) -> dict:
    """The boot data of a fresh project page."""
    project = await flow.new_project()
    async with http.get(f"{base}/project/{project}") as resp:
        return boot_of(await resp.text())


# ---- the build --------------------------------------------------------------------------------
async def test_december_is_the_default_and_october_stays_selectable(flow, sim, flowsim_url,
                                                                   cookie_http):
    assert (await sim.config())["build"] == "december"
    dec = await boot(flow, cookie_http, flowsim_url)
    assert dec["build"] == "boq_labs-ai-sandbox-frontend_20261205.03_p0"
    assert (dec["models"], dec["defaultModel"]) == (["Omni 1.2 Flash", "Veo 3.1 - Lite"],
                                                    "Omni 1.2 Flash")
    await sim.configure(build="october")
    oct_ = await boot(flow, cookie_http, flowsim_url)
    assert oct_["build"] == wire.BUILD_LABELS["october"] != dec["build"]
    assert re.fullmatch(r"boq_labs-ai-sandbox-frontend_2026\d{4}\.\d\d_p0", oct_["build"])
    assert oct_["models"] == ["Omni 1.1 Flash", "Veo 3.1 - Lite", "Veo 3.1 - Fast",
                              "Veo 3.1 - Quality"]
    assert oct_["defaultModel"] == "Omni 1.1 Flash"
    # The page's own calls carry the label in `bl` (the server reads the build from its config).
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(build="november")


async def test_cli_build_flag(tmp_path):
    proc, base = spawn_flowsim("--build", "october", "--plan", "free",
                               log_path=tmp_path / "flowsim.log")
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{base}/__sim__/config") as resp:
            config = await resp.json()
        assert (config["build"], config["plan"]) == ("october", "free")
    finally:
        stop_flowsim(proc)


@pytest.mark.parametrize(("plan", "lower_priority", "models"), [
    ("free", False, ["Omni 1.2 Flash"]),
    ("pro", False, ["Omni 1.2 Flash", "Veo 3.1 - Lite"]),
    ("pro", True, ["Omni 1.2 Flash", "Veo 3.1 - Lite"]),  # [Lower Priority] is Ultra's only
    ("ultra", False, ["Omni 1.2 Flash", "Veo 3.1 - Lite"]),
    ("ultra", True, ["Omni 1.2 Flash", "Veo 3.1 - Lite", "Veo 3.1 - Lite [Lower Priority]"]),
])
async def test_the_menu_per_plan(flow, sim, flowsim_url, cookie_http, plan, lower_priority,
                                 models):
    await sim.configure(plan=plan, lower_priority_model=lower_priority)
    data = await boot(flow, cookie_http, flowsim_url)
    assert data["models"] == models
    omni = data["catalog"]["Omni 1.2 Flash"]
    top = 10 if plan == "free" else 15
    assert omni["durations"] == list(range(3, top + 1)) and omni["slider"] is True
    assert (omni["resolutions"], omni["maxRefs"], omni["flMaxSeconds"]) == (
        ["360p", "720p"], 7, 10)
    assert sorted({int(k.split("/")[0]) for k in omni["keys"]["fl"]}) == list(range(3, 11))
    assert sorted({int(k.split("/")[0]) for k in omni["keys"]["t2v"]}) == list(range(3, top + 1))
    if "Veo 3.1 - Lite" in models:
        lite = data["catalog"]["Veo 3.1 - Lite"]
        assert lite["durations"] == ([8] if plan == "pro" else [4, 6, 8])
        assert set(lite["prices"].values()) == {10 if plan == "pro" else 5}
        assert (lite["slider"], lite["maxRefs"]) == (False, 3)
    if lower_priority and plan == "ultra":
        low = data["catalog"]["Veo 3.1 - Lite [Lower Priority]"]
        assert low["durations"] == [4, 6, 8] and set(low["prices"].values()) == {0}


async def test_omni12_keys_follow_the_grammar_and_records_say_the_seconds(flow, sim, flowsim_url,
                                                                         cookie_http):
    data = await boot(flow, cookie_http, flowsim_url)
    kinds = {"t2v": "t2v", "i2v": "i2v", "fl": "interpolation", "r2v": "ingredients"}
    for kind, table in data["catalog"]["Omni 1.2 Flash"]["keys"].items():
        for settings, key in table.items():
            seconds, resolution, aspect = settings.split("/")
            parsed = modelkeys.parse(key)
            assert (parsed.family, parsed.kind, parsed.duration_s) == (
                "omni", kinds[kind], int(seconds)), key
            assert parsed.resolution in (None, resolution) and parsed.portrait == (
                aspect == "9:16"), key
            assert key.startswith("omni_flash_v2_i2v_" if kind == "fl" else "abra_v2_"), key
    keys = data["catalog"]["Omni 1.2 Flash"]["keys"]
    assert keys["t2v"]["8/720p/16:9"] == OMNI12_8S
    assert keys["i2v"]["12/360p/9:16"] == "abra_v2_i2v_12s_360p_portrait"
    assert keys["fl"]["10/720p/16:9"] == "omni_flash_v2_i2v_10s_first_last"
    project = await flow.new_project()
    reading = await flow.submit("YhhmEf", project, model_key="abra_v2_t2v_13s")
    assert isinstance(reading, W.SubmitReply), reading
    [rec] = reading.records
    assert (rec.model_key, rec.duration_s, rec.key.duration_s) == ("abra_v2_t2v_13s", 13, 13)
    [sent] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert (sent["model"], sent["duration"], sent["credits"]) == ("Omni 1.2 Flash", 13, 48)


@pytest.mark.parametrize(("key", "credits"), [
    ("abra_v2_t2v_8s", 24), ("abra_v2_t2v_10s", 30), ("abra_v2_t2v_12s", 42),
    ("abra_v2_t2v_15s", 60), ("abra_v2_t2v_3s", 9), ("abra_v2_t2v_4s_360p", 4),
    ("abra_v2_t2v_15s_360p_portrait", 20), ("veo_3_1_t2v_lite", 10),
])
async def test_omni12_is_priced_per_second(flow, sim, key, credits):
    project = await flow.new_project()
    reading = await flow.submit("YhhmEf", project, 2, model_key=key)
    assert isinstance(reading, W.SubmitReply), reading
    assert reading.credits_after == 1000 - 2 * credits
    [sent] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert sent["credits"] == 2 * credits
    assert (await sim.counters())["credits_spent"] == 2 * credits


async def test_prices_on_ultra_and_lower_priority(flow, sim):
    await sim.configure(plan="ultra", lower_priority_model=True)
    project = await flow.new_project()
    expected = {"veo_3_1_t2v_lite_4s": 5, "veo_3_1_t2v_lite_low_priority_6s": 0,
                "abra_v2_t2v_12s": 42}
    for key in expected:
        reading = await flow.submit("YhhmEf", project, model_key=key)
        assert isinstance(reading, W.SubmitReply), (key, reading)
    assert [e["credits"] for e in await sim.wire() if e["rpc"] == "YhhmEf"] == list(
        expected.values())
    await sim.configure(plan="pro")  # Lower Priority is the Ultra entitlement (H)
    reading = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_lite_low_priority_4s")
    assert isinstance(reading, W.Refusal) and (reading.status, reading.reason) == (
        7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED")


# ---- retirements ------------------------------------------------------------------------------
@pytest.mark.parametrize(("hl", "day"), [("en", "7 Dec 2026"), ("vi", "7 thg 12, 2026"),
                                         ("ko", "2026년 12월 7일")])
async def test_retired_models_are_refused_with_a_dated_message(flow, sim, hl, day):
    project = await flow.new_project()
    for key, label in RETIRED.items():
        reading = await flow.read("YhhmEf", flow.submit_payload(project, model_key=key), hl=hl)
        assert isinstance(reading, W.Refusal), reading
        assert (reading.status, reading.reason) == (9, "PUBLIC_ERROR_MODEL_RETIRED")
        assert label in reading.message and day in reading.message, reading.message
    refused = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert [(e["refused"], e["model"], e["credits"]) for e in refused] == [
        ("model_retired", label, 0) for label in RETIRED.values()]
    assert (await sim.counters())["credits_spent"] == 0 and await sim.tiles() == []
    # A key no build ever had stays unknown: [5], no message.
    reading = await flow.submit("YhhmEf", project, model_key="abra_v3_t2v_8s")
    assert isinstance(reading, W.Refusal) and (reading.status, reading.reason) == (5, None)


async def test_a_retry_of_a_retired_models_clip_is_refused_not_billed(flow, sim):
    await sim.configure(build="october")
    project = await flow.new_project()
    await sim.fail_next(1, "policy", 0)
    [media_id] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_8s")
    await flow.wait(media_id, {"failed"})
    await sim.configure(build="december")
    spent = (await sim.counters())["credits_spent"]
    reading = await flow.read("Lm2sRd", {"op": "retry", "mediaId": media_id})
    assert isinstance(reading, W.Refusal), reading
    assert reading.reason == "PUBLIC_ERROR_MODEL_RETIRED" and "Omni 1.1 Flash" in reading.message
    assert (await sim.counters())["credits_spent"] == spent
    assert [t["tile_id"] for t in await sim.tiles()] == [media_id]


# ---- Omni 1.2's limits ------------------------------------------------------------------------
async def test_start_and_end_frames_only_up_to_ten_seconds(flow, sim):
    project = await flow.new_project()
    start = await flow.ready_upload(project, "start.png", png((200, 40, 40)))
    end = await flow.ready_upload(project, "end.png", png((40, 40, 200)))
    reading = await flow.submit("nprQif", project, model_key="omni_flash_v2_i2v_12s_first_last",
                                refs=[start, end])
    assert isinstance(reading, W.Refusal) and reading.status == 3, reading
    [refused] = [e for e in await sim.wire() if e["rpc"] == "nprQif"]
    assert refused["refused"].startswith("invalid_request: start and end frames take at most 10")
    # 11-15 s take a start frame only; start + end at 10 s is fine.
    assert isinstance(await flow.submit("eb1hJf", project, model_key="abra_v2_i2v_12s",
                                        refs=[start]), W.SubmitReply)
    reading = await flow.submit("nprQif", project, model_key="omni_flash_v2_i2v_10s_first_last",
                                refs=[start, end])
    assert isinstance(reading, W.SubmitReply)
    assert [(i.role, i.media_id) for i in reading.records[0].inputs] == [("start", start),
                                                                         ("end", end)]
    assert [e["credits"] for e in await sim.wire() if e["rpc"] in ("eb1hJf", "nprQif")] == [
        0, 42, 30]


async def test_free_plan_caps_omni12_at_ten_seconds_and_has_no_veo(flow, sim):
    await sim.configure(plan="free", credits=50)
    project = await flow.new_project()
    reading = await flow.submit("YhhmEf", project, model_key="abra_v2_t2v_11s")
    assert isinstance(reading, W.Refusal), reading
    assert (reading.status, reading.reason) == (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED")
    assert "longer than 10 seconds" in reading.message
    reading = await flow.submit("YhhmEf", project, model_key="veo_3_1_t2v_lite")
    assert isinstance(reading, W.Refusal) and reading.status == 7
    reading = await flow.submit("YhhmEf", project, model_key="abra_v2_t2v_10s_360p")
    assert isinstance(reading, W.SubmitReply) and reading.credits_after == 40
    refused = [e["refused"] for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert refused == ["duration_not_on_plan", "model_not_on_plan", None]


async def test_omni12_takes_seven_ingredients_october_models_three(flow, sim):
    project = await flow.new_project()
    refs = [await flow.ready_upload(project, f"ref-{i}.png", png((30 * i, 90, 120)))
            for i in range(8)]
    too_many = await flow.submit("MZZa6b", project, model_key="abra_v2_r2v_8s", refs=refs)
    assert isinstance(too_many, W.Refusal) and too_many.status == 3
    reading = await flow.submit("MZZa6b", project, model_key="abra_v2_r2v_8s", refs=refs[:7])
    assert isinstance(reading, W.SubmitReply), reading
    assert [i.media_id for i in reading.records[0].inputs] == refs[:7]
    # Veo 3.1 - Lite keeps October's three.
    lite = await flow.submit("MZZa6b", project, model_key="veo_3_1_r2v_lite", refs=refs[:4])
    assert isinstance(lite, W.Refusal) and lite.status == 3
    await sim.configure(build="october")
    omni11 = await flow.submit("MZZa6b", project, model_key="abra_r2v_8s", refs=refs[:4])
    assert isinstance(omni11, W.Refusal) and omni11.status == 3


async def test_clips_are_rendered_as_long_as_asked(flow, sim, tmp_path, cookie_http, flowsim_url):
    await sim.configure(generation_seconds=1)
    project = await flow.new_project()
    [media_id] = await flow.submitted("YhhmEf", project, model_key="abra_v2_t2v_11s_360p")
    await flow.wait(media_id, {"done"})
    clip = await flow.media(media_id)
    async with cookie_http.get(flowsim_url + clip.rec.video_url) as resp:
        (tmp_path / "clip.mp4").write_bytes(await resp.read())
    probe = ffprobe(tmp_path / "clip.mp4")
    stream = probe["streams"][0]
    assert (stream["width"], stream["height"]) == (640, 360)
    assert abs(float(probe["format"]["duration"]) - 11) < 0.2
    assert clip.rec.duration_s == 11


# ---- the page's catalogue calls --------------------------------------------------------------
async def test_catalogue_and_availability_say_what_the_account_can_use(flow, sim):
    catalogue, refusal = await flow.answer("HTrJv", [])
    assert refusal is None
    [[none1, none2, slots, names]] = catalogue
    assert (none1, none2) == (None, None)
    assert [s[0] for s in slots] == [1, 2]
    assert all(s[1][2:] == ["narwhal_display", "abra_v2"] for s in slots)
    by_id = {n[0]: n for n in names}
    assert by_id["abra_v2"] == ["abra_v2", ["Omni 1.2 Flash"]]
    assert by_id["veo_3_1_lite"] == ["veo_3_1_lite", ["Veo 3.1 - Lite"]]
    for retired, label in (("abra", "Omni 1.1 Flash"), ("veo_3_1_fast", "Veo 3.1 - Fast"),
                           ("veo_3_1_quality", "Veo 3.1 - Quality")):
        assert by_id[retired] == [retired, [label], [2026, 12, 7]]
    assert by_id[OMNI12_8S] == [OMNI12_8S, ["Omni 1.2 Flash"]]
    assert by_id["veo_3_1_interpolation_lite"] == ["veo_3_1_interpolation_lite",
                                                   ["Veo 3.1 - Lite"]]
    assert "abra_t2v_8s" not in by_id and "veo_3_1_t2v_fast" not in by_id
    assert "veo_3_1_lite_low_priority" not in by_id  # not on Pro
    availability, _ = await flow.answer("yBhWQ", [])
    assert availability == [[["abra_v2", 1], ["veo_3_1_lite", 1], ["abra", 0],
                             ["veo_3_1_fast", 0], ["veo_3_1_quality", 0]]]
    await sim.configure(plan="free")
    assert (await flow.answer("yBhWQ", []))[0] == [[["abra_v2", 1], ["abra", 0],
                                                    ["veo_3_1_fast", 0], ["veo_3_1_quality", 0]]]
    free_ids = {n[0] for n in (await flow.answer("HTrJv", []))[0][0][3]}
    assert "abra_v2_t2v_11s" not in free_ids and "abra_v2_t2v_10s" in free_ids
    await sim.configure(plan="ultra", lower_priority_model=True)
    assert ["veo_3_1_lite_low_priority", 1] in (await flow.answer("yBhWQ", []))[0][0]
    await sim.configure(build="october", plan="pro", lower_priority_model=False)
    assert (await flow.answer("yBhWQ", []))[0] == [[["abra", 1], ["veo_3_1_lite", 1],
                                                    ["veo_3_1_fast", 1], ["veo_3_1_quality", 1]]]
    october = (await flow.answer("HTrJv", []))[0][0]
    assert october[2][0][1][3] == "abra" and ["abra_t2v_8s", ["Omni 1.1 Flash"]] in october[3]
    assert all(len(n) == 2 for n in october[3])  # nothing dated in October
    status, text = await flow.send("HTrJv", ["x"])
    assert status == 400 and '"er"' in text


# ---- traps on the wire ------------------------------------------------------------------------
async def test_firewall_403_on_fast_successive_submits(flow, sim):
    await sim.configure(firewall_min_gap_s=1.5)
    project = await flow.new_project()
    first = await flow.submit("YhhmEf", project, model_key=OMNI12_8S)
    assert isinstance(first, W.SubmitReply)
    # Naive: the next clip of the batch at once. Google's front end answers, not Flow.
    status, text = await flow.send("YhhmEf", flow.submit_payload(project, model_key=OMNI12_8S))
    assert status == 403 and text.startswith("<!DOCTYPE html>")
    assert "<b>403.</b> <ins>That’s an error.</ins>" in text
    assert "Your client does not have permission to get URL" in text
    assert bx.parse_reply(text).unreadable  # not a batchexecute reply at all
    reading = W.read_reply("YhhmEf", text, 403)
    assert isinstance(reading, W.Refusal) and reading.http_status == 403
    # Retrying at once is refused again (every request reaching the front end counts).
    assert (await flow.send("YhhmEf", flow.submit_payload(project, model_key=OMNI12_8S)))[0] == 403
    calls = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert [(e["refused"], e["credits"]) for e in calls] == [(None, 24), ("firewall", 0),
                                                            ("firewall", 0)]
    assert (await sim.counters())["credits_spent"] == 24
    assert (await sim.counters())["refusals"]["firewall"] == 2
    # Careful: pace the submits wider than the firewall's gap.
    await asyncio.sleep(1.6)
    assert isinstance(await flow.submit("YhhmEf", project, model_key=OMNI12_8S), W.SubmitReply)
    assert len(await sim.tiles()) == 2


async def test_poll_refusal_frame_while_clips_render_on(flow, sim):
    project = await flow.new_project()
    [media_id] = await flow.submitted("YhhmEf", project, model_key=OMNI12_8S)
    await sim.configure(poll_refusal_next=2)
    # Naive: a poll reply is records. This one is a refusal frame.
    with pytest.raises(AssertionError):
        await flow.poll([media_id])
    status, text = await flow.send("jwpduf", [None, None, [[media_id]]])
    assert status == 200
    got_id, result, row = wire.decode_reply(text)
    assert (got_id, result) == ("jwpduf", None)
    assert row[0] == 8 and row[2][0][0] == "PUBLIC_ERROR_RATE_LIMITED"
    reading = W.read_reply("jwpduf", text)
    assert isinstance(reading, W.Refusal) and reading.status == 8
    # The third poll reads again; the clip rendered on meanwhile.
    clip = await flow.wait(media_id, {"done"})
    assert clip.state == "done"
    polls = [e["refused"] for e in await sim.wire() if e["rpc"] == "jwpduf"]
    assert polls[:2] == ["poll_throttled", "poll_throttled"] and set(polls[2:]) == {None}


async def test_a_declined_upload_answers_status_3(flow, sim):
    project = await flow.new_project()
    await flow.call("hK3mQe", {})
    status, text = await flow.send("maseQ", flow.upload_payload(project, "kid.png",
                                                                png((255, 0, 255))))
    assert status == 200
    first = json.loads(text.split("\n")[3])
    [row] = [r for r in first if r[0] == "wrb.fr"]
    assert row[:5] == ["wrb.fr", "maseQ", None, None, None] and row[6] == "generic"
    assert row[5] == [3, None, [["PUBLIC_ERROR_UPLOAD_MINOR",
                                 "We do not allow uploads of minors at this time"]]]
    reading = W.read_reply("maseQ", text)
    assert isinstance(reading, W.Refusal) and reading.status == 3  # not "no media id"
    [refused] = await sim.uploads()
    assert (refused["mediaId"], refused["refused"]) == (None, "minor")


async def test_lost_upload_reply_after_the_asset_was_saved(flow, sim, flowsim_url, cookie_http):
    await sim.configure(upload_reply_lost_next=1)
    project = await flow.new_project()
    await flow.call("hK3mQe", {})
    name = "run-7f3a-frame.png"
    body = await flow.body("maseQ", flow.upload_payload(project, name, png((10, 160, 90))))
    url = f"{flowsim_url}{wire.PATH}?rpcids=maseQ&rt=c"
    headers = {"Content-Type": wire.FORM_TYPE + ";charset=UTF-8", "X-Same-Domain": "1"}
    async with cookie_http.post(url, data=body, headers=headers) as resp:
        assert resp.status == 200  # the headers came...
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()  # ...the body never does
    # The asset WAS saved: in uploads() and findable in the library by its run-unique name.
    [saved] = await sim.uploads()
    assert (saved["fileName"], saved["replyLost"], saved["refused"]) == (name, True, None)
    for _ in range(50):
        assets = (await flow.call("Vz7tGb", {"projectId": project, "query": "7f3a"}))["assets"]
        if assets and assets[0]["state"] == "READY":
            break
        await asyncio.sleep(0.1)
    assert [(a["mediaId"], a["fileName"]) for a in assets] == [(saved["mediaId"], name)]
    # Naive: upload the same file again, a second asset.
    again = await flow.upload(project, name, png((10, 160, 90)))
    assert isinstance(again, W.UploadReply) and again.media_id != saved["mediaId"]
    uploads = await sim.uploads()
    assert [u["fileName"] for u in uploads] == [name, name]
    assert [u["replyLost"] for u in uploads] == [True, False]
    assert [e.get("reply_lost") for e in await sim.wire() if e["rpc"] == "maseQ"] == [True, None]


async def test_unusual_activity_on_flows_own_upscale(flow, sim):
    await sim.configure(generation_seconds=1, upscale_1080_seconds=0.5)
    project = await flow.new_project()
    [media_id] = await flow.submitted("YhhmEf", project, model_key="abra_v2_t2v_3s_360p")
    await flow.wait(media_id, {"done"})
    await sim.configure(upscale_unusual_activity_next=1)
    reading = await flow.call("Qq9xPa", {"mediaId": media_id, "size": "1080p"})
    assert isinstance(reading, W.Refusal)
    assert (reading.status, reading.reason) == (7, "PUBLIC_ERROR_UNUSUAL_ACTIVITY")
    assert "unusual activity" in reading.message
    # The next request goes through; submits are not locked by it.
    assert (await flow.call("Qq9xPa", {"mediaId": media_id, "size": "1080p"}))["state"] in (
        "PENDING", "READY")
    assert isinstance(await flow.submit("YhhmEf", project, model_key=OMNI12_8S), W.SubmitReply)
    ups = [e["refused"] for e in await sim.wire() if e["rpc"] == "Qq9xPa"]
    assert ups == ["unusual_activity", None]


async def test_trap_settings_are_checked(sim):
    for bad in ({"firewall_min_gap_s": -1}, {"poll_refusal_next": -1}, {"translate_bar": 1},
                {"plan": "plus"}, {"upload_reply_lost_next": True}):
        with pytest.raises(RuntimeError, match="bad setting"):
            await sim.configure(**bad)
