"""flowsim's replies have the SHAPE of Flow's real ones (`../shared/flow_wire/*.jsonl`).

For every real exchange the driver cares about (submit, poll, upload, media, listing), flowsim
answers the same operation (the real request itself where it carries everything, with masked
ids replaced by flowsim's; a clip in the same state where the request names a real clip) and
every position the driver reads (the path tuples of `flow2026.wire.RECORD`, `INPUT`, `ITEM`,
`SUBMIT_REPLY`, `POLL_REPLY`, `UPLOAD_REPLY`, `LISTING_REPLY`) that the real reply fills must
exist in flowsim's reply with the same JSON type. Every `*.jsonl` of the folder is read: a new
capture is checked without a code change."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import catalog
from tests.flowsim.flow2026 import Flow2026, png

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "flow_wire"
MASKED_ID = re.compile(r"^<uuid#\d+>$")
MASKED_B64 = re.compile(r"^<b64 \d+ chars>$")
SUBMITS = set(W.SUBMIT_KINDS)
CHECKED = SUBMITS | {W.POLL, W.UPLOAD, W.MEDIA, W.LISTING}
KIND_RPC = {"t2v": "YhhmEf", "i2v": "eb1hJf", "fl": "nprQif", "r2v": "MZZa6b"}
REFS_OF_KIND = {"t2v": 0, "i2v": 1, "fl": 2, "r2v": 1}
STATE_NAMES = {6: "queued", 2: "rendering", 3: "done", 4: "failed"}


def load_exchanges() -> list[tuple[str, dict]]:
    """(id, exchange) of every real exchange the driver reads, answered 200 with a result."""
    out = []
    for path in sorted(CAPTURES.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            ex = json.loads(line)
            if ex.get("rpc") not in CHECKED or ex.get("status") != 200:
                continue
            answer = bx.parse_reply(ex["response_body"]).answer(ex["rpc"])
            if answer is None or answer.result is None or answer.refused:
                continue
            ex["result"] = answer.result
            [call] = bx.parse_request(ex["request_body"])
            ex["payload"] = call.payload
            out.append((f"{path.stem}:{n}:{ex['rpc']}", ex))
    return out


EXCHANGES = load_exchanges() if CAPTURES.is_dir() else []


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def compare(real, ours, table: dict[str, tuple[int, ...]], where: str) -> list[str]:
    """Positions of `table` the real value fills that flowsim lacks or types differently."""
    problems = []
    for name, path in table.items():
        want = bx.at(real, path)
        if want is None:
            continue  # the real reply does not fill it: nothing to match
        got = bx.at(ours, path)
        if json_type(got) != json_type(want):
            problems.append(f"{where}.{name} {path}: real {json_type(want)} "
                            f"{json.dumps(want)[:60]}, flowsim {json_type(got)} "
                            f"{json.dumps(got)[:60]}")
    return problems


def compare_record(real, ours, where: str) -> list[str]:
    problems = compare(real, ours, W.RECORD, where)
    real_inputs = bx.at(real, W.RECORD["inputs"]) or []
    our_inputs = bx.at(ours, W.RECORD["inputs"]) or []
    for i, inp in enumerate(real_inputs):
        mine = our_inputs[i] if i < len(our_inputs) else None
        problems += compare(inp, mine, W.INPUT, f"{where}.inputs[{i}]")
    return problems


def compare_list(real_list, our_list, each, where: str) -> list[str]:
    """Each real element against flowsim's at the same index (or its first)."""
    problems = []
    real_list, our_list = real_list or [], our_list or []
    if real_list and not our_list:
        return [f"{where}: real has {len(real_list)}, flowsim none"]
    for i, real in enumerate(real_list):
        problems += each(real, our_list[min(i, len(our_list) - 1)], f"{where}[{i}]")
    return problems


def plan_for(key: str) -> tuple[str, str]:
    """(plan, key) on which flowsim offers `key`; an unknown key is swapped for flowsim's key
    of the same kind (flowsim has no such model, but the shape is still comparable)."""
    parsed = catalog.KEYS.get(key)
    if parsed is None:
        parsed_kind = modelkeys.parse(key).kind
        kind = {"interpolation": "fl", "ingredients": "r2v"}.get(parsed_kind, parsed_kind)
        key = f"abra_{kind or 't2v'}_8s" if kind != "fl" else "omni_flash_i2v_8s_first_last"
    for plan in ("pro", "ultra"):
        try:
            catalog.by_key(key, plan, True, build="october")
            return plan, key
        except catalog.KeyRefused:
            continue
    raise AssertionError(f"flowsim offers {key} on no plan")


class Replay:
    """Sends real requests to flowsim with the masked ids replaced by flowsim's own."""

    def __init__(self, flow: Flow2026, sim):
        self.flow, self.sim = flow, sim
        self.ids: dict[str, str] = {}

    async def setup(self, plan: str) -> str:
        await self.sim.configure(plan=plan, lower_priority_model=True, generation_seconds=1,
                                 upload_consent=False, upload_store_seconds=0.1)
        return await self.flow.new_project()

    def swap(self, value, b64: str | None = None):
        """The payload with masked ids mapped (fresh uuids unless mapped) and masked base64
        bodies replaced (`b64` for an image, a token otherwise)."""
        if isinstance(value, list):
            return [self.swap(v, b64) for v in value]
        if isinstance(value, str) and MASKED_ID.match(value):
            return self.ids.setdefault(value, str(uuid.uuid4()))
        if isinstance(value, str) and MASKED_B64.match(value):
            return b64 if b64 is not None else "03A" + "x" * 40
        return value

    async def frames(self, project: str, masked: list[str]) -> None:
        """A stored upload of flowsim for every masked media id a request refers to."""
        for i, m in enumerate(masked):
            if m not in self.ids:
                self.ids[m] = await self.flow.ready_upload(
                    project, f"frame-{i}.png", png((40 + 60 * i, 90, 160), (160, 90)))

    async def clip(self, project: str, key: str, state: int) -> str:
        """A flowsim clip of `key` in the real record's `state`."""
        kind = catalog.KEYS[key].kind
        refs = [await self.flow.ready_upload(project, f"in-{i}.png")
                for i in range(REFS_OF_KIND[kind])]
        if state == 2:
            await self.sim.configure(stuck_next=1)  # rendering, no progress (as captured)
        elif state == 6:
            await self.sim.configure(slots=0)
        elif state == 4:
            await self.sim.fail_next(1, "policy", 0)
        [media_id] = await self.flow.submitted(KIND_RPC[kind], project, model_key=key,
                                               refs=refs or None)
        await self.flow.wait(media_id, {STATE_NAMES.get(state, "done")})
        return media_id


def refs_and_mentions(payload) -> list[str]:
    """The masked media ids a submit request refers to (input refs and @ mentions)."""
    found: list[str] = []
    for q in bx.at(payload, W.SUBMIT_REQUEST["requests"]) or []:
        for el in q[1:2]:
            if isinstance(el, list):
                found += [r[1] for r in el if isinstance(r, list) and len(r) > 1]
        for run in bx.at(q, (0, *W.RICH_PROMPT_RUNS)) or []:
            mention = bx.at(run, (1, 0, 0))
            if isinstance(mention, str):
                found.append(mention)
    return [m for m in dict.fromkeys(found) if MASKED_ID.match(m)]


def key_of(ex: dict) -> str:
    """The model key of a real exchange (its request's, else its first record's)."""
    if ex["rpc"] in SUBMITS:
        return W.read_submit_request(ex["rpc"], ex["payload"]).model_key
    rec = ex["result"] if ex["rpc"] == W.MEDIA else (bx.at(ex["result"], (2, 0))
                                                      or bx.at(ex["result"], (3, 0)))
    return bx.at(rec, W.RECORD["model_key"])


def test_the_captures_hold_every_operation_the_driver_reads():
    if not EXCHANGES:
        pytest.skip(f"no real captures in {CAPTURES}")
    kinds = {ex["rpc"] for _, ex in EXCHANGES}
    submits = {W.read_submit_request(ex["rpc"], ex["payload"]).kind
               for _, ex in EXCHANGES if ex["rpc"] in SUBMITS}
    assert {"t2v", "ingredients"} <= submits
    assert {W.POLL, W.UPLOAD, W.MEDIA} <= kinds


@pytest.mark.parametrize("ex", [ex for _, ex in EXCHANGES], ids=[i for i, _ in EXCHANGES])
async def test_flowsim_reply_has_the_real_shape(flow, sim, ex):
    replay = Replay(flow, sim)
    rpc, real = ex["rpc"], ex["result"]
    if rpc == W.UPLOAD:
        project = await replay.setup("pro")
        replay.ids[bx.at(ex["payload"], (0, 5))] = project
        image = base64.b64encode(png((120, 80, 40), (320, 180))).decode()
        # The image body replaced by a real PNG; the ctx's token stays a token.
        payload = [replay.swap(ex["payload"][0]), image, *replay.swap(ex["payload"][2:])]
        ours, refusal = await flow.answer(rpc, payload)
        assert refusal is None, refusal
        assert isinstance(W.interpret(rpc, ours), W.UploadReply)
        problems = compare(real, ours, W.UPLOAD_REPLY, "upload")
    elif rpc in SUBMITS:
        plan, key = plan_for(key_of(ex))
        project = await replay.setup(plan)
        replay.ids[bx.at(ex["payload"], (1, 5))] = project
        await replay.frames(project, refs_and_mentions(ex["payload"]))
        payload = replay.swap(ex["payload"])
        for q in payload[0]:  # the key flowsim offers (the same one unless flowsim lacks it)
            q[[i for i, el in enumerate(q) if isinstance(el, str)][0]] = key
        await sim.configure(submit_reply_ms=0)
        ours, refusal = await flow.answer(rpc, payload)
        assert refusal is None, refusal
        reading = W.interpret(rpc, ours)
        assert isinstance(reading, W.SubmitReply) and reading.records, reading
        problems = compare(real, ours, W.SUBMIT_REPLY, "submit")
        problems += compare_list(bx.at(real, W.SUBMIT_REPLY["records"]),
                                 bx.at(ours, W.SUBMIT_REPLY["records"]), compare_record,
                                 "submit.records")
        problems += compare_list(bx.at(real, W.SUBMIT_REPLY["items"]),
                                 bx.at(ours, W.SUBMIT_REPLY["items"]),
                                 lambda r, o, w: compare(r, o, W.ITEM, w), "submit.items")
    elif rpc in (W.POLL, W.MEDIA):
        plan, key = plan_for(key_of(ex))
        project = await replay.setup(plan)
        real_records = [real] if rpc == W.MEDIA else bx.at(real, W.POLL_REPLY["records"]) or []
        ids = [await replay.clip(project, key, bx.at(r, W.RECORD["state"])) for r in real_records]
        if rpc == W.MEDIA:
            ours, refusal = await flow.answer(rpc, ids)
            assert refusal is None, refusal
            problems = compare_record(real, ours, "media")
        else:
            ours, refusal = await flow.answer(rpc, [None, None, [[m] for m in ids]])
            assert refusal is None, refusal
            problems = compare(real, ours, W.POLL_REPLY, "poll")
            problems += compare_list(real_records, bx.at(ours, W.POLL_REPLY["records"]),
                                     compare_record, "poll.records")
    else:  # the project listing
        plan, key = plan_for(key_of(ex) or "abra_t2v_8s")
        project = await replay.setup(plan)
        for _ in range(min(3, len(bx.at(real, W.LISTING_REPLY["items"]) or []))):
            await replay.clip(project, key, 3)
        ours, refusal = await flow.answer(rpc, [f"projects/{project}", None, None, None, [1]])
        assert refusal is None, refusal
        problems = compare(real, ours, W.LISTING_REPLY, "listing")
        problems += compare_list(bx.at(real, W.LISTING_REPLY["items"]),
                                 bx.at(ours, W.LISTING_REPLY["items"]),
                                 lambda r, o, w: compare(r, o, W.ITEM, w), "listing.items")
    assert not problems, "\n".join(problems)
