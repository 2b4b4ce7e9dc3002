"""`flowbot flow wire FILE [--json]`: read captured Flow exchanges the way the driver reads them.

FILE is JSON lines (as in `../shared/flow_wire/`) or a HAR file exported from the browser's dev
tools (`bot/pipeline/flow/wirecapture.py`). For each batchexecute exchange it prints the rpc id,
its kind and the facts the driver reads (`facts()` of `ui/flow2026/wire.py`), and what it
expected but could not read; `--json` prints one JSON object per exchange instead (the facts
under their stable names, plus `where`, `http_status`, `expected` and `not_read`), the summary
going to stderr.

Exit codes: 0 everything the driver needs was read; 1 some submit, poll, upload or media exchange
could not be read (its reply or request is unreadable: Flow changed, update
`ui/flow2026/wire.py`'s positions); 2 the file cannot be opened or holds no exchange at all.

Nothing secret is printed: request bodies (the `at` token) and HAR headers and cookies are never
shown, and signed URLs lose their query string in the readable output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DRIVER_KINDS = ("submit", "poll", "upload", "media")
# The facts each kind of exchange carries (`../shared/flow_wire/README.md`); "inputs" only where
# the clip has input media (not text-to-video). A poll's credit balance can be null: not counted.
EXPECTED: dict[str, tuple[str, ...]] = {
    "submit": ("media_ids", "states", "model_key", "family", "duration_s", "inputs",
               "credits_after", "project_id", "client_request_id"),
    "poll": ("media_ids", "states", "model_key", "family", "duration_s", "inputs", "project_id"),
    "upload": ("upload_id", "project_id", "file_name", "mime"),
    "media": ("media_ids", "states", "model_key", "family", "duration_s", "inputs", "video_url",
              "poster_url", "size_bytes", "project_id"),
}
LABELS = {
    "media_ids": "media ids", "states": "states", "model_key": "model key", "family": "family",
    "duration_s": "duration", "inputs": "inputs", "upload_id": "upload id",
    "file_name": "file name", "mime": "mime", "video_url": "video url", "poster_url": "poster url",
    "size_bytes": "size", "credits_after": "credits after", "project_id": "project",
    "client_request_id": "client request",
}


def register(flow_sub: argparse._SubParsersAction) -> None:
    w = flow_sub.add_parser("wire", help="read captured batchexecute exchanges (JSON lines or a "
                                         "HAR file) the way the driver does; spends nothing")
    w.add_argument("file", type=Path, help="a .jsonl capture or a .har file from the dev tools")
    w.add_argument("--json", action="store_true", help="one JSON object per exchange")
    w.set_defaults(func=run_wire_cmd)


def run_wire_cmd(args: argparse.Namespace) -> int:
    return wire_report(args.file, as_json=args.json)


def read_exchange(ex) -> dict[str, Any]:
    """The facts of one captured exchange as a dict (stable names), with `where`,
    `http_status`, `expected` and `not_read`."""
    from bot.pipeline.flow import batchexecute as bx
    from bot.pipeline.flow import modelkeys
    from bot.pipeline.flow.ui.flow2026 import wire as fw

    calls = bx.parse_request(ex.request_body)
    call = next((c for c in calls if c.rpc == ex.rpc), None)
    payload = call.payload if call is not None else None
    status = 200 if ex.status in (None, 0) else ex.status  # 0/None: no reply was captured
    reading = fw.read_reply(ex.rpc, ex.response_body, status)
    f = fw.facts(ex.rpc, payload, reading)
    if ex.request_body is not None:
        if call is None:
            f.unreadable.append("request: not a batchexecute body naming this rpc")
        elif call.unreadable:
            f.unreadable.append(f"request: {call.unreadable}")
    out = {**f.as_dict(), "where": ex.where, "http_status": ex.status}
    if f.kind == "submit":
        out["submit_kind"] = fw.SUBMIT_KINDS.get(ex.rpc)
        out["request_captured"] = ex.request_body is not None
    expected: list[str] = []
    if f.refusal is not None:
        expected = ["refusal"]
    elif f.kind in EXPECTED:
        expected = list(EXPECTED[f.kind])
        if "inputs" in expected and _text_only(ex.rpc, f.model_key, modelkeys):
            expected.remove("inputs")
    out["expected"] = expected
    out["not_read"] = [name for name in expected if _empty(out.get(name))]
    return out


def _text_only(rpc: str, model_key: str | None, modelkeys) -> bool:
    if rpc == "YhhmEf":
        return True
    return modelkeys.parse(model_key).kind == "t2v"


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def wire_report(path: Path, as_json: bool = False) -> int:
    from bot.pipeline.flow import wirecapture

    try:
        cap = wirecapture.load(path)
    except wirecapture.CaptureError as err:
        print(f"flow wire: {err}", file=sys.stderr)
        return 2
    err_out = sys.stderr if as_json else sys.stdout
    for problem in cap.problems:
        print(f"flow wire: {problem}", file=err_out)
    if not cap.exchanges:
        print(f"flow wire: no batchexecute exchange in {path}", file=sys.stderr)
        return 2
    totals: dict[str, list[int]] = {}
    failed = list(cap.lost_rpcs)
    for n, ex in enumerate(cap.exchanges, 1):
        row = read_exchange(ex)
        kind = row["kind"]
        if kind in DRIVER_KINDS and row["unreadable"]:
            failed.append(f"{ex.rpc} ({ex.where})")
        t = totals.setdefault(kind, [0, 0])
        t[0] += len(row["expected"]) - len(row["not_read"])
        t[1] += len(row["expected"])
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(_block(n, row))
    print(_summary(path, cap, totals, failed), file=err_out)
    return 1 if failed else 0


def _block(n: int, row: dict[str, Any]) -> str:
    kind = row["kind"] + (f" ({row['submit_kind']})" if row.get("submit_kind") else "")
    status = row["http_status"]
    head = f"#{n} {row['rpc']}  {kind}  HTTP {status if status is not None else '?'}  ({row['where']})"
    lines = [head]
    for name, label in LABELS.items():
        value = row.get(name)
        if _empty(value):
            continue
        lines.append(f"    {label:<15}{_show(name, value, row)}")
    if row.get("credits_after") is None and row["kind"] == "poll" and row["refusal"] is None:
        lines.append(f"    {'credits after':<15}(null in this reply)")
    if row.get("submit_kind") and not row.get("request_captured"):
        lines.append(f"    {'request':<15}not captured")
    if row["refusal"] is not None:
        r = row["refusal"]
        text = f"status {r['status']}" if r["status"] is not None else f"HTTP {r['http_status']}"
        if r["reason"]:
            text += f" {r['reason']}"
        if r["message"]:
            text += f": {r['message'][:200]}"
        lines.append(f"    {'refused':<15}{text}")
    if row["not_read"]:
        lines.append(f"    {'NOT READ':<15}{', '.join(row['not_read'])}")
    for why in row["unreadable"]:
        lines.append(f"    {'UNREADABLE':<15}{why}")
    if row["kind"] not in DRIVER_KINDS and row["kind"] != "listing" and len(lines) == 1:
        lines.append("    (not read by the driver)")
    return "\n".join(lines)


def _show(name: str, value: Any, row: dict[str, Any]) -> str:
    if name in ("video_url", "poster_url"):
        base, sep, _query = str(value).partition("?")
        return base + ("?… (signed; query hidden)" if sep else "")
    if name == "inputs":
        return ", ".join(f"{i['media_id']} ({i['role']})" for i in value)
    if name in ("media_ids", "states"):
        return ", ".join(str(v) for v in value)
    if name == "duration_s":
        return f"{value} s"
    if name == "size_bytes":
        return f"{value} bytes"
    if name == "model_key":
        from bot.pipeline.flow import modelkeys

        key = modelkeys.parse(value)
        said = [x for x in (key.kind, key.tier, f"{key.duration_s} s" if key.duration_s else None,
                            key.resolution, "portrait" if key.portrait else None,
                            "low priority" if key.low_priority else None) if x]
        if key.unknown_tokens:
            said.append("unknown tokens: " + " ".join(key.unknown_tokens))
        return f"{value}  ({', '.join(said) or 'unknown key'})"
    return str(value)


def _summary(path: Path, cap, totals: dict[str, list[int]], failed: list[str]) -> str:
    read = sum(t[0] for k, t in totals.items() if k in DRIVER_KINDS)
    expected = sum(t[1] for k, t in totals.items() if k in DRIVER_KINDS)
    per_kind = ", ".join(f"{k} {totals[k][0]}/{totals[k][1]}" for k in DRIVER_KINDS if k in totals)
    ratio = f" ({100 * read / expected:.1f}%)" if expected else ""
    text = (f"summary: {len(cap.exchanges)} exchanges read from {path.name} ({cap.format}); facts read/expected: "
            f"{per_kind or 'none'}{ratio}")
    if cap.problems:
        text += f"; {len(cap.problems)} problem(s) in the file"
    text += f"; unreadable: {len(failed)}" + (f" ({', '.join(failed[:10])})" if failed else "")
    return text
