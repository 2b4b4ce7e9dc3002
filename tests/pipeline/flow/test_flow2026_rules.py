"""The 2026 driver's pure rules: the money guard's price verdict, the failure policy of its new
errors, handles stored before the proof fields existed, and the UI-language pin."""

from __future__ import annotations

import json

from bot.config import FlowSettings
from bot.errors import (
    AgentOnlyError,
    OverCapError,
    PriceMismatchError,
    UnsupportedOnClassicError,
    UploadFaceError,
    UploadMinorError,
    UploadTermsError,
    WrongAccountError,
    WrongSubmissionError,
)
from bot.pipeline import policy
from bot.pipeline.flow.api import FlowHandle
from bot.pipeline.flow.ui import pin_language
from bot.pipeline.flow.ui.flow2026 import price_verdict

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
    for err in (OverCapError("x"), UploadMinorError("x"), UploadFaceError("x"),
                UnsupportedOnClassicError("x")):
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


def test_billing_proof_flags_a_submit_that_went_out_wrong():
    from pathlib import Path

    from bot.pipeline.flow.api import GenerationRequest
    from bot.pipeline.flow.ui.flow2026 import billing_proof

    req = GenerationRequest(Path("s.png"), "p", "9:16", 2, "Veo 3.1 - Fast", duration=8)
    good = {"projectId": "x", "requests": [
        {"modelKey": "veo_3_1_i2v_fast", "durationSeconds": 8, "resolution": "720p",
         "startImage": {"mediaId": "m1"}}] * 2}
    proof = billing_proof("eb1hJf", good, req, ["m1"])
    assert "mismatch" not in proof
    assert (proof["kind"], proof["frame_media_ids"], proof["count"]) == ("i2v", ["m1"], 2)
    # An empty Start chip goes out as text-to-video (and is billed): flagged.
    t2v = {"requests": [{"modelKey": "veo_3_1_t2v_fast", "durationSeconds": 8}] * 2}
    assert "t2v instead of i2v" in billing_proof("YhhmEf", t2v, req, ["m1"])["mismatch"]
    # Flow switched the model silently, or the count/frame differs: flagged too.
    lite = {"requests": [{"modelKey": "veo_3_1_i2v_lite", "durationSeconds": 8,
                          "startImage": {"mediaId": "m2"}}]}
    text = billing_proof("eb1hJf", lite, req, ["m1"])["mismatch"]
    assert "model key" in text and "frames" in text and "1 outputs instead of 2" in text
