"""Every user-visible notice and failure text, in one place (SPEC §1.2 plus simulator choices)."""

from __future__ import annotations

HIGH_DEMAND = (
    "Flow is currently experiencing high demand affecting video generation. "
    "Requests may need to be retried at a later time."
)
TOO_QUICKLY = "You're requesting generations too quickly. Please wait a moment and try again."
# The real refusal text is unknown (SPEC §1.3); this one is the shared contract.
SLOTS_FULL = (
    "You have too many generations in progress. Please wait for some to finish and try again."
)
UNUSUAL_ACTIVITY = "We noticed some unusual activity. Please try again later."
INSUFFICIENT_CREDITS = "You don't have enough AI credits for this generation."
SOMETHING_WRONG = "Something went wrong"
COULDNT_GENERATE = "Couldn't generate video"
GENERATION_FAILED = "Generation failed"
AUDIO_FAILED = "Audio generation failed"
POLICY = (
    "This generation might violate our policies. Please try a different prompt or send feedback"
)
PROMINENT_PEOPLE = "This prompt might violate our policies about generating prominent people"
TERMS = "This prompt violates our terms"
DAILY_LIMIT = "You've reached the daily limit for video generations. Try again tomorrow."
IMAGE_FAILED = "Sorry, this image failed to generate."  # FLOW_2026 §10: busy servers, retryable

# Texts a failure script may use by short name (any other string is used verbatim).
FAILURES = {
    "high_demand": HIGH_DEMAND,
    "too_quickly": TOO_QUICKLY,
    "something_wrong": SOMETHING_WRONG,
    "couldnt_generate": COULDNT_GENERATE,
    "generation_failed": GENERATION_FAILED,
    "audio_failed": AUDIO_FAILED,
    "policy": POLICY,
    "prominent_people": PROMINENT_PEOPLE,
    "terms": TERMS,
    "unusual_activity": UNUSUAL_ACTIVITY,
    "daily_limit": DAILY_LIMIT,
    "image_failed": IMAGE_FAILED,
}

UPGRADE_4K = "Upscaling to 4K is available with Google AI Ultra. Upgrade to continue."
