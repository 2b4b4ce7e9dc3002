"""One error hierarchy for the whole bot.

Flow errors come in four decision classes (SPEC §1.2), and the pipeline's failure policy maps
each class to what happens next in exactly one place (`bot/pipeline/policy.py`):

* `RetryableFlowError` – try again later (high demand, too quickly, transient, audio failed).
* `FinalFlowError` – never retry; tell the user the reason (policy, prominent people, terms).
* `AccountPausedError` – stop the whole account and alert admins (credits, daily limit,
  unusual activity).
* `SessionExpiredError` – stop the account until an admin logs in again.

`UnknownPageStateError` is a page we do not understand; it carries the paths of the screenshot
and trace saved for the admin and is retried once, then treated as final.
"""

from __future__ import annotations

from pathlib import Path


class FlowbotError(Exception):
    """Base of every error flowbot raises on purpose."""


class ConfigError(FlowbotError):
    """A setting is missing or invalid; the message is one line naming the variable and the fix."""


class StoreError(FlowbotError):
    """The database cannot be used (for example a schema newer than this build knows)."""


class LeaseLost(FlowbotError):
    """A worker tried to finish a task whose lease it no longer holds."""


class FlowError(FlowbotError):
    """Anything Flow (or the browser driving it) refused or failed.

    `code` is a short stable identifier (for example ``"high_demand"``) used in the database,
    statistics and the failure policy; `text` is what Flow showed, verbatim when known.
    """

    code: str = "flow_error"
    user_reason: str = "Flow could not generate this video."
    # Whether this error is Flow's own answer (a refusal, a failed tile): after a paid click it
    # proves what happened. False for what the driver could not see (an unknown page, a crash):
    # after a click such an outcome is reconciled, never submitted again blindly.
    answered: bool = True

    def __init__(self, text: str = "", *, code: str | None = None) -> None:
        super().__init__(text or self.user_reason)
        self.text = text
        if code is not None:
            self.code = code

    @property
    def error_class(self) -> str:
        """The decision class name stored in the database: retryable/final/paused/session."""
        return _CLASS_NAMES[_decision_base(type(self))]


class RetryableFlowError(FlowError):
    code = "transient"
    user_reason = "Flow had a temporary problem; the bot will try again."


class HighDemandError(RetryableFlowError):
    code = "high_demand"
    user_reason = "Flow is under high demand right now; the bot will retry in a few minutes."


class RateLimitedError(RetryableFlowError):
    code = "too_quickly"
    user_reason = "Flow asked us to slow down; the bot is pacing requests."


class FirewallError(RetryableFlowError):
    """Google's front end answered a submit with HTTP 403 (its firewall turns fast successive
    submits away, FLOW_2026 Dec. 7). Nothing was billed; the account stops submitting for a
    while and paces wider, then resumes by itself."""

    code = "firewall"
    user_reason = "Google turned away submits that came too fast; the bot is pausing and will resume by itself."


class AudioFailedError(RetryableFlowError):
    code = "audio_failed"
    user_reason = "Flow's audio generation failed (credits refunded); the bot will retry."


class SlotsFullError(RetryableFlowError):
    code = "slots_full"
    user_reason = "Flow's render queue for this account is full; waiting for a free slot."


class DownloadIncompleteError(RetryableFlowError):
    """The downloaded file is missing, cut off or not the clip it should be."""

    code = "download_incomplete"
    user_reason = "Downloading the clip from Flow failed; the bot will try again."


class FinalFlowError(FlowError):
    code = "final"
    user_reason = "Flow refused this request."


class PolicyViolationError(FinalFlowError):
    code = "policy"
    user_reason = "Flow refused this prompt or image as against its content policy. Try a different prompt or image."


class ProminentPeopleError(FinalFlowError):
    code = "prominent_people"
    user_reason = "Flow refused this prompt because it seems to show a prominent person. Try a different prompt."


class TermsViolationError(FinalFlowError):
    code = "terms"
    user_reason = "Flow says this prompt violates its terms. Try a different prompt."


class AccountPausedError(FlowError):
    code = "account_paused"
    user_reason = "The Flow account is paused; an admin has been told."


class InsufficientCreditsError(AccountPausedError):
    code = "credits"
    user_reason = "The Flow account is out of credits or hit its daily limit; an admin has been told."


class UnusualActivityError(AccountPausedError):
    code = "unusual_activity"
    user_reason = "Flow reported unusual activity on the account; an admin has been told."


class SessionExpiredError(FlowError):
    code = "session_expired"
    user_reason = "The Flow session expired; waiting for an admin to sign in again."


class UnknownPageStateError(FlowError):
    """The page is in a state we do not recognise; evidence is saved for the admin."""

    code = "unknown"
    user_reason = "Flow showed something the bot did not recognise; an admin has been told."
    answered = False

    def __init__(
        self,
        text: str = "",
        *,
        code: str | None = None,
        screenshot: Path | None = None,
        trace: Path | None = None,
    ) -> None:
        super().__init__(text, code=code)
        self.screenshot = screenshot
        self.trace = trace
        # After a paid click: the page's client request id of that submit, when its request
        # was seen (a reconcile finds the clips by it in the project's listing).
        self.client_request_id: str | None = None


class SubmissionUnconfirmedError(FinalFlowError):
    """Start generation was clicked, and neither Flow's answer nor the project's grid, wire or
    listing showed the clips within the reconcile window. Never submitted again by itself (it
    may have been paid for); admins are told what is known."""

    code = "outcome_unknown"
    user_reason = ("Flow may have started this video, but the bot could not confirm it; an admin "
                   "has been told. Retry it only if no clip shows up in Flow (it may cost again).")



# --- the Flow driver on flow.google.com (2026 UI): money guard, uploads, proof of billing ------
class OverCapError(FinalFlowError):
    """The live price quote is above what this item may spend (its cap): nothing was clicked."""

    code = "over_cap"
    user_reason = "Flow asked more credits for this video than its limit allows; nothing was spent."


class UploadMinorError(FinalFlowError):
    """Flow refused the start frame as showing a minor (it has false positives on small faces)."""

    code = "upload_minor"
    user_reason = ("Flow refused this image because it thinks it shows a child. "
                   "Try another image (small faces are sometimes mistaken for children).")


class UploadFaceError(FinalFlowError):
    """Flow refused the start frame as a close-up photorealistic face."""

    code = "upload_face"
    user_reason = ("Flow refused this image because it shows a realistic face close up. "
                   "Try an image with the face smaller or not photorealistic.")


class WrongSubmissionError(FinalFlowError):
    """The page's own submit request shows something other than what we asked for was billed
    (e.g. text-to-video instead of image-to-video). Recorded with its handle; never retried
    blindly; admins are alerted."""

    code = "wrong_submission"
    user_reason = ("Flow started a different video than requested (credits may have been spent); "
                   "an admin has been told and the bot will not retry it automatically.")

    def __init__(self, text: str = "", *, code: str | None = None, handle=None) -> None:
        super().__init__(text, code=code)
        self.handle = handle  # the FlowHandle of what was really submitted (it was paid for)


class PriceMismatchError(AccountPausedError):
    """The live quote differs from our price table: the table or the page changed. Nothing
    was clicked; the account pauses until an admin checks the prices."""

    code = "price_mismatch"
    user_reason = "Flow's price for this video differs from the bot's table; an admin has been told."


class AgentOnlyError(AccountPausedError):
    """The account only offers Flow's agent composer (no per-request settings): unusable."""

    code = "agent_only"
    user_reason = "The Flow account only offers agent mode, which the bot cannot use; an admin has been told."


class UploadTermsError(AccountPausedError):
    """Flow asks to accept its upload rights terms and FLOW_ACCEPT_UPLOAD_TERMS is not true."""

    code = "upload_terms"
    user_reason = "Flow asks an admin to accept its image upload terms first; an admin has been told."
    admin_hint = ("Flow shows its image-rights dialog at the first upload. Read it in Flow, then either "
                  "accept it once there yourself, or set FLOW_ACCEPT_UPLOAD_TERMS=true to let the bot "
                  "accept it, and resume the account.")


class ModelNotOfferedError(FinalFlowError):
    """The model asked for is not on the page's menu, or Flow refused it as retired or not on
    the plan (FLOW_2026 Dec. 1). Nothing was billed. The pipeline learns the account's catalogue
    again and holds the work as a retirement (its owner offered the nearest model), never as
    selector drift."""

    code = "model_not_offered"
    user_reason = "Flow no longer offers the model this video asked for; nothing was spent."

    def __init__(self, text: str = "", *, code: str | None = None, model: str | None = None) -> None:
        super().__init__(text, code=code)
        self.model = model


class ModelPickerHiddenError(AccountPausedError):
    """Flow's settings show no model picker on the page (FLOW_2026 Dec. 7): the model cannot be
    chosen or checked, so the driver refuses to submit rather than bill whatever the page has."""

    code = "model_picker_hidden"
    user_reason = "Flow hides its model picker on this account right now; an admin has been told."


class WrongAccountError(AccountPausedError):
    """The project belongs to another Google account (`/404?reason=project`)."""

    code = "wrong_account"
    user_reason = "The Flow session belongs to a different Google account than before; an admin has been told."

_CLASS_NAMES: dict[type[FlowError], str] = {
    RetryableFlowError: "retryable",
    FinalFlowError: "final",
    AccountPausedError: "paused",
    SessionExpiredError: "session",
    UnknownPageStateError: "unknown",
    FlowError: "retryable",
}


def _decision_base(cls: type[FlowError]) -> type[FlowError]:
    for base in cls.__mro__:
        if base in _CLASS_NAMES:
            return base
    return FlowError
