"""Turn a text Flow showed (toast, tile reason, page) into the right `bot.errors` class.

The table follows SPEC §1.2 and FLOW_2026 §10. Patterns are matched case-insensitively and in order, so the more
specific texts (prominent people) come before the general ones (policies). Texts are what users
report, not a Google contract: like the selectors, this table is data that a UI change may force
us to edit, and nothing else should need to change.
"""

from __future__ import annotations

import re

from bot.errors import (
    AudioFailedError,
    FlowError,
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
    UploadFaceError,
    UploadMinorError,
)

# (pattern, class, code override or None). First match wins.
RULES: list[tuple[re.Pattern[str], type[FlowError], str | None]] = [
    (re.compile(r"accounts\.google\.com|couldn.t sign you in|may not be secure|sign in to continue", re.I),
     SessionExpiredError, None),
    (re.compile(r"unusual activity", re.I), UnusualActivityError, None),
    (re.compile(r"daily limit|(?:insufficient|not enough|n.t have enough|out of)\b.{0,20}credits|"
                r"credits? (?:are|is) (?:insufficient|not enough)", re.I),
     InsufficientCreditsError, None),
    (re.compile(r"high demand", re.I), HighDemandError, None),
    (re.compile(r"too quickly|too many requests", re.I), RateLimitedError, None),
    # Slot refusal: exact text unknown on the real Flow (SPEC §1.3), so match broadly.
    (re.compile(r"too many generations|queue is full|wait for .{0,40}to finish", re.I),
     SlotsFullError, None),
    (re.compile(r"audio generation failed", re.I), AudioFailedError, None),
    (re.compile(r"prominent people", re.I), ProminentPeopleError, None),
    (re.compile(r"violates? our terms|content filter", re.I), TermsViolationError, None),
    (re.compile(r"violate our policies|against our policies|policy", re.I), PolicyViolationError, None),
    # FLOW_2026 §10 (flow.google.com): upload refusals are final for that image; a failed image
    # render ("busy servers") is retryable under its own code.
    (re.compile(r"uploads? of minors", re.I), UploadMinorError, None),
    (re.compile(r"photorealistic face|realistic face", re.I), UploadFaceError, None),
    (re.compile(r"failed to generate", re.I), RetryableFlowError, "image_failed"),
    (re.compile(r"something went wrong|couldn.t generate video|generation failed", re.I),
     RetryableFlowError, None),
]


def classify(text: str) -> FlowError | None:
    """The error a Flow text stands for, or None when the text is no known notice."""
    clean = " ".join(text.split())
    for pattern, cls, code in RULES:
        if pattern.search(clean):
            return cls(clean, code=code)
    return None


def classify_failure(text: str) -> FlowError:
    """The error of a tile known to have failed; unknown reasons are retryable (`unknown_failure`).

    SPEC §1.2: unknown texts are retried once, then final; the retry count lives in the
    pipeline's policy, so here they only get their own code.
    """
    known = classify(text)
    if known is not None:
        return known
    return RetryableFlowError(" ".join(text.split()), code="unknown_failure")
