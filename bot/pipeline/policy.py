"""The failure policy: the ONE place that maps a Flow error to what the pipeline does next.

SPEC §1.2 in code. Every stage that catches a `FlowError` asks `decide()` and carries out the
`Decision` it gets; no stage interprets error classes on its own. Retry budgets are counted
from the item's earlier failed generations (durable, in `generations`), never from in-memory
counters, so a restart neither forgets nor double-counts a retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.config import FlowSettings
from bot.errors import (
    AccountPausedError,
    FinalFlowError,
    FirewallError,
    FlowError,
    HighDemandError,
    RateLimitedError,
    SessionExpiredError,
    SlotsFullError,
    SubmissionUnconfirmedError,
    UnknownPageStateError,
    UploadTermsError,
    WrongSubmissionError,
)

Action = Literal["retry", "final", "pause", "backoff", "wait_slots"]

# Budget groups: failures in one group share one retry budget.
HIGH_DEMAND = "high_demand"
TRANSIENT = "transient"
UNKNOWN = "unknown"
# Failures that never count against the item (the account, not the prompt, had a problem).
NOT_COUNTED = "not_counted"

# Codes of the 2026 driver's errors that never count against an item's retry budget: the
# money guard refused before spending, the account needs an admin, or the item is final anyway.
NEVER_COUNTED_CODES = ("over_cap", "price_mismatch", "agent_only", "upload_terms", "wrong_account",
                       "upload_minor", "upload_face", "upload_refused", "wrong_submission",
                       "size_unavailable", "outcome_unknown", "model_unavailable")

# What to tell admins per pause kind (the driver's account-level errors).
ADMIN_ACTIONS = {
    "upload_terms": UploadTermsError.admin_hint,
    "price_mismatch": ("Flow's live price differs from the bot's price table (bot/pipeline/catalog.py). "
                       "Check the price in Flow; update the table or the per-item cap, then /resume."),
    "agent_only": ("This account only offers Flow's agent composer. Use an account with the normal "
                   "prompt box (or turn agent mode off in Flow), then /resume."),
    "wrong_account": ("The session belongs to another Google account than the bot's projects. "
                      "Send the right account's session with /login, then /resume."),
    "unusual_activity": ("Flow kept reporting unusual activity after reloads and pauses. Open Flow in "
                         "a browser, check the account, wait a while, then /resume."),
}

# How long a refused submit waits for a free render slot before trying again.
SLOTS_FULL_WAIT_S = 5.0
# Seconds between transient retries (multiplied by the retry number).
TRANSIENT_WAIT_S = 3.0


@dataclass(frozen=True)
class Decision:
    """What to do after a failure.

    * ``retry`` – submit again after `delay` seconds (a rescheduled task, never a sleep).
    * ``final`` – the item failed for good; tell the user `user_reason`.
    * ``pause`` – pause the whole account (`pause_kind`), alert admins, keep the item queued.
    * ``backoff`` – back off the whole account for `delay` seconds and lower concurrency,
      then retry the item (not counted against it).
    * ``wait_slots`` – Flow's render queue was full: retry after `delay`, not counted.
    """

    action: Action
    delay: float = 0.0
    user_reason: str = ""
    pause_kind: str | None = None
    budget: str = NOT_COUNTED
    attempt: int = 0          # which try of this budget just failed (1-based)
    limit: int = 0            # how many tries that budget allows in all
    # Admins must hear of this final failure too (e.g. Flow billed something else than asked).
    alert: str = ""
    # `backoff` only: "rate_limit" (Flow said too quickly: lower the cap for a while) or
    # "firewall" (Google's 403: stop, then pace submits wider for a while).
    backoff_kind: str = "rate_limit"


def budget_of(error: FlowError) -> str:
    """The retry budget a failure counts against."""
    if isinstance(error, HighDemandError):
        return HIGH_DEMAND
    if isinstance(error, (RateLimitedError, FirewallError, SlotsFullError, AccountPausedError,
                          SessionExpiredError)):
        return NOT_COUNTED
    if isinstance(error, UnknownPageStateError) or error.code in ("unknown_failure", "unknown"):
        return UNKNOWN
    if isinstance(error, FinalFlowError):
        return NOT_COUNTED
    return TRANSIENT


def budget_of_code(code: str | None) -> str:
    """`budget_of` for a failure stored in the database by its code."""
    if code == "high_demand":
        return HIGH_DEMAND
    if code in ("too_quickly", "firewall", "slots_full", "account_paused", "credits", "unusual_activity",
                "session_expired", "policy", "prominent_people", "terms", "final", None,
                *NEVER_COUNTED_CODES):
        return NOT_COUNTED
    if code in ("unknown", "unknown_failure"):
        return UNKNOWN
    return TRANSIENT


def limit_of(budget: str, flow: FlowSettings) -> int:
    """Total tries (first try included) a budget allows."""
    if budget == HIGH_DEMAND:
        return flow.high_demand_max_attempts
    if budget == TRANSIENT:
        return 1 + flow.transient_max_retries
    if budget == UNKNOWN:
        return 2  # SPEC §1.2: unknown texts are retried once, then final
    return 0


def decide(error: FlowError, earlier_failures: Mapping[str, int], flow: FlowSettings) -> Decision:
    """Decide what follows `error`, given the item's earlier failures per budget group."""
    if isinstance(error, SessionExpiredError):
        return Decision("pause", pause_kind="session_expired", user_reason=error.user_reason)
    if isinstance(error, AccountPausedError):
        return Decision("pause", pause_kind=error.code, user_reason=error.user_reason)
    if isinstance(error, FirewallError):
        return Decision("backoff", delay=flow.firewall_backoff_s, user_reason=error.user_reason,
                        backoff_kind="firewall")
    if isinstance(error, RateLimitedError):
        return Decision("backoff", delay=flow.rate_limit_backoff_s, user_reason=error.user_reason)
    if isinstance(error, SlotsFullError):
        return Decision("wait_slots", delay=SLOTS_FULL_WAIT_S, user_reason=error.user_reason)
    if isinstance(error, WrongSubmissionError):
        # Paid for, and not what was asked: never retried blindly; admins look at it.
        return Decision("final", user_reason=error.user_reason,
                        alert=f"Flow billed something other than requested: {error.text}. "
                              "Check the project in a browser; the bot will not retry it by itself.")
    if isinstance(error, SubmissionUnconfirmedError):
        # Clicked, maybe paid for, never found: a person decides whether to pay again.
        return Decision("final", user_reason=error.user_reason,
                        alert=f"A submit was clicked but its clips were never seen: {error.text}. "
                              "Check the project in a browser; the user may Retry it (it would "
                              "be paid again).")
    if isinstance(error, FinalFlowError):
        return Decision("final", user_reason=error.user_reason)
    budget = budget_of(error)
    attempt = earlier_failures.get(budget, 0) + 1
    limit = limit_of(budget, flow)
    if attempt >= limit:
        reason = error.user_reason
        if budget != UNKNOWN:
            reason = f"Flow failed {attempt} times ({_short(error)}); the bot gave up. You can retry it."
        return Decision("final", user_reason=reason, budget=budget, attempt=attempt, limit=limit)
    delay = flow.high_demand_wait_s if budget == HIGH_DEMAND else TRANSIENT_WAIT_S * attempt
    return Decision("retry", delay=delay, user_reason=error.user_reason, budget=budget,
                    attempt=attempt, limit=limit)


def user_reason_for(code: str | None, text: str | None = None) -> str:
    """Plain words for a failure stored by code (for views built from the database)."""
    cls = _BY_CODE.get(code or "")
    if cls is not None:
        return cls.user_reason
    return text or FlowError.user_reason


def retryable_by_user(code: str | None) -> bool:
    """Whether offering the user a Retry button makes sense (not for content refusals)."""
    return code not in ("policy", "prominent_people", "terms", "final", "upload_minor",
                        "upload_face")


def admin_action(pause_kind: str | None) -> str | None:
    """What an admin should do about a pause of this kind (None: the generic advice)."""
    return ADMIN_ACTIONS.get(pause_kind or "")


def _short(error: FlowError) -> str:
    text = (error.text or error.code).strip()
    return text if len(text) <= 80 else text[:77] + "..."


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


_BY_CODE: dict[str, type[FlowError]] = {c.code: c for c in _all_subclasses(FlowError)}
