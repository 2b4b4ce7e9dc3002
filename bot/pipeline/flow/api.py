"""The contract between the pipeline and whatever drives Flow.

The pipeline only talks to a `FlowClient`. The real implementation drives Chromium through
Playwright (against Google Flow, or against flowsim with the same code path).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal, Protocol

from bot.errors import FlowError

Aspect = Literal["16:9", "9:16"]
TileState = Literal["pending", "running", "done", "failed"]


@dataclass(frozen=True)
class GenerationRequest:
    """One submission: a prompt, optional start (and end) frame and every setting to apply.

    No start frame = text-to-video; start and end frame = an interpolation clip; a start frame
    alone = image-to-video. `max_credits` caps what the money guard lets this one click spend.
    """

    image_path: Path | None
    prompt: str
    aspect: Aspect = "9:16"
    outputs: int = 1
    model: str = "Veo 3.1 - Fast"
    duration: int = 8
    resolution: str = "720p"
    end_image_path: Path | None = None
    max_credits: int | None = None

    @property
    def kind(self) -> str:
        """'t2v', 'i2v' or 'interpolation' (what Flow bills, FLOW_2026 §7)."""
        if self.image_path is None:
            return "t2v"
        return "interpolation" if self.end_image_path is not None else "i2v"


@dataclass(frozen=True)
class FlowHandle:
    """Everything needed to find a submitted generation again, even after a restart.

    On the 2026 UI `tile_ids` are the media ids the page's own submit reply reported, and the
    optional fields are the proof of what was billed, read from the page's submit request
    (`kind`: t2v/i2v/interpolation, `frame_media_ids`: start [, end] frame media ids,
    `model_key`, `duration` in seconds, `count` of outputs, `credits` quoted before the click).
    They stay None on handles stored without them (older drivers, rows from before they existed).
    """

    project_url: str
    tile_ids: tuple[str, ...]
    submitted_at: float
    prompt: str
    kind: str | None = None
    frame_media_ids: tuple[str, ...] = ()
    model_key: str | None = None
    duration: int | None = None
    count: int | None = None
    credits: int | None = None
    ui: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def billed(self) -> dict:
        """The proof of what was billed, as a JSON-able dict (empty on handles stored without it)."""
        if self.kind is None:
            return {}
        return {"kind": self.kind, "frame_media_ids": list(self.frame_media_ids),
                "model_key": self.model_key, "duration": self.duration, "count": self.count,
                "credits": self.credits, "ui": self.ui}

    @classmethod
    def from_json(cls, text: str) -> FlowHandle:
        """Read a handle written by any version (unknown keys ignored, new ones optional)."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["tile_ids"] = tuple(data["tile_ids"])
        data["frame_media_ids"] = tuple(data.get("frame_media_ids") or ())
        return cls(**data)


@dataclass(frozen=True)
class TileStatus:
    """What one output tile shows right now."""

    tile_id: str
    state: TileState
    percent: int | None = None
    video_url: str | None = None
    error: FlowError | None = None

    @property
    def terminal(self) -> bool:
        return self.state in ("done", "failed")


@dataclass(frozen=True)
class SessionInfo:
    """The signed-in state of the Flow account as last seen."""

    signed_in: bool
    credits: int | None = None
    detail: str = ""
    checked_at: float = 0.0
    extra: dict = field(default_factory=dict)


# Called right after the Create click with the new handle, before anything else happens.
OnSubmitted = Callable[[FlowHandle], Awaitable[None]]
ProgressCallback = Callable[[list[TileStatus]], Awaitable[None]]


class FlowClient(Protocol):
    """What the pipeline needs from Flow. All methods raise `bot.errors.FlowError` subclasses."""

    async def start(self) -> None:
        """Launch the browser and load the saved session."""

    async def close(self) -> None:
        """Save the session and close the browser."""

    async def check_session(self) -> SessionInfo:
        """Open Flow and report whether we are signed in (never raises SessionExpiredError)."""

    async def submit(self, request: GenerationRequest) -> FlowHandle:
        """Upload, apply settings, fill the prompt, click Create; return the handle at once.

        Does not wait for the render. Raises before clicking when anything is off (settings
        read-back mismatch, insufficient credits, slots full, session expired).
        """

    async def poll(self, handle: FlowHandle) -> list[TileStatus]:
        """One look at the handle's tiles, without waiting (reattaches after a restart)."""

    async def find_submission(self, prompt: str, after: float) -> FlowHandle | None:
        """Look for tiles of `prompt` created after `after` (reconciles a crash after clicking)."""

    def was_clicked(self, prompt: str, after: float) -> bool:
        """Whether a paid click for `prompt` happened at or after `after` (recorded before it):
        a submission that `find_submission` cannot find is then held, never submitted again."""

    async def download(
        self, handle: FlowHandle, tile_id: str, dest: Path, size: str = "720p",
    ) -> Path:
        """Save the tile's MP4 of `size` to `dest` (verified with ffprobe) and return its path.

        "720p" is the original. "1080p" is Flow's own free upscale, rendered on demand: it waits
        a bounded time and raises `RetryableFlowError(code="upscale_timeout")` when it never comes,
        so the caller can fall back to a local upscale. A failed download never resubmits.
        """

    async def survey(self) -> dict:
        """What the account can buy now, read from the page without spending (a survey
        baseline, `bot/pipeline/flow/survey.py`; `catalog.learn` turns it into the catalogue)."""

    async def screenshot(self) -> bytes:
        """A PNG of the current page, for admins."""

    @property
    def queue_room(self) -> int:
        """Outputs that may wait in Flow's own queue beyond the render slots (0: none)."""

    @property
    def overlaps_submits(self) -> bool:
        """Whether a submit of another prompt may start while one waits for Flow's answer."""
