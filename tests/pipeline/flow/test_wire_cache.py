"""The driver's wire cache (`bot/pipeline/flow/wire.py`) fed with Flow's real captured exchanges:
what `statuses`, `find_submission` and the proof of billing read afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.wire import Exchange, Wire

CAPTURE = Path(__file__).resolve().parents[3].parent / "shared" / "flow_wire" / "exchanges-2026-09-25.jsonl"
pytestmark = pytest.mark.skipif(not CAPTURE.exists(), reason=f"no real captures at {CAPTURE}")


def _exchanges() -> list[dict]:
    return [json.loads(line) for line in CAPTURE.read_text().splitlines() if line.strip()]


def _exchange(d: dict) -> Exchange:
    calls = bx.parse_request(d.get("request_body"))
    payload = calls[0].payload if calls else None
    return Exchange(d["rpc"], payload, W.read_reply(d["rpc"], d["response_body"], d["status"]))


def _replayed() -> Wire:
    wire = Wire()
    for d in _exchanges():
        wire.learn(_exchange(d))
    return wire


def test_find_submission_found_nothing_in_a_wire_cache_fed_real_replies():
    """Regression (issue 19): the cache was keyed on named fields (`operations`, `mediaId`),
    so real replies left it empty and a reconcile found nothing. Replayed real exchanges now
    give every clip, its state, project and the client request id of its submit."""
    wire = _replayed()
    assert set(wire.records) >= {"<uuid#30>", "<uuid#35>", "<uuid#40>", "<uuid#45>"}
    king = wire.records["<uuid#30>"].record
    assert (king.state, king.project_id, king.prompt) == (
        "done", "<uuid#1>", "The king walks slowly toward the camera")
    assert wire.by_request["<uuid#28>"] == ["<uuid#30>"]  # MZZa6b's client request id
    assert wire.by_request["<uuid#33>"] == ["<uuid#35>"]  # YhhmEf's
    assert wire.items["<uuid#35>"].title == "King raises hand and smiles"
    assert wire.credits == 857  # the last balance the page saw (after the 4th charge)


def test_a_poll_reply_keeps_the_signed_url_of_the_media_reply():
    wire = Wire()
    rows = _exchanges()
    media = next(d for d in rows if d["rpc"] == "as29s")
    poll = next(d for d in rows if d["rpc"] == "jwpduf" and "<uuid#30>" in d["response_body"]
                and "[3]" in d["response_body"])
    wire.learn(_exchange(media))
    wire.learn(_exchange(poll))
    rec = wire.records["<uuid#30>"].record
    assert rec.state == "done"
    assert rec.video_url and rec.video_url.startswith("https://flow-content.google/video/<uuid#30>")


def test_a_poll_reply_marks_the_projects_last_poll():
    wire = Wire()
    poll = next(d for d in _exchanges() if d["rpc"] == "jwpduf")
    wire.learn(_exchange(poll))
    assert "<uuid#1>" in wire.last_poll


def test_a_listing_names_each_clips_client_request_id():
    """The project listing (`Zzl0ze`, shape from the flow_wire README) is what a reconcile
    reads after a reload: the item of our click carries its client request id."""
    item = ["<item>", None, None, ["Title", [1790319019, 0], None, None, "<clip>", "<crid>",
                                   [1790319022, 0]], "<project>"]
    body = bx_reply("Zzl0ze", [None, [item]])
    wire = Wire()
    wire.learn(Exchange("Zzl0ze", ["projects/<project>", None, None, None, [1]],
                        W.read_reply("Zzl0ze", body)))
    assert wire.by_request["<crid>"] == ["<clip>"]
    assert wire.project_of("<clip>") == "<project>"
    assert "<project>" in wire.last_poll


def test_an_unreadable_reply_is_kept_for_the_log_and_changes_nothing():
    wire = _replayed()
    before = dict(wire.records)
    wire.learn(Exchange("jwpduf", None, W.read_reply("jwpduf", ")]}'\n\n12\n[[\"wrb.fr\",\"jw")))
    assert wire.records == before
    [(_, rpc, why, raw)] = list(wire.unreadable)
    assert rpc == "jwpduf" and why and raw.startswith(")]}'")


def bx_reply(rpc: str, result) -> str:
    """A reply body in the real framing (what the captures look like)."""
    row = json.dumps([["wrb.fr", rpc, json.dumps(result), None, None, None, "generic"],
                      ["di", 5], ["af.httprm", 5, "x", 1]])
    end = json.dumps([["e", 4, None, None, len(row)]])
    return f")]}}'\n\n{len(row)}\n{row}\n{len(end)}\n{end}\n"
