"""Every inline button's payload, as aiogram `CallbackData` factories.

Payloads carry ids only (never text) so they stay far below Telegram's 64-byte limit; the
handler re-reads the row and checks ownership, so a forged payload changes nothing.
"""

from __future__ import annotations

import re
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Ids in payloads are bounded where they are parsed: a forged "bc:start:99999999999999999999:"
# must fail to parse (→ "no longer valid"), not reach SQLite (OverflowError, no answer).
MAX_ID = 2**53
Id = Annotated[int, Field(ge=0, le=MAX_ID)]
Flag = Annotated[int, Field(ge=0, le=1)]
_SMALL_NUMBER = re.compile(r"[0-9]{1,4}")


def small_number(value: str) -> int | None:
    """A payload's small non-negative number (an option index, seconds), or None.

    ASCII digits only: `str.isdigit()` is true for "²" (which `int()` refuses) and `int()`
    accepts "-1" (a valid index from the end) and "٣"; a forged payload must match none.
    """
    return int(value) if _SMALL_NUMBER.fullmatch(value) else None


class CardCb(CallbackData, prefix="bc"):
    """The batch card: start, settings, cancel, and the settings choices."""

    action: str  # start | settings | back | cancel | aspect | outputs | model | dur | res | pairs
    batch_id: Id
    value: str = ""


class ClipCb(CallbackData, prefix="cl"):
    """Select or unselect one clip. `sel` is the state the button sets (not a flip), so a
    double tap lands on the same state instead of undoing itself."""

    batch_id: Id
    item_id: Id
    clip_id: Id
    sel: Flag


class ReviewCb(CallbackData, prefix="rv"):
    """Batch-wide review actions: upscale (preset choice), zip, retry of a failed item."""

    action: str  # upscale | preset | zip | retry | retry_ok | retry_no | back | flow1080
    batch_id: Id
    item_id: Id = 0
    value: str = ""


class QueueCb(CallbackData, prefix="q"):
    """Admin /queue: cancel a batch."""

    action: str  # cancel
    batch_id: Id


class UsersCb(CallbackData, prefix="u"):
    """Admin /users: remove an allowed user."""

    action: str  # remove
    user_id: Id


class TextCb(CallbackData, prefix="tv"):
    """A prompts file sent alone: make text-only videos of its prompts (held by the dialog)."""

    action: str  # make


class AuditCb(CallbackData, prefix="au"):
    """Admin /audit: show page `page` (0 = newest)."""

    page: Annotated[int, Field(ge=0, le=100_000)]


class ViewCb(CallbackData, prefix="rw"):
    """The review view of a batch (one message paging through its clips) and its contact sheet.

    `clip_id` names the clip a button acts on (the handler checks it is a ready clip of the
    batch); `value` is a selection state, a preset, a resolution, a ticket or a clip number.
    """

    action: str  # go | sel | all | up | pre | zip | zp | hd | ag | agok | np | npok | no | back | n
    batch_id: Id
    clip_id: Id = 0
    value: Annotated[str, Field(max_length=8)] = ""


ALL_FACTORIES = (CardCb, ClipCb, ReviewCb, QueueCb, UsersCb, TextCb, AuditCb, ViewCb)


class LangCb(CallbackData, prefix="lang"):
    """/language: the language picked (checked against i18n.LANGUAGES by the handler)."""

    code: Annotated[str, Field(max_length=8)]
