"""The 2026 driver's pure rules: the money guard's price verdict, the failure policy of its new
errors, handles stored before the proof fields existed, and the UI-language pin."""

from __future__ import annotations

import json

from bot.config import FlowSettings
from bot.errors import (
    AgentOnlyError,
    OverCapError,
    PriceMismatchError,
    UploadFaceError,
    UploadMinorError,
    UploadTermsError,
    WrongAccountError,
    WrongSubmissionError,
)
from bot.pipeline import policy
from bot.pipeline.flow.api import FlowHandle
from bot.pipeline.flow.ui import pin_language
from bot.pipeline.flow.ui.flow2026.guard import price_verdict

FLOW = FlowSettings(_env_file=None)  # type: ignore[call-arg]


def test_price_verdict_known_row_must_equal_the_table():
    assert price_verdict(20, 20, True, None) is None
    assert isinstance(price_verdict(21, 20, True, None), PriceMismatchError)
    assert isinstance(price_verdict(19, 20, True, None), PriceMismatchError)


def test_price_verdict_cap_wins_and_is_final_for_the_item():
    err = price_verdict(40, 40, True, 30)
    assert isinstance(err, OverCapError) and err.error_class == "final"
    assert price_verdict(40, 40, True, 40) is None


def test_price_verdict_guessed_row_only_within_the_cap():
    assert price_verdict(14, 10, False, 15) is None          # unknown price, within the cap
    assert isinstance(price_verdict(16, 10, False, 15), OverCapError)
    assert price_verdict(10, 10, False, None) is None        # no cap: up to our guess
    assert isinstance(price_verdict(11, 10, False, None), PriceMismatchError)


def test_policy_of_the_new_errors():
    pauses = [PriceMismatchError("x"), AgentOnlyError("x"), UploadTermsError("x"), WrongAccountError("x")]
    for err in pauses:
        d = policy.decide(err, {}, FLOW)
        assert d.action == "pause" and d.pause_kind == err.code and policy.admin_action(err.code)
    for err in (OverCapError("x"), UploadMinorError("x"), UploadFaceError("x")):
        d = policy.decide(err, {}, FLOW)
        assert d.action == "final" and d.user_reason == err.user_reason and not d.alert
        assert policy.budget_of_code(err.code) == policy.NOT_COUNTED
    wrong = policy.decide(WrongSubmissionError("t2v instead of i2v", handle=None), {}, FLOW)
    assert wrong.action == "final" and "t2v instead of i2v" in wrong.alert
    assert not policy.retryable_by_user("upload_minor") and policy.retryable_by_user("over_cap")


def test_handle_from_json_of_an_old_row_and_with_unknown_keys():
    old = json.dumps({"project_url": "u", "tile_ids": ["a"], "submitted_at": 1.0, "prompt": "p"})
    h = FlowHandle.from_json(old)
    assert h.kind is None and h.frame_media_ids == () and h.billed() == {}
    newer = json.dumps({**json.loads(old), "kind": "i2v", "frame_media_ids": ["m"], "future": 1})
    h2 = FlowHandle.from_json(newer)
    assert h2.kind == "i2v" and h2.frame_media_ids == ("m",) and h2.billed()["kind"] == "i2v"


def test_pin_language():
    assert pin_language("https://flow.google.com/project/x", "en") == "https://flow.google.com/project/x?hl=en"
    assert pin_language("http://h/?hl=vi&a=1", "en") == "http://h/?a=1&hl=en"
    assert pin_language("http://h/", "") == "http://h/"


def test_failure_texts_of_flow_2026():
    from bot.errors import PolicyViolationError, RetryableFlowError
    from bot.pipeline.flow.classify import classify_failure

    busy = classify_failure("Sorry, this image failed to generate.")
    assert type(busy) is RetryableFlowError and busy.code == "image_failed"
    assert isinstance(classify_failure("We do not allow uploads of minors at this time"), UploadMinorError)
    assert isinstance(classify_failure("This image contains a photorealistic face and can't be used"),
                      UploadFaceError)
    policy_text = ("This generation might violate our policies. Please try a different prompt or send "
                   "feedback You have not been charged for this generation.")
    assert isinstance(classify_failure(policy_text), PolicyViolationError)


def _submit_payload(key: str, refs: list[str] | None, count: int = 1, crid: str = "c1") -> list:
    """A submit request payload in the real shape (flow_wire README: one Q per output)."""
    q = [[None, None, [[["the prompt"]]]]]
    if refs is not None:
        q.append([[None, m] for m in refs])
    q += [key, 1, None, [None, None, None, None, "u1", "u2"]]
    ctx = [None, 22, None, None, None, "proj", None, None, None, None, ["token", 1]]
    return [[q] * count, ctx, [crid, 2]]


def _record(key: str, duration: int, inputs: list[tuple[int, str]]) -> list:
    """A generation record in the real positional shape (state 6, October marker null)."""
    spec = [None, [[key, 3, [5], None, 1, 1], [[None, t, m] for t, m in inputs]]]
    return ["mid", "proj", "item", None, None,
            [[1790319019, 0], "the prompt", None, None, None, None, spec, None, [6], 1],
            None, [[None, 1, None, None, None, None, None, "the prompt", None, None, None, None,
                    key, "", None, False, 1], [None, None, [duration]], ["mid"]]]


def test_billing_proof_flags_a_submit_that_went_out_wrong():
    from pathlib import Path

    from bot.pipeline.flow.api import GenerationRequest
    from bot.pipeline.flow.ui.flow2026 import wire as W
    from bot.pipeline.flow.ui.flow2026.guard import billing_proof

    req = GenerationRequest(Path("s.png"), "p", "9:16", 2, "Veo 3.1 - Fast", duration=8)
    good = W.read_submit_request("eb1hJf", _submit_payload("veo_3_1_i2v_fast_portrait", ["m1"], 2))
    recs = [W.record(_record("veo_3_1_i2v_fast_portrait", 8, [(1, "m1")]))] * 2
    proof = billing_proof(good, recs, req, ["m1"])
    assert "mismatch" not in proof
    assert (proof["kind"], proof["frame_media_ids"], proof["count"], proof["duration"]) == ("i2v", ["m1"], 2, 8)
    # An empty Start chip goes out as text-to-video (and is billed): flagged.
    t2v = W.read_submit_request("YhhmEf", _submit_payload("veo_3_1_t2v_fast_portrait", None, 2))
    assert "t2v instead of i2v" in billing_proof(t2v, [], req, ["m1"])["mismatch"]
    # Flow switched the model silently, or the count/frame differs: flagged too.
    lite = W.read_submit_request("eb1hJf", _submit_payload("veo_3_1_i2v_lite", ["m2"]))
    text = billing_proof(lite, [], req, ["m1"])["mismatch"]
    assert "model key" in text and "frames" in text and "1 outputs instead of 2" in text


def test_key_matches_rejected_every_real_omni_key():
    """Regression (issue 19): `_key_matches` wanted "omni" in the key, and real Omni keys are
    `abra_…`: a correct Omni submission was reported as billed wrong. Keys are now understood
    by their grammar, and the record's duration and input roles are compared too."""
    from pathlib import Path

    from bot.pipeline.flow.api import GenerationRequest
    from bot.pipeline.flow.ui.flow2026 import wire as W
    from bot.pipeline.flow.ui.flow2026.guard import billing_proof

    req = GenerationRequest(Path("s.png"), "p", "16:9", 1, "Omni 1.1 Flash", duration=4, resolution="360p")
    sent = W.read_submit_request("eb1hJf", _submit_payload("abra_i2v_4s_360p", ["m1"]))
    rec = W.record(_record("abra_i2v_4s_360p", 4, [(1, "m1")]))
    assert "mismatch" not in billing_proof(sent, [rec], req, ["m1"])
    # The record says what was billed: 8 s where 4 s was asked, or the frame as an ingredient.
    long = W.record(_record("abra_i2v_4s_360p", 8, [(1, "m1")]))
    assert "8 s instead of 4 s" in billing_proof(sent, [long], req, ["m1"])["mismatch"]
    as_ref = W.record(_record("abra_i2v_4s_360p", 4, [(4, "m1")]))
    assert "inputs" in billing_proof(sent, [as_ref], req, ["m1"])["mismatch"]
    # 720p billed where 360p was asked; a Veo key for an Omni request; an unknown family.
    for key in ("abra_i2v_4s", "veo_3_1_i2v_lite", "nova_i2v_4s_360p"):
        wrong = W.read_submit_request("eb1hJf", _submit_payload(key, ["m1"]))
        assert "model key" in billing_proof(wrong, [], req, ["m1"])["mismatch"], key
    # An unknown key of a known family (Omni 1.2's are not published) passes.
    newer = W.read_submit_request("eb1hJf", _submit_payload("abra_v2_i2v_4s_360p", ["m1"]))
    assert "mismatch" not in billing_proof(newer, [], req, ["m1"])
