"""The contract between the pipeline and whatever drives Flow.

The pipeline only talks to a `FlowClient`. The real implementation drives Chromium through
Playwright (against Google Flow, or against flowsim with the same code path).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from bot.errors import FlowError

Aspect = Literal["16:9", "9:16"]
TileState = Literal["pending", "running", "done", "failed"]


@dataclass(frozen=True)
class GenerationRequest:
    """One Frames-to-Video submission: a start frame, a prompt and the settings to apply."""

    image_path: Path
    prompt: str
    aspect: Aspect = "9:16"
    outputs: int = 1
    model: str = "Veo 3.1 - Fast"


@dataclass(frozen=True)
class FlowHandle:
    """Everything needed to find a submitted generation again, even after a restart."""

    project_url: str
    tile_ids: tuple[str, ...]
    submitted_at: float
    prompt: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FlowHandle:
        data = json.loads(text)
        data["tile_ids"] = tuple(data["tile_ids"])
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

    async def download(self, handle: FlowHandle, tile_id: str, dest: Path) -> Path:
        """Save the tile's 720p MP4 to `dest` (verified with ffprobe) and return its path."""

    async def screenshot(self) -> bytes:
        """A PNG of the current page, for admins."""
