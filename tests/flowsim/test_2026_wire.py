"""flow2026 wire: Flow's real batchexecute framing (chunked replies, the `at` token), strict
400s on malformed calls, status-row refusals of keys and frames that do not fit, wire()
records of every submit kind (text, image, start+end) with what was billed, and model keys in
the real grammar."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import wire
from tests.flowsim.flow2026 import OMNI_8S, Flow2026
from tests.flowsim.test_2026_pages import boot_of

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

SUBMIT_RPCS = ("YhhmEf", "eb1hJf", "nprQif", "MZZa6b")


def chunk_lines(text: str) -> list[tuple[int, str]]:
    """(length line, chunk line) pairs of a reply body."""
    assert text.startswith(")]}'\n\n")
    lines = text[len(")]}'\n\n"):].split("\n")
    assert lines[-1] == ""  # every chunk line ends with a line break
    lines = lines[:-1]
    return [(int(n), line) for n, line in zip(lines[::2], lines[1::2], strict=True)]


async def test_reply_envelope_is_the_contracts(flow):
    status, text = await flow.send("Lm2sRd", {"op": "new_project"})
    assert status == 200
    chunks = chunk_lines(text)
    # The length counts the chunk and its two line breaks (the capture's unmasked `e` chunk).
    assert all(n == len(line) + 2 for n, line in chunks)
    [(_, rows), (_, end)] = chunks
    [answer, di, httprm] = json.loads(rows)
    tag, rpc_id, result, *rest = answer
    assert (tag, rpc_id, rest) == ("wrb.fr", "Lm2sRd", [None, None, None, "generic"])
    assert set(json.loads(result)) == {"projectId", "title"}
    assert di[0] == "di" and isinstance(di[1], int)
    assert httprm[0] == "af.httprm" and isinstance(httprm[2], str) and isinstance(httprm[3], int)
    [[e, four, none1, none2, n]] = json.loads(end)
    assert (e, four, none1, none2) == ("e", 4, None, None) and isinstance(n, int)
    # A reply is several JSON documents: one json.loads of it all fails; the driver reads it.
    with pytest.raises(ValueError):
        json.loads(text[len(")]}'"):])
    reply = bx.parse_reply(text)
    assert reply.unreadable is None and reply.answer("Lm2sRd").result["projectId"]


async def test_the_page_gets_its_at_token_and_build_label(flow, flowsim_url, cookie_http):
    project = await flow.new_project()
    async with cookie_http.get(f"{flowsim_url}/project/{project}") as resp:
        boot = boot_of(await resp.text())
    assert boot["at"] == await flow.at() and boot["build"] == wire.BUILD_LABELS["october"]
    async with aiohttp.ClientSession() as anonymous, anonymous.get(f"{flowsim_url}/about") as r:
        assert boot_of(await r.text())["at"] is None  # no token without a session


def _freq(rpc_id: str, payload_text: str) -> str:
    return json.dumps([[[rpc_id, payload_text, None, "generic"]]])


# Bodies as templates of the session's `at` ({at}): each is malformed in one way only.
MALFORMED = [
    (None, "f.req=x&at={at}&", wire.FORM_TYPE),                                # no rpcids
    ("jwpduf", "f.req=" + quote(wire.encode_call("as29s", ["x"])) + "&at={at}&",
     wire.FORM_TYPE),                                                          # id mismatch
    ("Zz9Zz9", "f.req=" + quote(wire.encode_call("Zz9Zz9", [])) + "&at={at}&", wire.FORM_TYPE),
    ("jwpduf", "f.req=" + quote(wire.encode_call("jwpduf", [None, None, []])) + "&at={at}&",
     "application/json"),
    ("jwpduf", "f.req=" + quote(_freq("jwpduf", "{not json")) + "&at={at}&", wire.FORM_TYPE),
    ("jwpduf", "f.req=" + quote(_freq("jwpduf", "[1,2]")) + "&at={at}&", wire.FORM_TYPE),
    ("jwpduf", "f.req=" + quote(_freq("jwpduf", "{}")) + "&at={at}&", wire.FORM_TYPE),
    ("Lm2sRd", "f.req=" + quote(_freq("Lm2sRd", "[]")) + "&at={at}&", wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": "{}"}) + "&at={at}&", wire.FORM_TYPE),
    ("jwpduf", urlencode({"f.req": "[]", "at": "x"}), wire.FORM_TYPE),         # wrong at
    ("jwpduf", "f.req=" + quote(wire.encode_call("jwpduf", [None, None, []])) + "&",
     wire.FORM_TYPE),                                                          # no at
    ("jwpduf", "f.req=" + quote(wire.encode_call("jwpduf", [None, None, []]))
     + "&at=AJpMio0:1790000000000&", wire.FORM_TYPE),                          # another's at
]


@pytest.mark.parametrize("rpc_query, body, content_type", MALFORMED)
async def test_malformed_envelopes_get_400_and_are_recorded(flow, sim, rpc_query, body,
                                                            content_type):
    status, text = await flow.raw(rpc_query, body.replace("{at}", quote(await flow.at(), safe="")),
                                  content_type=content_type)
    assert status == 400 and text.startswith(")]}'")
    [row] = bx.parse_reply(text).errors
    assert row[0] == "er" and row[5] == 400 and isinstance(row[6], str)
    refusal = W.read_reply(rpc_query or "?", text, http_status=400)
    assert isinstance(refusal, W.Refusal) and refusal.http_status == 400
    [entry] = await sim.wire()
    assert entry["refused"].startswith("bad_request")
    assert (await sim.counters())["submissions"] == 0


def http_400() -> tuple:
    return ("http", 400, "bad_request")


def status(code: int, refused: str, reason: str | None = None) -> tuple:
    return ("status", code, refused, reason)


async def test_bad_submits_are_refused_and_charge_nothing(flow, sim):
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "frame.png")
    other = await flow.new_project()
    foreign_frame = await flow.ready_upload(other, "elsewhere.png")
    good = flow.submit_payload(project)
    invalid = status(3, "invalid_request", "PUBLIC_ERROR_INVALID_REQUEST")
    unknown = status(5, "unknown_model")
    no_token = flow.submit_payload(project)
    no_token[1][10] = None
    bad_mode = flow.submit_payload(project)
    bad_mode[2][1] = 7
    bad_run = flow.submit_payload(project, prompt=[["a"], [1, 2, 3]])
    cases = {
        "no requests": ("YhhmEf", [[], *good[1:]], http_400()),
        "five outputs": ("YhhmEf", flow.submit_payload(project, 5), http_400()),
        "unknown model": ("YhhmEf", flow.submit_payload(project, model_key="veo_4_t2v"), unknown),
        "i2v key on t2v": ("YhhmEf", flow.submit_payload(project, model_key="veo_3_1_i2v_fast"),
                           invalid),
        "t2v key on i2v": ("eb1hJf", flow.submit_payload(project, model_key="veo_3_1_t2v_fast",
                                                         refs=[frame]), invalid),
        "Veo 6 s on Pro": ("YhhmEf", flow.submit_payload(project,
                                                         model_key="veo_3_1_t2v_fast_6s"),
                           status(7, "model_not_on_plan", "PUBLIC_ERROR_MODEL_ACCESS_DENIED")),
        "Veo at 360p": ("YhhmEf", flow.submit_payload(project, model_key="veo_3_1_t2v_fast_360p"),
                        unknown),
        "Omni 5 s": ("YhhmEf", flow.submit_payload(project, model_key="abra_t2v_5s"), unknown),
        "prompt too long": ("YhhmEf", flow.submit_payload(project, prompt="x" * 5001),
                            http_400()),
        "empty prompt": ("YhhmEf", flow.submit_payload(project, prompt="   "), http_400()),
        "bad aspect": ("YhhmEf", flow.submit_payload(project, model_key="abra_t2v_8s_square"),
                       unknown),
        "frame on t2v": ("YhhmEf", flow.submit_payload(project, refs=[frame]), invalid),
        "i2v without frame": ("eb1hJf", flow.submit_payload(project, model_key="abra_i2v_8s",
                                                            refs=[]), invalid),
        "i2v without refs": ("eb1hJf", flow.submit_payload(project, model_key="abra_i2v_8s"),
                             invalid),
        "frame of another project": ("eb1hJf", flow.submit_payload(
            project, model_key="abra_i2v_8s", refs=[foreign_frame]), invalid),
        "unknown frame": ("eb1hJf", flow.submit_payload(
            project, model_key="abra_i2v_8s", refs=["00000000-0000-0000-0000-000000000000"]),
            invalid),
        "fl without end": ("nprQif", flow.submit_payload(
            project, model_key="omni_flash_i2v_8s_first_last", refs=[frame]), invalid),
        "foreign project": ("YhhmEf", flow.submit_payload(await sim.foreign_project()),
                            http_400()),
        "mixed settings": ("YhhmEf", [[good[0][0], flow.submit_payload(
            project, model_key="abra_t2v_4s")[0][0]], *good[1:]], http_400()),
        "no reCAPTCHA token": ("YhhmEf", no_token, http_400()),
        "not a page or agent submit": ("YhhmEf", bad_mode, http_400()),
        "a run that is not a run": ("YhhmEf", bad_run, http_400()),
    }
    for name, (rpc_id, payload, expected) in cases.items():
        code, text = await flow.send(rpc_id, payload)
        if expected[0] == "http":
            assert code == 400, name
            continue
        assert code == 200, (name, text)
        refusal = W.read_reply(rpc_id, text)
        assert isinstance(refusal, W.Refusal), (name, refusal)
        assert (refusal.status, refusal.reason) == (expected[1], expected[3]), name
        assert (refusal.message is None) == (expected[3] is None), name
    counters = await sim.counters()
    assert (counters["submissions"], counters["credits_spent"], counters["tiles_created"]) == (
        0, 0, 0)
    refused = [e for e in await sim.wire() if e["rpc"] in SUBMIT_RPCS]
    assert len(refused) == len(cases)
    for entry, (name, (_rpc, _payload, expected)) in zip(refused, cases.items(), strict=True):
        assert entry["refused"].startswith(expected[2]), (name, entry["refused"])
        assert entry["credits"] == 0, name


async def test_empty_frames_submit_is_billed_as_t2v(flow, sim):
    # The page sends a Frames submit with an empty Start chip as YhhmEf: billed, text-to-video.
    await sim.configure(stuck_next=10)  # no render needed to see the bill
    project = await flow.new_project()
    payload = flow.submit_payload(project, 2, model_key="abra_t2v_6s")
    result = await flow.read("YhhmEf", payload)
    assert isinstance(result, W.SubmitReply)
    assert [r.state for r in result.records] == ["queued", "queued"]  # a submit reply says 6
    assert result.credits_after == 1000 - 2 * 10
    assert [i.media_id for i in result.items] == result.media_ids
    assert {i.client_request_id for i in result.items} == {payload[2][0]}
    polled = await flow.poll(result.media_ids)
    assert [(c.state, c.progress) for c in polled.values()] == [("rendering", None)] * 2
    [entry] = [e for e in await sim.wire() if e["rpc"] == "YhhmEf"]
    assert {k: entry[k] for k in ("kind", "project", "media_ids", "model", "model_key",
                                  "duration", "resolution", "aspect", "count", "credits",
                                  "refused", "trusted", "client_request_id")} == {
        "kind": "t2v", "project": project, "media_ids": [None, None],
        "model": "Omni 1.1 Flash", "model_key": "abra_t2v_6s", "duration": 6,
        "resolution": "720p", "aspect": "16:9", "count": 2, "credits": 20, "refused": None,
        "trusted": True, "client_request_id": payload[2][0]}
    assert entry["tile_ids"] == result.media_ids


async def test_i2v_and_interpolation_records_carry_the_frames(flow, sim):
    await sim.configure(stuck_next=10)
    project = await flow.new_project()
    start = await flow.ready_upload(project, "start.png")
    end = await flow.ready_upload(project, "end.png")
    i2v_reply = await flow.submit("eb1hJf", project, model_key="veo_3_1_i2v_fast_portrait",
                                  refs=[start])
    fl_reply = await flow.submit("nprQif", project, model_key="veo_3_1_interpolation_lite",
                                 refs=[start, end])
    i2v, fl = [e for e in await sim.wire() if e["rpc"] in ("eb1hJf", "nprQif")]
    assert "_i2v_" in i2v["model_key"]
    assert (i2v["kind"], i2v["media_ids"], i2v["model"], i2v["aspect"], i2v["credits"]) == (
        "i2v", [start, None], "Veo 3.1 - Fast", "9:16", 20)
    assert (fl["kind"], fl["media_ids"], fl["model"], fl["duration"], fl["credits"]) == (
        "interpolation", [start, end], "Veo 3.1 - Lite", 8, 10)
    # The records say which input is which (types 1 = start, 2 = end).
    [rec] = i2v_reply.records
    assert [(i.media_id, i.role) for i in rec.inputs] == [(start, "start")]
    assert (rec.model_key, rec.key.kind, rec.key.portrait) == (
        "veo_3_1_i2v_fast_portrait", "i2v", True)
    [rec] = fl_reply.records
    assert [(i.media_id, i.role) for i in rec.inputs] == [(start, "start"), (end, "end")]
    assert (rec.key.kind, rec.duration_s) == ("interpolation", 8)
    uploads = await sim.uploads()
    assert [u["fileName"] for u in uploads] == ["start.png", "end.png"]


async def test_boot_keys_follow_the_real_grammar(flow, sim, flowsim_url, cookie_http):
    # Every key the page can send parses (by the driver's grammar) to its model, kind,
    # duration, resolution and aspect; the defaults are the captured keys.
    await sim.configure(plan="ultra")
    project = await flow.new_project()
    async with cookie_http.get(f"{flowsim_url}/project/{project}") as resp:
        catalog = boot_of(await resp.text())["catalog"]
    kinds = {"t2v": "t2v", "i2v": "i2v", "fl": "interpolation", "r2v": "ingredients"}
    seen = set()
    for label, entry in catalog.items():
        family, tier = modelkeys.family_of_model(label)
        for kind, table in entry["keys"].items():
            for settings, key in table.items():
                seconds, resolution, aspect = settings.split("/")
                parsed = modelkeys.parse(key)
                assert (parsed.family, parsed.kind, parsed.tier) == (family, kinds[kind], tier), key
                assert parsed.duration_s in (None, int(seconds)), key
                assert parsed.resolution in (None, resolution) and parsed.portrait == (
                    aspect == "9:16"), key
                assert "omni" not in key or kind == "fl", key  # Omni keys say `abra`
                assert key not in seen, key
                seen.add(key)
    omni = catalog["Omni 1.1 Flash"]["keys"]
    assert omni["t2v"]["8/720p/16:9"] == OMNI_8S and omni["r2v"]["4/720p/16:9"] == "abra_r2v_4s"
    assert omni["i2v"]["4/360p/16:9"] == "abra_i2v_4s_360p"
    assert omni["fl"]["6/720p/16:9"] == "omni_flash_i2v_6s_first_last"
    fast = catalog["Veo 3.1 - Fast"]["keys"]
    assert fast["t2v"]["8/720p/9:16"] == "veo_3_1_t2v_fast_portrait"
    assert fast["r2v"]["8/720p/9:16"] == "veo_3_1_r2v_fast_portrait"
    assert fast["fl"]["8/720p/16:9"] == "veo_3_1_interpolation_fast"
    assert catalog["Veo 3.1 - Lite"]["keys"]["t2v"]["4/720p/16:9"] == "veo_3_1_t2v_lite_4s"


async def test_without_a_session_the_wire_answers_401_to_about(sim, flowsim_url):
    async with aiohttp.ClientSession() as anonymous:
        client = Flow2026(anonymous, flowsim_url)
        status, text = await client.raw("jwpduf", await client.body("jwpduf", [None, None, []],
                                                                    at=None))
    assert status == 401 and json.loads(text) == {"redirect": "/about"}
