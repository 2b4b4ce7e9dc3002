"""Captured batchexecute exchanges, from a file an operator or a tool saved.

Two formats:

* JSON lines, as in `../shared/flow_wire/`: one object per line with `rpc`, `query`, `status`,
  `elapsed_ms`, `request_body` (may be absent), `response_body`;
* a HAR file exported from Chrome's or Firefox's dev tools (`log.entries[]`): entries whose URL
  contains `/data/batchexecute`; the rpc ids from the `rpcids` query parameter (one exchange per
  id of a batched call), the request body from `request.postData.text` (or its `params`), the
  reply from `response.content.text` (base64-decoded when `encoding` is `base64`), the status
  from `response.status`. Headers and cookies are never read.

Bounded: a file over `MAX_FILE` bytes is refused, a line over `MAX_LINE` bytes is skipped and
reported. A bad line or entry is reported in `Capture.problems`, never fatal; `CaptureError` is
raised only for a file that cannot be opened or read at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote_plus, urlsplit

MAX_FILE = 512 * 1024 * 1024
MAX_LINE = 64 * 1024 * 1024
MARK = "/data/batchexecute"
_RPC_IN_LINE = re.compile(r'"rpc"\s*:\s*"([A-Za-z0-9_]{1,40})"')


class CaptureError(Exception):
    """The file cannot be opened, or is neither JSON lines nor a HAR file."""


@dataclass(frozen=True)
class Exchange:
    """One captured call: its rpc id, HTTP status, request body (form text, as sent) and reply
    body (text, or bytes that are not UTF-8). `where` names its line or HAR entry."""

    rpc: str
    status: int | None
    request_body: str | None
    response_body: str | bytes | None
    where: str


@dataclass
class Capture:
    """What a file held: its exchanges, the problems met (bad lines or entries), and the rpc
    ids of bad lines that still named one (a lost exchange the caller may count)."""

    format: str  # "jsonl" | "har"
    exchanges: list[Exchange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lost_rpcs: list[str] = field(default_factory=list)


def load(path: Path | str) -> Capture:
    """The exchanges of a JSON-lines or HAR file; `CaptureError` when it cannot be read at all."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise CaptureError(f"{path} is not a file")
    except OSError as err:
        raise CaptureError(f"cannot open {path}: {err.strerror or err}") from None
    if size > MAX_FILE:
        raise CaptureError(f"{path} is {_size(size)}: larger than {_size(MAX_FILE)}, not read")
    try:
        with path.open("rb") as fh:
            first = fh.readline(MAX_LINE + 1)
    except OSError as err:
        raise CaptureError(f"cannot read {path}: {err.strerror or err}") from None
    head = _json_or_none(first)
    if isinstance(head, dict) and "log" in head:
        return _from_har(head)
    if head is None and first.lstrip().startswith((b"{", b"[")) and not _looks_like_a_line(first):
        # A pretty-printed HAR (or other JSON document) spans lines: read it whole.
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and "log" in doc:
            return _from_har(doc)
        if doc is not None:
            raise CaptureError(f"{path} is JSON but neither a HAR file (no log.entries) "
                               "nor JSON lines")
    return _from_jsonl(path)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def _looks_like_a_line(first: bytes) -> bool:
    return b'"rpc"' in first or b'"response_body"' in first


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _lines(path: Path):
    """(line number from 1, bytes or None when the line was too long) of a file, bounded."""
    with path.open("rb") as fh:
        n = 0
        while True:
            line = fh.readline(MAX_LINE + 1)
            if not line:
                return
            n += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield n, None
                continue
            yield n, line


def _from_jsonl(path: Path) -> Capture:
    cap = Capture("jsonl")
    for n, line in _lines(path):
        where = f"line {n}"
        if line is None:
            cap.problems.append(f"{where}: longer than {_size(MAX_LINE)}, skipped")
            continue
        if not line.strip():
            continue
        d = _json_or_none(line)
        if not isinstance(d, dict):
            cap.problems.append(f"{where}: not a JSON object, skipped")
            _lost(cap, line)
            continue
        rpcs = _rpcs(d.get("rpc")) or _rpcs(_str(_get(d, "query", "rpcids")))
        if not rpcs:
            cap.problems.append(f"{where}: names no rpc id, skipped")
            continue
        req, res = d.get("request_body"), d.get("response_body")
        if req is not None and not isinstance(req, str):
            cap.problems.append(f"{where}: request_body is not text, ignored")
            req = None
        if res is not None and not isinstance(res, str):
            cap.problems.append(f"{where}: response_body is not text, ignored")
            res = None
        status = _status(d.get("status", 200))
        for rpc in rpcs:
            cap.exchanges.append(Exchange(rpc, status, req, res, where))
    return cap


def _lost(cap: Capture, line: bytes) -> None:
    m = _RPC_IN_LINE.search(line[:4096].decode("utf-8", "replace"))
    if m:
        cap.lost_rpcs.append(m.group(1))


def _from_har(doc: dict) -> Capture:
    cap = Capture("har")
    entries = _get(doc, "log", "entries")
    if not isinstance(entries, list):
        raise CaptureError("a HAR file without log.entries")
    for n, entry in enumerate(entries, 1):
        where = f"entry {n}"
        url = _str(_get(entry, "request", "url")) or ""
        if MARK not in url:
            continue
        rpcs = _rpcs(_query_param(url, "rpcids"))
        if not rpcs:
            for q in _get(entry, "request", "queryString") or []:
                if isinstance(q, dict) and q.get("name") == "rpcids":
                    rpcs = _rpcs(_str(q.get("value")))
        if not rpcs:
            cap.problems.append(f"{where}: a batchexecute call without rpcids, skipped")
            continue
        body = _har_request_body(_get(entry, "request", "postData"))
        reply, why = _har_reply(_get(entry, "response", "content"))
        if why:
            cap.problems.append(f"{where} ({','.join(rpcs)}): {why}")
        status = _status(_get(entry, "response", "status"))
        for rpc in rpcs:
            cap.exchanges.append(Exchange(rpc, status, body, reply, where))
    return cap


def _har_request_body(post: Any) -> str | None:
    if not isinstance(post, dict):
        return None
    text = post.get("text")
    if isinstance(text, str) and text:
        return text
    for p in post.get("params") or []:
        if isinstance(p, dict) and p.get("name") == "f.req" and isinstance(p.get("value"), str):
            value = p["value"]
            # Tools differ: the value is either still url-encoded or already decoded JSON.
            for candidate in (value, unquote_plus(value)):
                if _json_or_none(candidate.encode("utf-8", "replace")) is not None:
                    return "f.req=" + quote(candidate, safe="") + "&"
            return "f.req=" + value + "&"
    return None


def _har_reply(content: Any) -> tuple[str | bytes | None, str | None]:
    if not isinstance(content, dict):
        return None, "no response content"
    text = content.get("text")
    if text is None:
        return None, "the HAR holds no reply body (save it 'with content')"
    if not isinstance(text, str):
        return None, "the reply body is not text"
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return None, "the reply body is not valid base64"
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            return raw, None
    return text, None


def _get(value: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(k)
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _rpcs(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [r for r in (x.strip() for x in value.split(",")) if r][:20]


def _query_param(url: str, name: str) -> str | None:
    try:
        return (parse_qs(urlsplit(url).query).get(name) or [None])[0]
    except ValueError:
        return None


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
