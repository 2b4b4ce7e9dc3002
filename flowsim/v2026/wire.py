"""flow.google.com's batchexecute framing as flowsim writes it (docs/flowsim-2026-contract.md,
"The page's wire"; the real captures in `../shared/flow_wire/`): the request body
`f.req=<urlencoded JSON>&at=<token>&` whose payload is decoded twice, and the chunked `rt=c`
reply (`)]}'`, an empty line, then a length line and one JSON array per chunk). Records inside
the results are built in `records.py`; this file knows only the envelope and the `wire()` log
entry the control API reads back."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from typing import Any
from urllib.parse import parse_qs

PATH = "/_/AiSandboxAngularFrontend/data/batchexecute"
PREFIX = ")]}'\n\n"
FORM_TYPE = "application/x-www-form-urlencoded"
# flowsim's build labels (`bl` in the query, `boot.build` in the page), one per build that
# configure(build=…) can play: the grammar is real (`boq_labs-ai-sandbox-frontend_YYYYMMDD.NN_p0`,
# the captures' `_20260923.06_p0`); the numbers are flowsim's (ASSUMPTION).
BUILD_LABELS = {
    "october": "boq_labs-ai-sandbox-frontend_20261014.05_p0",
    "december": "boq_labs-ai-sandbox-frontend_20261205.03_p0",
}
BUILD_LABEL = BUILD_LABELS["december"]
# flowsim's own rpc ids (no real capture): their payloads and results stay named-field JSON
# objects, in the real framing. Every other rpc carries a positional JSON array.
OWN_RPCS = frozenset({"hK3mQe", "Vz7tGb", "Qq9xPa", "Lm2sRd"})
# A chunk's length line counts the chunk's characters plus the two line breaks around it: the
# only unmasked chunk of the captures, `[["e",4,null,null,143]]` (23 characters), says 25.
LENGTH_EXTRA = 2
# Google escapes these inside JSON strings (`\u003d` in the captures' signed URLs).
_HTML_SAFE = str.maketrans({"=": "\\u003d", "&": "\\u0026", "<": "\\u003c", ">": "\\u003e"})


class BadRequest(Exception):
    """A malformed call: answered with HTTP 400 and recorded as refused `bad_request`."""


def at_token(session_token: str) -> str:
    """The page's `at` (XSRF) token of a session: derived, so there is no table to keep."""
    key = hashlib.sha256(f"flowsim-at:{session_token}".encode()).digest()
    return "AJpMio" + hmac.new(key, b"at", hashlib.sha256).hexdigest()[:30] + ":1790000000000"


def _json(value: Any) -> str:
    """Compact JSON as Google writes it: no spaces, non-ASCII as is, `=&<>` escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_HTML_SAFE)


def parse(rpc_query: str | None, content_type: str, body: bytes,
          at_expected: str) -> tuple[str, Any]:
    """(rpc id, payload) of one call; BadRequest when anything is off (also a missing or
    wrong `at`). The payload is a JSON array for Flow's rpcs, an object for flowsim's own."""
    if not rpc_query or "," in rpc_query:
        raise BadRequest("exactly one rpcids value expected")
    if not content_type.startswith(FORM_TYPE):
        raise BadRequest(f"Content-Type must be {FORM_TYPE}")
    try:
        text = body.decode("utf-8")
        form = parse_qs(text[:-1] if text.endswith("&") else text, keep_blank_values=True,
                        strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("body is not a urlencoded form") from None
    if set(form) - {"f.req", "at"} or len(form.get("f.req", ())) != 1:
        raise BadRequest("body must be f.req=<JSON>&at=<token>&")
    if len(form.get("at", ())) != 1 or not hmac.compare_digest(form["at"][0], at_expected):
        raise BadRequest("missing or wrong at token")
    try:
        envelope = json.loads(form["f.req"][0])
        [[call]] = envelope
        rpc_id, payload_text, _null, generic = call
        payload = json.loads(payload_text)
    except (ValueError, TypeError):
        raise BadRequest('f.req must be [[["<ID>","<payload JSON>",null,"generic"]]]') from None
    if rpc_id != rpc_query or generic != "generic" or _null is not None:
        raise BadRequest("envelope does not match rpcids")
    if rpc_id in OWN_RPCS and not isinstance(payload, dict):
        raise BadRequest("payload must be a JSON object")
    if rpc_id not in OWN_RPCS and not isinstance(payload, list):
        raise BadRequest("payload must be a JSON array")
    return rpc_id, payload


def encode_call(rpc_id: str, payload: Any) -> str:
    """The f.req value the page sends (tests and tools urlencode it)."""
    return json.dumps([[[rpc_id, json.dumps(payload, separators=(",", ":")), None, "generic"]]],
                      separators=(",", ":"))


def _chunked(chunks: list[list]) -> str:
    out = [PREFIX]
    for chunk in chunks:
        line = _json(chunk)
        out.append(f"{len(line) + LENGTH_EXTRA}\n{line}\n")
    return "".join(out)


def _framed(rows: list[list], elapsed_ms: int) -> str:
    ms = max(0, int(elapsed_ms))
    rows = [*rows, ["di", ms],
            ["af.httprm", ms, str(random.randint(-(2 ** 63), 2 ** 63 - 1)), random.randint(30, 70)]]
    body = _chunked([rows])
    return body + _chunked([[["e", 4, None, None, len(body)]]])[len(PREFIX):]


def reply(rpc_id: str, result: Any, elapsed_ms: int = 0) -> str:
    """A 200 reply body whose `wrb.fr` row carries `result` (as JSON text)."""
    return _framed([["wrb.fr", rpc_id, _json(result), None, None, None, "generic"]], elapsed_ms)


def status(code: int, reason: str | None = None, message: str | None = None) -> list:
    """A status element: `[code]`, or `[code, null, [[REASON, message]]]` (the detail layout is
    an ASSUMPTION: only `[3]`, `[5]` and `[7 … PUBLIC_ERROR_MODEL_ACCESS_DENIED]` are seen)."""
    if reason is None:
        return [code]
    return [code, None, [[reason, message or ""]]]


def refusal(rpc_id: str, code: int, reason: str | None = None, message: str | None = None,
            elapsed_ms: int = 0) -> str:
    """A 200 reply that refuses: no result, the status at row position 5."""
    return _framed([["wrb.fr", rpc_id, None, None, None, status(code, reason, message),
                     "generic"]], elapsed_ms)


# Google's front end refusing a request (configure(firewall_min_gap_s), FLOW_2026 Dec. 7): the
# generic GFE error page (its text as Google serves it; the exact page of Flow's WAF is not
# captured, ASSUMPTION).
FIREWALL_HTML = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n'
    "  <title>Error 403 (Forbidden)!!1</title>\n"
    "  <style>*{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html"
    "{background:#fff;color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;"
    "min-height:180px;padding:30px 0 15px}p{margin:11px 0 22px;overflow:hidden}ins"
    "{color:#777;text-decoration:none}</style>\n"
    "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
    "  <p><b>403.</b> <ins>That\u2019s an error.</ins>\n"
    "  <p>Your client does not have permission to get URL <code>{path}</code> from this server."
    "  <ins>That\u2019s all we know.</ins>\n"
)


def firewall_page(path: str) -> str:
    """The body of the front end's 403."""
    return FIREWALL_HTML.replace("{path}", path)


def lost_prefix(body: str) -> str:
    """What arrives of a reply whose body is lost: its first bytes only (the prefix and part
    of the first length line's chunk), then the connection drops."""
    return body[: len(PREFIX) + 12]


def error_reply(detail: str) -> str:
    """The body of an HTTP 400 (a malformed call)."""
    return _chunked([[["er", None, None, None, None, 400, detail]]])


def decode_reply(text: str) -> tuple[str, Any, list | None]:
    """(rpc id, result, status) of the `wrb.fr` row of a reply body: the inverse of `reply`
    and `refusal` (flowsim's own tests; the driver reads replies with its own reader)."""
    if not text.startswith(PREFIX):
        raise ValueError("not a batchexecute reply")
    lines = [ln for ln in text[len(PREFIX):].split("\n") if ln]
    if len(lines) % 2:
        raise ValueError("a chunk without its length line")
    for length, line in zip(lines[::2], lines[1::2], strict=True):
        if int(length) != len(line) + LENGTH_EXTRA:
            raise ValueError(f"length {length} does not match the chunk")
        for row in json.loads(line):
            if row[0] == "wrb.fr":
                result = None if row[2] is None else json.loads(row[2])
                return row[1], result, row[5]
    raise ValueError("no wrb.fr row")


def record(rpc_id: str, **fields) -> dict:
    """One wire() entry; fields a call does not concern stay None."""
    entry = {
        "rpc": rpc_id, "kind": None, "project": None, "media_ids": [], "model": None,
        "model_key": None, "duration": None, "resolution": None, "aspect": None, "count": None,
        "credits": 0, "refused": None, "trusted": None, "at": time.time(),
    }
    entry.update(fields)
    return entry


def now_ms() -> float:
    """A monotonic clock in milliseconds (the `di` timing row)."""
    return time.monotonic() * 1000
