"""Every inline button's payload, as aiogram `CallbackData` factories.

Payloads carry ids only (never text) so they stay far below Telegram's 64-byte limit; the
handler re-reads the row and checks ownership, so a forged payload changes nothing.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CardCb(CallbackData, prefix="bc"):
    """The batch card: start, settings, cancel, and the settings choices."""

    action: str  # start | settings | back | cancel | aspect | outputs | model | dur | res | pairs
    batch_id: int
    value: str = ""


class ClipCb(CallbackData, prefix="cl"):
    """Select or unselect one clip. `sel` is the state the button sets (not a flip), so a
    double tap lands on the same state instead of undoing itself."""

    batch_id: int
    item_id: int
    clip_id: int
    sel: int


class ReviewCb(CallbackData, prefix="rv"):
    """Batch-wide review actions: upscale (preset choice), zip, retry of a failed item."""

    action: str  # upscale | preset | zip | retry | retry_ok | retry_no | back | flow1080
    batch_id: int
    item_id: int = 0
    value: str = ""


class QueueCb(CallbackData, prefix="q"):
    """Admin /queue: cancel a batch."""

    action: str  # cancel
    batch_id: int


class UsersCb(CallbackData, prefix="u"):
    """Admin /users: remove an allowed user."""

    action: str  # remove
    user_id: int


class TextCb(CallbackData, prefix="tv"):
    """A prompts file sent alone: make text-only videos of its prompts (held by the dialog)."""

    action: str  # make


ALL_FACTORIES = (CardCb, ClipCb, ReviewCb, QueueCb, UsersCb, TextCb)
