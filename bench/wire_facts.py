"""How many of the facts Flow's real wire carries does `flowbot flow wire` read?

Run by hand: `.venv/bin/python bench/wire_facts.py [FILE ...]` (default: every
`../shared/flow_wire/*.jsonl`; a HAR export works too). For every submit, poll, upload and media
exchange it counts the facts the exchange CARRIES, found at the positions that
`../shared/flow_wire/README.md` describes, by a small decoder of its own (not the reader's position
tables, so a wrong table shows up here as a miss):

* submit: media ids, state, model key, duration, inputs (when the clip has any), credits after,
  project id, client request id;
* poll: media ids, states, model key, duration, credits (where not null);
* upload: upload id, project id, file name, MIME type;
* media: media id, state, video URL, poster URL, model key, duration, size;

and how many of them the reader got right (`bot.cli.flow_wire.read_exchange`, what
`flowbot flow wire` prints). It prints the ratio per kind and overall, and every fact it could not
read and why (absent in the reading, or a different value). Exit 0 when the ratio is at least
95% (the issue's bar), 1 below it, 2 when no file could be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import json  # noqa: E402
from typing import Any  # noqa: E402

from bot.cli.flow_wire import read_exchange  # noqa: E402
from bot.pipeline.flow import wirecapture  # noqa: E402

WIRE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "flow_wire"
TARGET = 0.95
SUBMITS = ("YhhmEf", "eb1hJf", "nprQif", "MZZa6b")
# From the README, written down here on their own (`R` is the generation record).
R_MEDIA_ID, R_PROJECT = (0,), (1,)
R_MODEL_KEY, R_INPUTS = (5, 6, 1, 0, 0), (5, 6, 1, 1)
R_STATE, R_POSTER, R_SIZE = (5, 8, 0), (5, 10), (5, 13)
R_VIDEO, R_DURATION = (7, 0, 8), (7, 1, 2, 0)
STATE_NAMES = {6: "queued", 2: "rendering", 3: "done"}  # H in the README
INPUT_TYPES = {4: "reference", 1: "start"}


def walk(value: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        if not isinstance(value, list) or i >= len(value):
            return None
        value = value[i]
    return value


def decoded_result(text: Any, rpc: str) -> Any:
    """The `wrb.fr` result of `rpc` in a chunked reply: every line that is JSON is a chunk."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for line in (text or "").splitlines():
        try:
            chunk = json.loads(line)
        except ValueError:
            continue
        for row in chunk if isinstance(chunk, list) else []:
            if isinstance(row, list) and row[:2] == ["wrb.fr", rpc] and isinstance(row[2], str):
                return json.loads(row[2])
    return None


def request_payload(body: str | None, rpc: str) -> Any:
    """The payload of a captured request body (`f.req=<JSON>&at=…`, url-encoded or not)."""
    from urllib.parse import unquote_plus

    if not body or "f.req=" not in body:
        return None
    freq = body.split("f.req=", 1)[1]
    freq = freq[:freq.rfind("&at=")] if "&at=" in freq else freq.rstrip("&")
    for text in (freq, unquote_plus(freq)):
        try:
            envelope = json.loads(text)
        except ValueError:
            continue
        for call in envelope[0]:
            if call[0] == rpc:
                return json.loads(call[1])
    return None


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def carried(ex: wirecapture.Exchange) -> dict[str, Any]:
    """fact name (as the reader names it) → value, for every fact this exchange carries."""
    r = decoded_result(ex.response_body, ex.rpc)
    if r is None:
        return {}
    out: dict[str, Any] = {}

    def record_facts(recs: list, with_inputs: bool) -> None:
        out["media_ids"] = [walk(x, R_MEDIA_ID) for x in recs]
        out["states"] = [STATE_NAMES.get(walk(x, R_STATE), walk(x, R_STATE)) for x in recs]
        first = recs[0] if recs else None
        out["model_key"] = walk(first, R_MODEL_KEY)
        out["duration_s"] = walk(first, R_DURATION)
        if with_inputs:
            out["inputs"] = [{"media_id": walk(i, (2,)),
                              "role": INPUT_TYPES.get(walk(i, (1,)), walk(i, (1,)))}
                             for i in walk(first, R_INPUTS) or []]
        return first

    if ex.rpc in SUBMITS:
        first = record_facts(walk(r, (3,)) or [], with_inputs=True)
        out["credits_after"] = walk(r, (1,))
        out["project_id"] = walk(first, R_PROJECT)
        out["client_request_id"] = walk(r, (2, 0, 3, 5))
    elif ex.rpc == "jwpduf":
        record_facts(walk(r, (2,)) or [], with_inputs=False)
        out["credits_after"] = walk(r, (1,))  # counted only where not null
    elif ex.rpc == "maseQ":
        out["upload_id"] = walk(r, (0, 0))
        out["project_id"] = walk(r, (0, 1))
        out["file_name"] = walk(r, (1, 3, 0))
        out["mime"] = next((s for s in walk(r, (0, 6, 1)) or []
                            if isinstance(s, str) and "/" in s), None)
    elif ex.rpc == "as29s":
        record_facts([r], with_inputs=False)
        out["video_url"] = walk(r, R_VIDEO)
        out["poster_url"] = walk(r, R_POSTER)
        out["size_bytes"] = walk(r, R_SIZE)
    return {k: v for k, v in out.items() if _present(v)}


KIND = {**{rpc: "submit" for rpc in SUBMITS}, "jwpduf": "poll", "maseQ": "upload", "as29s": "media"}


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(WIRE_DIR.glob("*.jsonl"))
    if not files:
        print(f"no capture given and none in {WIRE_DIR}")
        return 2
    totals: dict[str, list[int]] = {}
    misses: list[str] = []
    read_any = False
    for path in files:
        try:
            cap = wirecapture.load(path)
        except wirecapture.CaptureError as err:
            print(f"{path}: {err}")
            continue
        read_any = True
        print(f"{path.name}: {len(cap.exchanges)} exchanges")
        for ex in cap.exchanges:
            kind = KIND.get(ex.rpc)
            if kind is None:
                continue
            facts = carried(ex)
            row = read_exchange(ex)
            got = [name for name, value in facts.items() if row.get(name) == value]
            t = totals.setdefault(kind, [0, 0])
            t[0] += len(got)
            t[1] += len(facts)
            print(f"  {ex.where:<9} {ex.rpc:<7} {kind:<7} {len(got)}/{len(facts)}  "
                  f"{', '.join(facts)}")
            if not facts:
                misses.append(f"{path.name} {ex.where} {ex.rpc}: no decodable result at all")
            for name, value in facts.items():
                if name in got:
                    continue
                mine = row.get(name)
                why = ("not read" if not _present(mine)
                       else f"read as {mine!r}, the wire says {value!r}")
                if row.get("unreadable"):
                    why += f" ({'; '.join(row['unreadable'])})"
                misses.append(f"{path.name} {ex.where} {ex.rpc} {name}: {why}")
    if not read_any:
        return 2
    read = sum(t[0] for t in totals.values())
    expected = sum(t[1] for t in totals.values())
    print()
    for kind in ("submit", "poll", "upload", "media"):
        if kind in totals:
            r, e = totals[kind]
            print(f"{kind:<7} {r}/{e} ({100 * r / e if e else 100:.1f}%)")
    ratio = read / expected if expected else 1.0
    print(f"all     {read}/{expected} facts read ({100 * ratio:.1f}%; target "
          f"{100 * TARGET:.0f}%)")
    if misses:
        print("not read:")
        for line in misses:
            print(f"  {line}")
    else:
        print("not read: none")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
