"""The SPEC §1.2 texts (and variants users report) map to exactly one error class each."""

from __future__ import annotations

import pytest

from bot.errors import (
    AudioFailedError,
    HighDemandError,
    InsufficientCreditsError,
    PolicyViolationError,
    ProminentPeopleError,
    RateLimitedError,
    RetryableFlowError,
    SessionExpiredError,
    SlotsFullError,
    TermsViolationError,
    UnusualActivityError,
)
from bot.pipeline.flow.classify import classify, classify_failure

CASES = [
    ("Flow is currently experiencing high demand affecting video generation. Requests may need "
     "to be retried at a later time.", HighDemandError),
    ("You're requesting generations too quickly. Please wait a moment and try again.", RateLimitedError),
    ("Something went wrong", RetryableFlowError),
    ("Couldn't generate video", RetryableFlowError),
    ("Couldn\u2019t generate video", RetryableFlowError),  # typographic apostrophe
    ("Generation failed", RetryableFlowError),
    ("Audio generation failed", AudioFailedError),
    ("This generation might violate our policies. Please try a different prompt or send feedback",
     PolicyViolationError),
    ("This prompt might violate our policies about generating prominent people", ProminentPeopleError),
    ("This prompt violates our terms", TermsViolationError),
    ("Blocked by the content filter", TermsViolationError),
    ("We noticed some unusual activity", UnusualActivityError),
    ("You've reached the daily limit for video generations.", InsufficientCreditsError),
    ("Insufficient credits", InsufficientCreditsError),
    ("warning Not enough AI credits", InsufficientCreditsError),
    ("You have too many generations in progress. Please wait for some to finish and try again.",
     SlotsFullError),
    ("Your queue is full", SlotsFullError),
    ("Couldn't sign you in. This browser or app may not be secure.", SessionExpiredError),
]


@pytest.mark.parametrize(("text", "cls"), CASES, ids=[c[1].__name__ + str(i) for i, c in enumerate(CASES)])
def test_text_maps_to_exact_class(text, cls):
    err = classify(f"  {text}\n")
    assert type(err) is cls
    assert err.text == " ".join(text.split())


def test_other_notices_are_not_errors_and_unknown_failures_are_retryable():
    assert classify("Upscaling your video\u2026") is None
    assert classify("Upscaling complete!") is None
    err = classify_failure("Failed Something nobody has seen before")
    assert type(err) is RetryableFlowError and err.code == "unknown_failure"
    assert err.error_class == "retryable"
