"""`flowbot flow wire FILE`: captured exchanges (JSON lines or a HAR file) read as the driver reads
them, in-process through `bot.cli.main`, on the real capture in `../shared/flow_wire/`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.cli import main
from bot.pipeline.flow import wirecapture

WIRE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "flow_wire"
REAL = WIRE_DIR / "exchanges-2026-09-25.jsonl"
needs_real = pytest.mark.skipif(not REAL.is_file(), reason=f"no real capture at {REAL}")

AT_TOKEN = "AJpMySecretAtToken-4f2b9c:1790316412687"
COOKIE = "g.a000SecretCookieValue-9d8e7f6a5b4c3d2e1f"
STABLE = ("rpc", "kind", "media_ids", "states", "model_key", "family", "duration_s", "inputs",
          "upload_id", "video_url", "credits_after", "project_id", "client_request_id", "refusal",
          "unreadable", "file_name", "mime", "poster_url", "size_bytes")


def wire(tmp_path: Path, *args: str) -> int:
    return main(["--env-file", str(tmp_path / "none.env"), "flow", "wire", *args])


def real_lines() -> list[dict]:
    return [json.loads(line) for line in REAL.read_text(encoding="utf-8").splitlines() if line]


def json_rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _framed(row: str) -> str:
    return f")]}}'\n\n{len(row)}\n{row}\n25\n[[\"e\",4,null,null,1]]\n"


@needs_real
def test_the_real_capture_reads_every_fact(tmp_path, capsys):
    assert wire(tmp_path, str(REAL)) == 0
    out = capsys.readouterr().out
    for fact in ("<uuid#30>", "<uuid#35>", "<uuid#40>", "<uuid#45>", "abra_r2v_4s",
                 "veo_3_1_t2v_fast_portrait", "veo_3_1_r2v_fast_portrait", "king.jpg",
                 "image.png", "<uuid#2> (reference)", "<uuid#28>", "rendering", "queued", "904",
                 "884", "864", "857", "https://flow-content.google/video/<uuid#30>"):
        assert fact in out, fact
    assert "submit (ingredients)" in out and "submit (t2v)" in out
    assert "NOT READ" not in out and "UNREADABLE" not in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("summary: 18 exchanges read")
    assert "submit 35/35" in summary and "poll 28/28" in summary and "upload 8/8" in summary
    assert "media 10/10" in summary and "(100.0%)" in summary and "unreadable: 0" in summary
    assert "Signature=" not in out  # signed URLs lose their query in the readable output


@needs_real
def test_json_output_has_one_object_per_exchange_under_stable_names(tmp_path, capsys):
    assert wire(tmp_path, str(REAL), "--json") == 0
    captured = capsys.readouterr()
    rows = json_rows(captured.out)
    assert len(rows) == 18
    for row in rows:
        assert set(STABLE) <= set(row), set(STABLE) - set(row)
        assert row["unreadable"] == [] and row["not_read"] == []
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    assert [r["credits_after"] for r in by_kind["submit"]] == [904, 884, 864, 857]
    assert [r["media_ids"] for r in by_kind["submit"]] == [["<uuid#30>"], ["<uuid#35>"],
                                                          ["<uuid#40>"], ["<uuid#45>"]]
    assert [r["client_request_id"] for r in by_kind["submit"]] == [
        "<uuid#28>", "<uuid#33>", "<uuid#38>", "<uuid#43>"]
    assert [r["duration_s"] for r in by_kind["submit"]] == [4, 8, 8, 4]
    assert [r["family"] for r in by_kind["submit"]] == ["omni", "veo", "veo", "omni"]
    assert [r["states"] for r in by_kind["poll"]] == [["rendering"], ["done"], ["done"], ["done"]]
    assert by_kind["poll"][0]["credits_after"] is None
    assert [(r["upload_id"], r["file_name"]) for r in by_kind["upload"]] == [
        ("<uuid#2>", "king.jpg"), ("<uuid#3>", "image.png")]
    [media] = by_kind["media"]
    assert media["video_url"].startswith("https://flow-content.google/video/<uuid#30>?")
    assert all(r["video_url"] is None for r in rows if r["kind"] != "media")
    assert by_kind["submit"][0]["inputs"] == [{"media_id": "<uuid#2>", "role": "reference"}]
    # The summary goes to stderr: stdout is JSON lines only.
    assert "summary: 18 exchanges read" in captured.err


# --- HAR files -------------------------------------------------------------------------------------
def har_of(lines: list[dict], base64_replies: bool, params_body: bool = False) -> dict:
    """A HAR as Chrome writes it, with the real exchanges, the session's cookies and headers,
    the `at` token in each body, and a few entries that are not batchexecute calls."""
    entries = [{
        "request": {"method": "GET", "url": "https://flow.google.com/project/x",
                    "headers": [{"name": "Cookie", "value": f"SID={COOKIE}"}]},
        "response": {"status": 200, "content": {"mimeType": "text/html", "text": "<html>"}},
    }]
    for d in lines:
        body = d.get("request_body") or ""
        body = body.replace("&at=<at>&", f"&at={quote(AT_TOKEN, safe='')}&")
        url = (f"https://flow.google.com/_/AiSandboxAngularFrontend/data/batchexecute?"
               f"rpcids={d['rpc']}&source-path=%2Fproject%2Fx&bl=boq_labs&f.sid=-123&hl=ko"
               f"&_reqid=4321&rt=c")
        if params_body:
            freq = body[len("f.req="):body.rindex("&at=")]
            post = {"mimeType": "application/x-www-form-urlencoded;charset=UTF-8",
                    "params": [{"name": "f.req", "value": quote(freq, safe="")},
                               {"name": "at", "value": quote(AT_TOKEN, safe="")}]}
        else:
            post = {"mimeType": "application/x-www-form-urlencoded;charset=UTF-8", "text": body}
        reply = d["response_body"]
        content = {"size": len(reply), "mimeType": "application/json; charset=utf-8"}
        if base64_replies:
            content.update(text=base64.b64encode(reply.encode()).decode(), encoding="base64")
        else:
            content["text"] = reply
        entries.append({
            "startedDateTime": "2026-09-25T10:00:00.000Z",
            "request": {"method": "POST", "url": url, "postData": post,
                        "headers": [{"name": "Cookie", "value": f"SID={COOKIE}; HSID={COOKIE}"},
                                    {"name": "X-Same-Domain", "value": "1"}],
                        "cookies": [{"name": "SID", "value": COOKIE}],
                        "queryString": [{"name": "rpcids", "value": d["rpc"]}]},
            "response": {"status": d["status"], "content": content,
                         "headers": [{"name": "Set-Cookie", "value": f"NID={COOKIE}"}],
                         "cookies": [{"name": "NID", "value": COOKIE}]},
        })
        entries.append({"request": {"method": "POST",
                                    "url": "https://play.google.com/log?format=json",
                                    "postData": {"text": f"[{COOKIE!r}]"}},
                        "response": {"status": 200, "content": {"text": "[]"}}})
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": entries}}


def _without_where(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "where"} for r in rows]


@needs_real
@pytest.mark.parametrize("form", ["plain", "base64", "params", "pretty"])
def test_a_har_export_reads_the_same_facts_as_the_capture(tmp_path, capsys, form):
    har = har_of(real_lines(), base64_replies=form == "base64", params_body=form == "params")
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har, indent=2 if form == "pretty" else None))
    assert wire(tmp_path, str(path), "--json") == 0
    from_har = capsys.readouterr()
    assert wire(tmp_path, str(REAL), "--json") == 0
    from_jsonl = capsys.readouterr()
    assert _without_where(json_rows(from_har.out)) == _without_where(json_rows(from_jsonl.out))
    assert "(har)" in from_har.err
    # and the readable form, once more: never the at token, never a cookie
    assert wire(tmp_path, str(path)) == 0
    readable = capsys.readouterr()
    for text in (from_har.out, from_har.err, readable.out, readable.err):
        assert AT_TOKEN not in text and quote(AT_TOKEN, safe="") not in text
        assert COOKIE not in text and "SID" not in text
    assert "<uuid#30>" in readable.out and "(100.0%)" in readable.out


@needs_real
def test_a_har_saved_without_content_is_unreadable(tmp_path, capsys):
    har = har_of(real_lines(), base64_replies=False)
    for entry in har["log"]["entries"]:
        if "rpcids=MZZa6b" in entry["request"]["url"]:
            del entry["response"]["content"]["text"]
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    assert wire(tmp_path, str(path)) == 1
    out = capsys.readouterr().out
    assert "save it 'with content'" in out
    assert "UNREADABLE" in out and "unreadable: 3" in out.splitlines()[-1]


# --- what cannot be read ---------------------------------------------------------------------------
SUBMIT_BODY = ('f.req=[[["YhhmEf","[[[[null,null,[[[\\"a cat\\"]]]],\\"veo_3_1_t2v_fast_portrait\\",'
               '1]],[null,22,null,null,null,\\"p1\\"],[\\"c1\\",2]]",null,"generic"]]]&at=<at>&')


def _line(rpc: str, response: str, request: str | None = None, status: int = 200) -> str:
    d = {"rpc": rpc, "query": {"rpcids": rpc}, "status": status, "elapsed_ms": 10,
         "response_body": response}
    if request is not None:
        d["request_body"] = request
    return json.dumps(d)


@needs_real
def test_an_unreadable_submit_exits_1_and_says_what_it_could_not_read(tmp_path, capsys):
    lines = REAL.read_text(encoding="utf-8").splitlines()
    sub = json.loads(lines[13])  # the YhhmEf submit, its reply cut mid-chunk
    sub["response_body"] = sub["response_body"][:400]
    lines[13] = json.dumps(sub)
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert wire(tmp_path, str(path)) == 1
    out = capsys.readouterr().out
    block = out.split("#14 ")[1].split("\n#15 ")[0]
    assert "UNREADABLE" in block and "reply:" in block
    assert "NOT READ" in block and "media_ids" in block
    # what the request said is still read
    assert "veo_3_1_t2v_fast_portrait" in block and "<uuid#33>" in block
    assert "unreadable: 1 (YhhmEf (line 14))" in out.splitlines()[-1]
    assert wire(tmp_path, str(path), "--json") == 1
    rows = json_rows(capsys.readouterr().out)
    assert rows[13]["unreadable"] and "media_ids" in rows[13]["not_read"]


def test_an_unreadable_request_is_a_failure_too(tmp_path, capsys):
    ok = _framed('[["wrb.fr","jwpduf","[null,null,[]]",null,null,null,"generic"]]')
    path = tmp_path / "x.jsonl"
    path.write_text(_line("jwpduf", ok, request="f.req=[[[\"jwpduf\",\"[null,\",null]]]&") + "\n")
    assert wire(tmp_path, str(path)) == 1
    assert "request:" in capsys.readouterr().out


def test_a_line_without_request_body_and_a_bad_line_are_not_fatal(tmp_path, capsys):
    reply = _framed('[["wrb.fr","YhhmEf","[null,1000,[[\\"i1\\",null,null,[\\"t\\",null,null,'
                    'null,\\"m1\\",\\"c1\\"],\\"p1\\"]],[[\\"m1\\",\\"p1\\",\\"i1\\",null,null,'
                    '[null,\\"a cat\\",null,null,null,null,[null,[[\\"veo_3_1_t2v_fast\\"]]],'
                    'null,[6]],null,[[],[null,null,[8]]]]]]",null,null,null,"generic"]]')
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join([
        "this is not json",
        _line("YhhmEf", reply),  # no request_body
        "",
        _line("YhhmEf", reply, request=SUBMIT_BODY),
    ]) + "\n")
    assert wire(tmp_path, str(path)) == 0
    out = capsys.readouterr().out
    assert "line 1: not a JSON object, skipped" in out
    assert "request        not captured" in out
    assert out.count("media ids      m1") == 2
    assert "client request c1" in out
    assert "1 problem(s) in the file" in out.splitlines()[-1]


def test_a_bad_line_that_names_a_submit_counts_as_unreadable(tmp_path, capsys):
    path = tmp_path / "x.jsonl"
    path.write_text('{"rpc": "MZZa6b", "status": 200, "response_body": ")]}\'\\n\\n12\n'
                    + _line("JJH6Ub", _framed('[["wrb.fr","JJH6Ub","[]"]]')) + "\n")
    assert wire(tmp_path, str(path)) == 1
    assert "unreadable: 1 (MZZa6b)" in capsys.readouterr().out


def test_a_refused_submit_is_read_not_a_failure(tmp_path, capsys):
    row = ('[["wrb.fr","YhhmEf",null,null,null,[7,null,[["PUBLIC_ERROR_MODEL_ACCESS_DENIED",'
           '"not on your plan"]]],"generic"]]')
    path = tmp_path / "x.jsonl"
    path.write_text(_line("YhhmEf", _framed(row), request=SUBMIT_BODY) + "\n")
    assert wire(tmp_path, str(path)) == 0
    out = capsys.readouterr().out
    assert "refused        status 7 PUBLIC_ERROR_MODEL_ACCESS_DENIED" in out
    assert wire(tmp_path, str(path), "--json") == 0
    [row] = json_rows(capsys.readouterr().out)
    assert row["refusal"]["status"] == 7 and row["not_read"] == []


@pytest.mark.parametrize("content", [None, b"", b"\x89PNG\r\n\x1a\n\x00\x00binary", b"[1, 2]\n",
                                     b'{"log": {"entries": 5}}'])
def test_a_file_it_cannot_read_exits_2(tmp_path, capsys, content):
    path = tmp_path / "capture.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert wire(tmp_path, str(path)) == 2
    assert "flow wire:" in capsys.readouterr().err


def test_a_directory_exits_2(tmp_path, capsys):
    assert wire(tmp_path, str(tmp_path)) == 2
    assert "not a file" in capsys.readouterr().err


def test_a_file_over_the_bound_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(wirecapture, "MAX_FILE", 1000)
    path = tmp_path / "big.jsonl"
    path.write_text("x" * 2000)
    assert wire(tmp_path, str(path)) == 2
    assert "larger than" in capsys.readouterr().err


def test_a_line_over_the_bound_is_skipped_and_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(wirecapture, "MAX_LINE", 4096)
    ok = _line("JJH6Ub", _framed('[["wrb.fr","JJH6Ub","[]"]]'))
    path = tmp_path / "x.jsonl"
    path.write_text(ok + "\n" + _line("jwpduf", "x" * 20_000) + "\n" + ok + "\n")
    assert wire(tmp_path, str(path)) == 0
    out = capsys.readouterr().out
    assert "line 2: longer than" in out
    assert "summary: 2 exchanges read" in out.splitlines()[-1]
