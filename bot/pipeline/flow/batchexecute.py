"""Google's `batchexecute` framing, read tolerantly (`../shared/flow_wire/README.md`, Transport).

A request is a form body `f.req=<JSON>&at=<token>&` whose JSON is
`[[["<RPC>","<payload as JSON text>",null,"generic"], …]]`: the payload is decoded twice.
A reply (`rt=c`) is the line `)]}'`, an empty line, then chunks: a decimal length line and one
JSON array each. The length is not trusted (captures mask ids, proxies re-encode): chunks are
split on lines, and a chunk that spans lines is joined until it parses. The rows that matter:

* `["wrb.fr", "<RPC>", "<result as JSON text>" | null, null, null, <status> | null, "generic"]`:
  the answer; a null result with a status (`[3]`, `[7, …, "PUBLIC_ERROR_…"]`) is a refusal,
  with neither it is an answer without a result;
* `["di", ms]`, `["af.httprm", ms, id, n]`, `["e", 4, null, null, n]`: bookkeeping (ignored);
* `["er", …]`: an error row without a result.

Nothing here raises on bad input: a reply that cannot be read is an `Unreadable` value that keeps
the raw text (shortened) for the log. Every parser is bounded (size, chunk count, JSON depth).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

PREFIX = ")]}'"
# Bounds: a reply larger than this is not read (the biggest real ones, project listings, are
# a few MB); more chunks than this is not a batchexecute reply; deeper JSON is refused.
MAX_TEXT = 64 * 1024 * 1024
MAX_CHUNKS = 10_000
MAX_DEPTH = 64
RAW_KEEP = 2000  # characters of an unreadable reply kept for the log
_PUBLIC_RE = re.compile(r"\bPUBLIC_ERROR_[A-Z0-9_]+\b")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


@dataclass(frozen=True)
class Answer:
    """One `wrb.fr` row: the rpc id, its decoded result (None: no result), and a status when
    the row carries one (a refusal: `code`, a reason like `PUBLIC_ERROR_…`, any texts)."""

    rpc: str
    result: Any = None
    status: int | None = None
    reason: str | None = None
    texts: tuple[str, ...] = ()
    unreadable: str | None = None  # why the result text could not be decoded

    @property
    def refused(self) -> bool:
        return self.status is not None and self.status != 0


@dataclass(frozen=True)
class Reply:
    """A whole reply: its answers in order, error rows, and why it could not be read (if so)."""

    answers: tuple[Answer, ...] = ()
    errors: tuple[Any, ...] = ()
    unreadable: str | None = None
    raw: str = ""

    def answer(self, rpc: str | None = None) -> Answer | None:
        """The answer for `rpc` (the first answer when None)."""
        for a in self.answers:
            if rpc is None or a.rpc == rpc:
                return a
        return None


@dataclass(frozen=True)
class Call:
    """One call of a request body: the rpc id and its decoded payload (None: unreadable)."""

    rpc: str
    payload: Any = None
    unreadable: str | None = None
    extra: dict = field(default_factory=dict)


def shorten(text: str, keep: int = RAW_KEEP) -> str:
    """`text` cut to `keep` characters for a log line."""
    return text if len(text) <= keep else text[:keep] + f"… ({len(text)} chars)"


def loads(text: str) -> Any:
    """json.loads with a depth bound; ValueError on anything it refuses."""
    if not isinstance(text, str):
        raise ValueError("not text")
    value = json.loads(text)  # RecursionError is a ValueError's cousin: caught by callers
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"JSON deeper than {MAX_DEPTH}")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, list):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((x, d + 1) for x in v)
        elif isinstance(v, dict):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((x, d + 1) for x in v.values())
    return deepest


def _safe_loads(text: str) -> tuple[Any, str | None]:
    try:
        return loads(text), None
    except (ValueError, RecursionError) as err:
        return None, f"{type(err).__name__}: {str(err)[:120]}"


def chunks(text: str) -> tuple[list[Any], str | None]:
    """The JSON chunks of a reply body, and why reading stopped early (None: read it all)."""
    if len(text) > MAX_TEXT:
        return [], f"reply larger than {MAX_TEXT} characters"
    body = text.lstrip("\ufeff")
    if body.startswith(PREFIX):
        body = body[len(PREFIX):]
    out: list[Any] = []
    buf: list[str] = []
    for line in body.split("\n"):
        s = line.strip()
        if not buf and (not s or s.isdigit()):
            continue  # blank lines and length lines between chunks
        buf.append(line)
        value, err = _safe_loads("\n".join(buf))
        if err is None:
            out.append(value)
            buf = []
            if len(out) > MAX_CHUNKS:
                return out, f"more than {MAX_CHUNKS} chunks"
    if buf:
        # A reply that is one plain JSON document (no length lines) is read too.
        joined = "\n".join(buf)
        if not out:
            value, err = _safe_loads(joined)
            if err is None:
                return [value], None
        return out, f"a chunk does not parse: {shorten(joined, 80)!r}"
    return out, None


def status_of(value: Any) -> tuple[int | None, str | None, tuple[str, ...]]:
    """(code, reason, texts) of a status element like `[3]` or `[7, null, [[…"PUBLIC_ERROR_…"]]]`."""
    if value is None:
        return None, None, ()
    code = None
    if isinstance(value, list) and value and isinstance(value[0], int) and not isinstance(value[0], bool):
        code = value[0]
    elif isinstance(value, int) and not isinstance(value, bool):
        code = value
    texts = tuple(_strings(value))
    # A `PUBLIC_ERROR_…` code anywhere wins; else a bare ALL_CAPS_CODE string.
    reason = next((m.group(0) for t in texts for m in [_PUBLIC_RE.search(t)] if m), None)
    if reason is None:
        reason = next((t for t in texts if _CODE_RE.match(t)), None)
    return code, reason, tuple(t for t in texts if t != reason)


def _strings(value: Any, limit: int = 50) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack and len(out) < limit:
        v = stack.pop(0)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            stack[0:0] = v
    return out


def _answer(row: list) -> Answer:
    rpc = row[1] if len(row) > 1 and isinstance(row[1], str) else ""
    text = row[2] if len(row) > 2 else None
    status = row[5] if len(row) > 5 else None
    code, reason, texts = status_of(status)
    if text is None:
        return Answer(rpc, None, code, reason, texts)
    if not isinstance(text, str):
        return Answer(rpc, None, code, reason, texts, unreadable="the result is not JSON text")
    result, err = _safe_loads(text)
    return Answer(rpc, result, code, reason, texts, unreadable=err)


def parse_reply(text: str | bytes | None) -> Reply:
    """Every answer of a batchexecute reply body; never raises."""
    if text is None:
        return Reply(unreadable="no reply body")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return Reply(unreadable="the reply is not UTF-8", raw=shorten(repr(text[:RAW_KEEP])))
    found, why = chunks(text)
    answers: list[Answer] = []
    errors: list[Any] = []
    for chunk in found:
        rows = chunk if isinstance(chunk, list) else []
        for row in rows:
            if not isinstance(row, list) or not row or not isinstance(row[0], str):
                continue
            if row[0] == "wrb.fr":
                answers.append(_answer(row))
            elif row[0] == "er":
                errors.append(row)
    if not answers and not errors:
        why = why or ("no answer row in the reply" if found else "no JSON chunk in the reply")
        return Reply(unreadable=why, raw=shorten(text))
    return Reply(tuple(answers), tuple(errors), why, shorten(text) if why else "")


def _form_value(body: str, name: str) -> str | None:
    try:
        form = parse_qs(body, keep_blank_values=True)
    except ValueError:
        form = {}
    value = (form.get(name) or [None])[0]
    if value is not None:
        return value
    return None


def _raw_freq(body: str) -> str | None:
    """The f.req value of a body whose JSON was written un-encoded (captures often are)."""
    start = body.find("f.req=")
    if start < 0:
        return None
    rest = body[start + len("f.req="):]
    end = rest.rfind("&at=")
    return rest[:end] if end >= 0 else rest.rstrip("&")


def parse_request(body: str | bytes | None) -> list[Call]:
    """The calls of a batchexecute request body (url-encoded or as captured); never raises.

    An empty list: not a batchexecute body at all. A call whose payload cannot be decoded is
    kept with `unreadable` set.
    """
    if body is None:
        return []
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if len(body) > MAX_TEXT:
        return []
    envelope = None
    for candidate in (_form_value(body, "f.req"), _raw_freq(body)):
        if candidate is None:
            continue
        envelope, err = _safe_loads(candidate)
        if err is None:
            break
        envelope = None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], list):
        return []
    calls = []
    for call in envelope[0][:100]:
        if not isinstance(call, list) or not call or not isinstance(call[0], str):
            continue
        text = call[1] if len(call) > 1 else None
        if not isinstance(text, str):
            calls.append(Call(call[0], None, "the payload is not JSON text"))
            continue
        payload, err = _safe_loads(text)
        calls.append(Call(call[0], payload, err))
    return calls


def encode_request(rpc: str, payload: Any, at: str | None = None) -> str:
    """A request body as the page sends it (tests and flowsim's tools use it)."""
    from urllib.parse import quote

    freq = json.dumps([[[rpc, json.dumps(payload, separators=(",", ":")), None, "generic"]]],
                      separators=(",", ":"))
    out = "f.req=" + quote(freq, safe="")
    if at is not None:
        out += "&at=" + quote(at, safe="")
    return out + "&"


def at(value: Any, path: tuple[int, ...]) -> Any:
    """The element at `path` of nested arrays, or None where the array is shorter or not an
    array (positional records drop empty trailing positions)."""
    for i in path:
        if not isinstance(value, list) or not -len(value) <= i < len(value):
            return None
        value = value[i]
    return value
