"""Contract tests on real bytes: Flow's wire as the live page sent it (`../shared/flow_wire/`).

Every exchange of every `*.jsonl` there is read by `batchexecute` + `ui/flow2026/wire.py`. Two layers:

* generic checks over every exchange of every file (a new capture is checked without code
  changes): a submit / poll / upload / media exchange reads with nothing unreadable, a submit
  reply names its new media, every record of a known model family parses, nothing raises;
* the facts of the September capture, one test per fact kind, from the small table `SEPT`
  keyed by (file name, line index).

Then tolerance on mutated real bytes (October's null marker, extra and dropped trailing
positions) and on bytes that are not a reply at all. The old reader (`wire.reply_result`, before
issue 19) did `json.loads` on everything after `)]}'`, which fails on every real chunked reply:
the regression tests are named after what it did.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.ui.flow2026 import wire as fw

WIRE_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "flow_wire"
NO_WIRE = f"no real captures: {WIRE_DIR} is absent or holds no *.jsonl (../shared/flow_wire)"
DRIVER_KINDS = ("submit", "poll", "upload", "media")


@dataclass(frozen=True)
class Exchange:
    file: str
    line: int  # 0-based index of the line in its file
    rpc: str
    status: int
    request_body: str | None
    response_body: str | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.rpc}"

    @property
    def payload(self) -> Any:
        calls = bx.parse_request(self.request_body)
        return next((c.payload for c in calls if c.rpc == self.rpc), None)

    @property
    def kind(self) -> str:
        return fw.KIND_OF_RPC.get(self.rpc, "other")

    def reading(self, text: str | bytes | None = None) -> fw.Reading:
        body = self.response_body if text is None else text
        return fw.read_reply(self.rpc, body, self.status)

    def facts(self, text: str | bytes | None = None) -> fw.Facts:
        return fw.facts(self.rpc, self.payload, self.reading(text))


def _load() -> list[Exchange]:
    out: list[Exchange] = []
    if not WIRE_DIR.is_dir():
        return out
    for path in sorted(WIRE_DIR.glob("*.jsonl")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            d = json.loads(line)
            out.append(Exchange(path.name, i, d["rpc"], int(d.get("status", 200)),
                                d.get("request_body"), d.get("response_body")))
    return out


EXCHANGES = _load()
needs_wire = pytest.mark.skipif(not EXCHANGES, reason=NO_WIRE)


def every(kinds: tuple[str, ...] | None = None) -> list:
    """Exchanges as test parameters (one skipped parameter, with the reason, when none)."""
    chosen = [e for e in EXCHANGES if kinds is None or e.kind in kinds]
    if not chosen:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_WIRE))]
    return [pytest.param(e, id=str(e)) for e in chosen]


# --- expected facts of the September capture, by (file, line) ------------------------------------
SEPT_FILE = "exchanges-2026-09-25.jsonl"
P = "<uuid#1>"  # the project
SEPT: dict[int, dict[str, Any]] = {
    1: dict(kind="upload", upload_id="<uuid#2>", file_name="king.jpg", mime="image/jpeg",
            project_id=P),
    3: dict(kind="upload", upload_id="<uuid#3>", file_name="image.png", mime="image/jpeg",
            project_id=P),
    9: dict(kind="submit", rpc="MZZa6b", submit_kind="ingredients", media_ids=["<uuid#30>"],
            states=["queued"], model_key="abra_r2v_4s", duration_s=4,
            inputs=[("<uuid#2>", "reference")], credits_after=904, project_id=P,
            client_request_id="<uuid#28>", refs=("<uuid#2>",),
            prompt="The king walks slowly toward the camera"),
    10: dict(kind="poll", media_ids=["<uuid#30>"], states=["rendering"], model_key="abra_r2v_4s",
             duration_s=4, inputs=[("<uuid#2>", "reference")], credits_after=None, project_id=P),
    11: dict(kind="poll", media_ids=["<uuid#30>"], states=["done"], model_key="abra_r2v_4s",
             duration_s=4, inputs=[("<uuid#2>", "reference")], credits_after=904, project_id=P),
    12: dict(kind="media", media_ids=["<uuid#30>"], states=["done"], model_key="abra_r2v_4s",
             duration_s=4, inputs=[("<uuid#2>", "reference")], credits_after=None, project_id=P,
             video_url="https://flow-content.google/video/<uuid#30>?"),
    13: dict(kind="submit", rpc="YhhmEf", submit_kind="t2v", media_ids=["<uuid#35>"],
             states=["queued"], model_key="veo_3_1_t2v_fast_portrait", duration_s=8, inputs=[],
             credits_after=884, project_id=P, client_request_id="<uuid#33>", refs=(),
             prompt="The king raises his hand and smiles"),
    14: dict(kind="submit", rpc="MZZa6b", submit_kind="ingredients", media_ids=["<uuid#40>"],
             states=["queued"], model_key="veo_3_1_r2v_fast_portrait", duration_s=8,
             inputs=[("<uuid#2>", "reference")], credits_after=864, project_id=P,
             client_request_id="<uuid#38>", refs=("<uuid#2>",),
             prompt="The king raises his hand and smiles"),
    15: dict(kind="poll", media_ids=["<uuid#40>"], states=["done"],
             model_key="veo_3_1_r2v_fast_portrait", duration_s=8,
             inputs=[("<uuid#2>", "reference")], credits_after=864, project_id=P),
    16: dict(kind="submit", rpc="MZZa6b", submit_kind="ingredients", media_ids=["<uuid#45>"],
             states=["queued"], model_key="abra_r2v_4s", duration_s=4,
             inputs=[("<uuid#2>", "reference")], credits_after=857, project_id=P,
             client_request_id="<uuid#43>", refs=("<uuid#2>",),
             # the mention run [null,[["<uuid#2>","king.jpg"]]] is read as its file name
             prompt="king.jpg walks toward the camera"),
    17: dict(kind="poll", media_ids=["<uuid#45>"], states=["done"], model_key="abra_r2v_4s",
             duration_s=4, inputs=[("<uuid#2>", "reference")], credits_after=857, project_id=P),
}
# What each model key of the capture says (modelkeys grammar).
KEYS = {
    "abra_r2v_4s": dict(family="omni", kind="ingredients", duration_s=4, tier=None,
                        portrait=False),
    "veo_3_1_t2v_fast_portrait": dict(family="veo", kind="t2v", duration_s=None, tier="fast",
                                      portrait=True),
    "veo_3_1_r2v_fast_portrait": dict(family="veo", kind="ingredients", duration_s=None,
                                      tier="fast", portrait=True),
}


def sept(*fields: str) -> list:
    """(exchange, expected) of the September table having all `fields`, as parameters."""
    by_line = {e.line: e for e in EXCHANGES if e.file == SEPT_FILE}
    rows = [(by_line[i], exp) for i, exp in SEPT.items()
            if i in by_line and all(f in exp for f in fields)]
    if not rows:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"{SEPT_FILE}: {NO_WIRE}"))]
    return [pytest.param(e, exp, id=str(e)) for e, exp in rows]


def result_of(ex: Exchange) -> Any:
    """The decoded result of a real reply, read independently of `batchexecute`: the lines of
    the body are JSON chunks or length lines, and the `wrb.fr` row's third element is JSON."""
    for line in (ex.response_body or "").splitlines()[1:]:
        try:
            chunk = json.loads(line)
        except ValueError:
            continue
        for row in chunk if isinstance(chunk, list) else []:
            if isinstance(row, list) and row[:2] == ["wrb.fr", ex.rpc]:
                return json.loads(row[2])
    raise AssertionError(f"{ex}: no wrb.fr row")


# --- generic checks over every exchange of every file ---------------------------------------------
@needs_wire
@pytest.mark.parametrize("ex", every())
def test_every_exchange_reads_to_a_typed_value_without_raising(ex):
    reading = ex.reading()
    assert isinstance(reading, fw.Reading)
    assert isinstance(ex.facts(), fw.Facts)


@pytest.mark.parametrize("ex", every(DRIVER_KINDS))
def test_reply_result_returned_empty_for_every_real_reply(ex):
    """The old `reply_result` parsed `)]}'`-stripped text as ONE JSON document; a real reply is
    several chunks, so it gave `{}` for every one of these and the driver read nothing."""
    f = ex.facts()
    assert f.unreadable == [], f"{ex}: {f.unreadable}"
    assert not isinstance(ex.reading(), fw.Unreadable | fw.Other)
    if ex.kind == "upload":
        assert f.upload_id
    else:
        assert f.media_ids and f.states


@pytest.mark.parametrize("ex", every(("submit",)))
def test_every_submit_reply_names_its_new_media_as_r3_record_ids(ex):
    reading = ex.reading()
    assert isinstance(reading, fw.SubmitReply)
    r = result_of(ex)
    assert reading.media_ids, f"{ex}: a submit reply without media ids"
    assert reading.media_ids == [rec[0] for rec in r[3]]
    assert reading.media_ids == [i.media_id for i in reading.items]  # r[2][i][3][4]


@pytest.mark.parametrize("ex", every(("submit",)))
def test_every_submit_request_and_reply_share_the_client_request_id(ex):
    if ex.request_body is None:
        pytest.skip(f"{ex}: no request captured")
    req = fw.read_submit_request(ex.rpc, ex.payload)
    assert req.unreadable is None
    assert req.client_request_id
    assert req.client_request_id in [i.client_request_id for i in ex.reading().items]


@pytest.mark.parametrize("ex", every(("submit", "poll", "media")))
def test_every_record_of_a_known_family_parses(ex):
    reading = ex.reading()
    records = (reading.record,) if isinstance(reading, fw.MediaReply) else reading.records
    assert records
    for rec in records:
        key = modelkeys.parse(rec.model_key)
        if rec.model_key and rec.model_key.startswith(tuple(p for p, _ in modelkeys.FAMILIES)):
            assert key.family is not None, rec.model_key
        if key.family is not None:
            assert key.known, f"{rec.model_key}: family {key.family} but no kind"
            assert rec.duration_s, f"{ex}: a {key.family} record without its duration"


# --- the September capture, one test per fact kind --------------------------------------------------
def test_the_september_table_matches_the_capture_kinds():
    rows = [e for e in EXCHANGES if e.file == SEPT_FILE]
    if not rows:
        pytest.skip(f"{SEPT_FILE}: {NO_WIRE}")
    assert {e.line for e in rows if e.kind in DRIVER_KINDS} == set(SEPT)
    for e in rows:
        if e.line in SEPT:
            assert e.kind == SEPT[e.line]["kind"], e


@pytest.mark.parametrize(("ex", "exp"), sept("media_ids"))
def test_media_ids(ex, exp):
    f = ex.facts()
    assert f.media_ids == exp["media_ids"]
    if ex.kind == "submit":
        r = result_of(ex)
        assert f.media_ids == [rec[0] for rec in r[3]] == [it[3][4] for it in r[2]]


@pytest.mark.parametrize(("ex", "exp"), sept("states"))
def test_states(ex, exp):
    """submit → queued (6), poll → rendering (2) then done (3), media → done."""
    assert ex.facts().states == exp["states"]


def test_a_clip_is_polled_from_rendering_to_done():
    seen = [SEPT[i]["states"][0] for i in (10, 11)]
    assert seen == ["rendering", "done"]
    by_line = {e.line: e for e in EXCHANGES if e.file == SEPT_FILE}
    if not by_line:
        pytest.skip(f"{SEPT_FILE}: {NO_WIRE}")
    assert [by_line[i].facts().states[0] for i in (9, 10, 11, 12)] == [
        "queued", "rendering", "done", "done"]


@pytest.mark.parametrize(("ex", "exp"), sept("model_key"))
def test_model_keys(ex, exp):
    f = ex.facts()
    assert f.model_key == exp["model_key"]
    reading = ex.reading()
    records = (reading.record,) if isinstance(reading, fw.MediaReply) else reading.records
    r = result_of(ex)
    raw = [r] if ex.kind == "media" else r[3] if ex.kind == "submit" else r[2]
    for rec, rr in zip(records, raw, strict=True):
        assert rec.model_key == rr[5][6][1][0][0] == rr[7][0][12] == exp["model_key"]


@pytest.mark.parametrize(("ex", "exp"), sept("model_key"))
def test_families_and_kinds(ex, exp):
    f = ex.facts()
    want = KEYS[exp["model_key"]]
    assert f.family == want["family"]
    key = modelkeys.parse(f.model_key)
    assert (key.family, key.kind, key.duration_s, key.tier, key.portrait) == (
        want["family"], want["kind"], want["duration_s"], want["tier"], want["portrait"])
    assert key.unknown_tokens == () and not key.low_priority and key.resolution is None
    if "submit_kind" in exp:  # the rpc id says the same kind as the key
        assert fw.SUBMIT_KINDS[ex.rpc] == exp["submit_kind"] == key.kind


@pytest.mark.parametrize(("ex", "exp"), sept("duration_s"))
def test_durations(ex, exp):
    """R[7][1][2][0]: 4 for abra_r2v_4s, 8 for the Veo keys (whose key says no duration)."""
    assert ex.facts().duration_s == exp["duration_s"]


@pytest.mark.parametrize(("ex", "exp"), sept("inputs"))
def test_inputs_with_roles(ex, exp):
    """R[5][6][1][1]: `[null, 4, media id]` is a reference image; t2v has none."""
    got = [(i["media_id"], i["role"]) for i in ex.facts().inputs]
    assert got == exp["inputs"]


@pytest.mark.parametrize(("ex", "exp"), sept("upload_id"))
def test_upload_ids_and_file_names(ex, exp):
    f = ex.facts()
    assert (f.upload_id, f.file_name, f.mime, f.project_id) == (
        exp["upload_id"], exp["file_name"], exp["mime"], exp["project_id"])
    assert fw.upload_file_name(ex.payload) == exp["file_name"]
    assert f.size_bytes and f.size_bytes > 0


@needs_wire
def test_video_url_only_in_the_media_reply():
    for ex in EXCHANGES:
        f = ex.facts()
        if ex.rpc == fw.MEDIA:
            assert f.video_url and f.video_url.startswith("https://flow-content.google/video/")
            assert f.video_url.startswith(f"https://flow-content.google/video/{f.media_ids[0]}?")
            assert f.poster_url and f.poster_url.startswith(
                f"https://flow-content.google/image/{f.media_ids[0]}?")
            assert f.size_bytes and f.size_bytes > 0
        else:
            assert f.video_url is None, ex
    by_line = {e.line: e for e in EXCHANGES if e.file == SEPT_FILE}
    for i, exp in SEPT.items():
        if i in by_line and "video_url" in exp:
            assert by_line[i].facts().video_url.startswith(exp["video_url"])


@pytest.mark.parametrize(("ex", "exp"), sept("credits_after"))
def test_credit_balances_after_the_charge(ex, exp):
    """Submit r[1] (904, 884, 864, 857); a poll's r[1] repeats it, or is null (the first one)."""
    assert ex.facts().credits_after == exp["credits_after"]


def test_submit_credits_fall_with_each_charge():
    rows = [e for e in EXCHANGES if e.file == SEPT_FILE and e.kind == "submit"]
    if not rows:
        pytest.skip(f"{SEPT_FILE}: {NO_WIRE}")
    assert [e.facts().credits_after for e in rows] == [904, 884, 864, 857]


@pytest.mark.parametrize(("ex", "exp"), sept("project_id"))
def test_project_ids(ex, exp):
    f = ex.facts()
    assert f.project_id == exp["project_id"]
    if ex.kind == "submit":
        assert fw.read_submit_request(ex.rpc, ex.payload).project_id == exp["project_id"]


@pytest.mark.parametrize(("ex", "exp"), sept("client_request_id"))
def test_client_request_ids(ex, exp):
    """The submit request's `[2][0]` is the reply item's client request id (r[2][i][3][5])."""
    assert ex.payload[2][0] == exp["client_request_id"]
    assert ex.facts().client_request_id == exp["client_request_id"]
    assert [i.client_request_id for i in ex.reading().items] == [exp["client_request_id"]]


@pytest.mark.parametrize(("ex", "exp"), sept("prompt"))
def test_submit_request_proof(ex, exp):
    """What the page asked Flow to bill: kind by rpc id, model key, refs, count, prompt."""
    req = fw.read_submit_request(ex.rpc, ex.payload)
    assert req.unreadable is None
    assert (req.rpc, req.kind, req.model_key, req.count) == (
        exp["rpc"], exp["submit_kind"], exp["model_key"], 1)
    assert req.frame_media_ids == list(exp["refs"])
    assert req.prompts == (exp["prompt"],)
    assert req.client_request_id == exp["client_request_id"]
    # The record Flow answers with says the same prompt (R[5][1]).
    assert ex.reading().records[0].prompt == exp["prompt"]


# --- tolerance on mutated real bytes ------------------------------------------------------------------
def reframe(ex: Exchange, mutate_result=None, mutate_chunk=None) -> str:
    """The real reply with its `wrb.fr` result (and/or every chunk) rewritten; length lines are
    kept as they were (the reader must not trust them)."""
    out = []
    for line in (ex.response_body or "").split("\n"):
        try:
            chunk = json.loads(line)
        except ValueError:
            out.append(line)
            continue
        if not isinstance(chunk, list):
            out.append(line)
            continue
        for row in chunk:
            if (mutate_result and isinstance(row, list) and row[:2] == ["wrb.fr", ex.rpc]
                    and isinstance(row[2], str)):
                row[2] = json.dumps(mutate_result(json.loads(row[2])), ensure_ascii=False)
        if mutate_chunk:
            chunk = mutate_chunk(chunk)
        out.append(json.dumps(chunk, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out)


def records_of(ex: Exchange, r: Any) -> list:
    if ex.kind == "media":
        return [r]
    return r[3] if ex.kind == "submit" else r[2] if ex.kind == "poll" else []


def comparable(f: fw.Facts) -> dict:
    return f.as_dict()


@pytest.mark.parametrize("ex", every(("submit", "poll", "media")))
def test_october_record_with_a_null_marker_reads_the_same(ex):
    """R[3] was "CAE" in September and is null since October: never a thing to test."""
    def october(r):
        r = copy.deepcopy(r)
        for rec in records_of(ex, r):
            assert rec[3] == "CAE"
            rec[3] = None
        return r

    assert comparable(ex.facts(reframe(ex, october))) == comparable(ex.facts())


KNOWN_LENGTH = 16  # past every position any reader table names (RECORD's R[5][13] is the last)


def extend_everywhere(value: Any, filler: Any) -> Any:
    """Every array of `value` with more trailing positions. A null is appended as is; any other
    filler comes after the positions a record is known to have (a short record drops its empty
    trailing positions, so appending right after them would fill a known one, like R[5][10])."""
    if isinstance(value, list):
        pad = [] if filler is None else [None] * max(0, KNOWN_LENGTH - len(value))
        return [extend_everywhere(v, filler) for v in value] + pad + [filler]
    return value


@pytest.mark.parametrize("filler", [None, 0, "extra"])
@pytest.mark.parametrize("ex", every())
def test_extra_trailing_positions_everywhere_read_the_same(ex, filler):
    """A new build appends positions: in the result, in the rows, in the chunks."""
    text = reframe(ex, lambda r: extend_everywhere(r, filler),
                   lambda c: extend_everywhere(c, filler))
    assert comparable(ex.facts(text)) == comparable(ex.facts())
    if ex.kind == "submit":
        payload = extend_everywhere(ex.payload, filler)
        assert fw.read_submit_request(ex.rpc, payload) == fw.read_submit_request(ex.rpc, ex.payload)


def drop_last_everywhere(value: Any) -> Any:
    if isinstance(value, list):
        return [drop_last_everywhere(v) for v in value[:-1]]
    return value


@pytest.mark.parametrize("ex", every(DRIVER_KINDS))
def test_dropped_trailing_positions_read_none_not_an_exception(ex):
    r = result_of(ex)
    # One record cut at every length: what lies beyond the cut reads None.
    for rec in records_of(ex, r):
        for k in range(len(rec) + 1):
            got = fw.record(rec[:k])
            if k <= fw.RECORD["prompt"][0]:
                # Without its details array R[5] an array is not read as a clip (a workflow
                # item or a moved position would otherwise give one with a wrong id).
                assert got is None
                continue
            for name, path in fw.RECORD.items():
                if path[0] >= k and name in ("project_id", "item_id", "duration_s",
                                             "video_url", "size_bytes", "poster_url"):
                    assert getattr(got, name) is None, (k, name)
            if k <= 5:
                assert (got.state, got.model_key, got.inputs) == ("unknown", None, ())
    # The whole result losing its last position everywhere, again and again: never raises.
    while isinstance(r, list) and r:
        r = drop_last_everywhere(r)
        reading = ex.reading(reframe(ex, lambda _old, r=r: r))
        assert isinstance(reading, fw.Reading)
        fw.facts(ex.rpc, ex.payload, reading)
    payload = ex.payload
    while isinstance(payload, list) and payload:
        payload = drop_last_everywhere(payload)
        fw.facts(ex.rpc, payload, ex.reading())
        if ex.kind == "submit":
            assert isinstance(fw.read_submit_request(ex.rpc, payload), fw.SubmitRequest)


# --- bytes that are not a readable reply: Unreadable, never an exception -------------------------------
def _submit() -> Exchange | None:
    return next((e for e in EXCHANGES if e.kind == "submit"), None)


@needs_wire
def test_a_truncated_real_reply_is_unreadable():
    ex = _submit()
    body = ex.response_body
    start = body.index("[[")  # the first chunk
    end = body.index("\n", start)
    for cut in list(range(start, end, max(1, (end - start) // 40))) + [end - 1]:
        got = ex.reading(body[:cut])
        assert isinstance(got, fw.Unreadable), (cut, got)
        assert ex.facts(body[:cut]).unreadable


def _framed(row_text: str) -> str:
    return f")]}}'\n\n{len(row_text)}\n{row_text}\n25\n[[\"e\",4,null,null,1]]\n"


NOT_REPLIES = {
    "only the prefix": ")]}'",
    "the prefix and blank lines": ")]}'\n\n",
    "a length line and nothing": ")]}'\n\n990\n",
    "bare JSON object": '{"error": {"code": 401, "message": "Unauthorized"}}',
    "bare JSON result, unframed": '[null,904,[["<uuid#29>"]],[["<uuid#30>","<uuid#1>"]]]',
    "binary garbage": bytes(range(256)) * 64,
    "garbage text": "\x00\x01ÿþ<html>503</html>\n\n" * 50,
    "empty": "",
    "200-deep chunk": ")]}'\n\n" + "[" * 200 + "]" * 200 + "\n",
    "200-deep result": _framed(json.dumps([["wrb.fr", "YhhmEf", "[" * 200 + "]" * 200, None,
                                            None, None, "generic"]])),
    "result that is not JSON": _framed('[["wrb.fr","YhhmEf","[null,904,",null,null,null,"generic"]]'),
    "answer without a result": _framed('[["wrb.fr","YhhmEf",null,null,null,null,"generic"]]'),
}


@pytest.mark.parametrize("text", NOT_REPLIES.values(), ids=NOT_REPLIES.keys())
@pytest.mark.parametrize("rpc", ["YhhmEf", fw.POLL, fw.UPLOAD, fw.MEDIA])
def test_what_is_not_a_reply_is_unreadable(rpc, text):
    got = fw.read_reply(rpc, text)
    assert isinstance(got, fw.Unreadable), got
    assert got.why and len(got.raw) <= bx.RAW_KEEP + 40
    assert fw.facts(rpc, None, got).unreadable


def test_a_70_mb_reply_is_unreadable_not_read():
    text = ")]}'\n\n" + '[["wrb.fr","jwpduf","' + "x" * (70 * 1024 * 1024) + '"]]\n'
    got = fw.read_reply(fw.POLL, text)
    assert isinstance(got, fw.Unreadable) and "larger" in got.why
    assert len(got.raw) <= bx.RAW_KEEP + 40


def test_reply_result_raised_recursion_error_on_deep_json():
    """The old reader caught ValueError/IndexError/TypeError: a 100 000-deep array raised
    RecursionError through it (and through the page's response handler)."""
    deep = "[" * 100_000 + "]" * 100_000
    for text in (")]}'\n\n" + deep, deep,
                 _framed(json.dumps([["wrb.fr", "YhhmEf", deep, None, None, None, "generic"]]))):
        assert isinstance(fw.read_reply("YhhmEf", text), fw.Unreadable)
    assert bx.parse_request("f.req=" + deep) == []


# --- refusals ---------------------------------------------------------------------------------------
ACCESS_DENIED = ('["wrb.fr","YhhmEf",null,null,null,[7,null,[["PUBLIC_ERROR_MODEL_ACCESS_DENIED",'
                 '"The model is not available on your plan"]]],"generic"]')


@pytest.mark.parametrize("framing", ["chunked", "bare"])
def test_reply_result_read_a_refusal_as_an_empty_answer(framing):
    """`[7, …, PUBLIC_ERROR_MODEL_ACCESS_DENIED]` in the status position is a refusal: the old
    reader returned `{}` (row[2] is null), as if Flow had answered with nothing."""
    text = _framed(f"[{ACCESS_DENIED}]") if framing == "chunked" else f"[{ACCESS_DENIED}]"
    got = fw.read_reply("YhhmEf", text)
    assert isinstance(got, fw.Refusal)
    assert (got.status, got.reason) == (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED")
    f = fw.facts("YhhmEf", None, got)
    assert f.refusal["status"] == 7 and f.unreadable == [] and f.media_ids == []


def test_an_unknown_model_key_is_refused_with_status_5():
    got = fw.read_reply("YhhmEf", _framed('[["wrb.fr","YhhmEf",null,null,null,[5],"generic"]]'))
    assert isinstance(got, fw.Refusal)
    assert (got.status, got.reason) == (5, None)


@needs_wire
def test_a_refusal_keeps_the_rows_of_a_real_reply():
    """The status row in place of the answer row of a real submit reply."""
    ex = _submit()
    text = reframe(ex, mutate_chunk=lambda c: [
        ["wrb.fr", ex.rpc, None, None, None, [5], "generic"] if r[:1] == ["wrb.fr"] else r
        for r in c])
    got = ex.reading(text)
    assert isinstance(got, fw.Refusal) and got.status == 5
