"""How the pipeline tells the outside world what happened, without knowing about Telegram.

The Telegram layer and the CLI each implement `Notifier`. Every method must be safe to call
more than once for the same event (a crash can replay a notification) and must not raise:
a user who blocked the bot must not stop a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class BatchProgress:
    batch_id: int
    user_id: int
    chat_id: int | None
    counts: dict[str, int]          # item status -> count
    total: int
    eta_s: float | None
    failures: list[tuple[int, str]] = field(default_factory=list)  # (item position, reason)
    at: float | None = None          # when the event was made (clock): ETAs become clock times
    queue_place: int | None = None   # waiting behind other users' batches: its place in line
    queue_ahead: int = 0             # how many of their batches are ahead
    starts_in_s: float | None = None  # when it should start, while it waits


@dataclass(frozen=True)
class ClipInfo:
    clip_id: int
    variant: int
    path: Path
    size: int


@dataclass(frozen=True)
class ItemPreviews:
    batch_id: int
    item_id: int
    position: int
    user_id: int
    chat_id: int | None
    prompt: str
    clips: list[ClipInfo]


@dataclass(frozen=True)
class ItemFailed:
    batch_id: int
    item_id: int
    position: int
    user_id: int
    chat_id: int | None
    reason: str                     # plain words for the user
    error_code: str
    retryable_by_user: bool


@dataclass(frozen=True)
class UpscaleProgress:
    clip_id: int
    user_id: int
    chat_id: int | None
    percent: float
    eta_s: float | None


@dataclass(frozen=True)
class ClipUpscaled:
    clip_id: int
    batch_id: int
    user_id: int
    chat_id: int | None
    path: Path
    size: int
    label: str = "4K"               # "4K", or "1080p" for Flow's own upscale
    note: str | None = None         # e.g. why this is our upscale rather than Flow's


@dataclass(frozen=True)
class ExportReady:
    export_id: int
    batch_id: int
    user_id: int
    chat_id: int | None
    resolution: str
    parts: list[Path]


@dataclass(frozen=True)
class FileFailed:
    """A 4K upscale or a zip the user asked for could not be made, after its retries."""

    batch_id: int
    user_id: int
    chat_id: int | None
    what: str                       # "upscale" (ident = clip id) | "export" (ident = export id)
    ident: int
    reason: str


@dataclass(frozen=True)
class AdminAlert:
    kind: str                       # session_expired | credits | unusual_activity | unknown | resumed
    text: str                       # what happened
    action: str                     # what the admin should do
    screenshot: Path | None = None
    key: str | None = None          # the same for a replay of this alert (after a crash)


@dataclass(frozen=True)
class ModelRetired:
    """Work of a batch was held: its model is no longer offered (bot/pipeline/retirement.py).

    `since` is Flow's retirement day (ISO) or None; `nearest` the model offered instead with
    `credits` for what is left of the batch; `index` its place in `catalog.MODELS` (the one-tap
    switch button carries it)."""

    batch_id: int
    user_id: int
    chat_id: int | None
    model: str
    since: str | None
    nearest: str | None
    credits: int | None
    index: int | None


class Notifier(Protocol):
    async def batch_progress(self, event: BatchProgress) -> None: ...
    async def item_previews(self, event: ItemPreviews) -> None: ...
    async def item_failed(self, event: ItemFailed) -> None: ...
    async def batch_finished(self, event: BatchProgress) -> None: ...
    async def upscale_progress(self, event: UpscaleProgress) -> None: ...
    async def clip_upscaled(self, event: ClipUpscaled) -> None: ...
    async def export_ready(self, event: ExportReady) -> None: ...
    async def admin_alert(self, event: AdminAlert) -> None: ...
    # Optional (the pipeline calls it only where it exists): `file_failed(event: FileFailed)`,
    # `model_retired(event: ModelRetired)`.
