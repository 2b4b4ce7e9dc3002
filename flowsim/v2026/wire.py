"""The batchexecute envelope of flow.google.com (FLOW_2026 §7) as flowsim speaks it, and the
wire record the control API reads back (docs/flowsim-2026-contract.md)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

PATH = "/_/AiSandboxAngularFrontend/data/batchexecute"
PREFIX = ")]}'\n\n"
FORM_TYPE = "application/x-www-form-urlencoded"


class BadRequest(Exception):
    """A malformed call: answered with HTTP 400 and recorded as refused `bad_request`."""


def parse(rpc_query: str | None, content_type: str, body: bytes) -> tuple[str, dict]:
    """(rpc id, payload object) of one call; BadRequest when anything is off."""
    if not rpc_query or "," in rpc_query:
        raise BadRequest("exactly one rpcids value expected")
    if not content_type.startswith(FORM_TYPE):
        raise BadRequest(f"Content-Type must be {FORM_TYPE}")
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("body is not a urlencoded form") from None
    if list(form) != ["f.req"] or len(form["f.req"]) != 1:
        raise BadRequest("body must hold exactly one f.req")
    try:
        envelope = json.loads(form["f.req"][0])
        [[call]] = envelope
        rpc_id, payload_text, _null, generic = call
        payload = json.loads(payload_text)
    except (ValueError, TypeError):
        raise BadRequest('f.req must be [[["<ID>","<payload JSON>",null,"generic"]]]') from None
    if rpc_id != rpc_query or generic != "generic" or _null is not None:
        raise BadRequest("envelope does not match rpcids")
    if not isinstance(payload, dict):
        raise BadRequest("payload must be a JSON object")
    return rpc_id, payload


def encode_call(rpc_id: str, payload: dict) -> str:
    """The urlencoded-able f.req value the page sends (tests and tools use it)."""
    return json.dumps([[[rpc_id, json.dumps(payload), None, "generic"]]])


def reply(rpc_id: str, result: dict) -> str:
    """A 200 reply body carrying `result`."""
    return PREFIX + json.dumps([["wrb.fr", rpc_id, json.dumps(result), None, None, None,
                                 "generic"]])


def error_reply(detail: str) -> str:
    """A 400 body (the page treats any non-200 as a failed call)."""
    return PREFIX + json.dumps([["er", None, None, None, None, 400, detail]])


def decode_reply(text: str) -> tuple[str, dict]:
    """(rpc id, result) of a 200 reply body: the inverse of `reply`."""
    if not text.startswith(PREFIX):
        raise ValueError("not a batchexecute reply")
    [[tag, rpc_id, result, *_rest]] = json.loads(text[len(PREFIX):])
    if tag != "wrb.fr":
        raise ValueError(f"unexpected tag {tag!r}")
    return rpc_id, json.loads(result)


def record(rpc_id: str, **fields) -> dict:
    """One wire() entry; fields a call does not concern stay None."""
    entry = {
        "rpc": rpc_id, "kind": None, "project": None, "media_ids": [], "model": None,
        "model_key": None, "duration": None, "resolution": None, "aspect": None, "count": None,
        "credits": 0, "refused": None, "trusted": None, "at": time.time(),
    }
    entry.update(fields)
    return entry
