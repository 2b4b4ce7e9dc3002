"""The simulated Flow account: admission of submissions, the progress clock and the renders
(the rules themselves are flow.google.com's, in `flowsim/v2026/generate.py`)."""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
import uuid
from collections import Counter, deque
from dataclasses import replace
from pathlib import Path

from flowsim import persist, render, texts
from flowsim.model import Project, SimConfig, Tile, progress_steps
from flowsim.studio import Studio
from flowsim.v2026 import account, catalog, library

TICK = 0.1
SAVE_EVERY = 10  # ticks: with --state-dir, a crash loses at most about a second
WIRE_LOG_MAX = 20_000  # batchexecute calls kept for wire(); polls add one every 5 s per page


class Refused(Exception):
    """A submission the account turns away; `text` is the toast the page shows."""

    def __init__(self, text: str, reason: str):
        super().__init__(text)
        self.text, self.reason = text, reason


OPTIONAL_NUMBERS = {
    "generation_seconds", "upscale_seconds", "rate_limit_per_minute", "upscale_1080_seconds",
    "firewall_min_gap_s",
}
NUMBERS = {"upload_store_seconds", "search_lag_seconds", "unusual_clear_seconds"}
CHOICES = {
    "plan": catalog.PLANS, "cookie_bar": ("consent", "notice", "off"),
    "picker_mode": ("click_binds", "preview"), "build": catalog.BUILDS,
}


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_setting(key: str, value, default) -> None:
    """Refuse a setting of the wrong type or range before it breaks a later request."""
    if key == "unusual_activity":
        # True = always, N = the next N submits.
        ok = isinstance(value, bool) or (isinstance(value, int) and value >= 0)
    elif key == "blank_gap_ms":
        ok = (isinstance(value, list) and len(value) == 2 and all(_number(v) and v >= 0
                                                                    for v in value)
              and value[0] <= value[1])
    elif key in OPTIONAL_NUMBERS:
        ok = value is None or _number(value) and (key != "firewall_min_gap_s" or value >= 0)
    elif key in NUMBERS:
        ok = _number(value) and value >= 0
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise TypeError(f"{key}={value!r}")
    if key in CHOICES and value not in CHOICES[key]:
        raise ValueError(f"unknown {key} {value!r}")


class Sim:
    """All server-side state of one simulated Flow account."""

    def __init__(
        self, defaults: SimConfig, media_dir: Path, *, seed: int | None = None,
        state_file: Path | None = None,
    ):
        self.defaults = defaults
        self.state_file = state_file
        self.studio = Studio(media_dir)
        self.rng = random.Random(seed)
        self.session_token = secrets.token_urlsafe(24)
        self._tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every project, tile, counter and script; restore the start-up config."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if hasattr(self, "tiles"):
            self.studio.delete(self.tiles, self.media.values())
        self.config = replace(self.defaults)
        self.projects: dict[str, Project] = {}
        self.tiles: dict[str, Tile] = {}
        self.media: dict[str, Path] = {}
        self.credits_left = self.config.credits
        self.credits_spent = 0
        self.submissions = 0
        self.tiles_created = 0
        self.downloads: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.max_active = 0
        self.submission_log: list[dict] = []
        self.failure_script: deque[tuple[str, int]] = deque()
        self.session_valid = True
        self.truncate_next = False
        self._recent: deque[float] = deque()
        # flow.google.com's state (flowsim/v2026): the account, its upload library, the wire log.
        self.account = account.Account.fresh(self.config)
        self.library = library.Library()
        self.wire_log: deque[dict] = deque(maxlen=WIRE_LOG_MAX)

    def start(self) -> None:
        """Load the saved state if any and start the progress clock (from the running loop)."""
        if self.state_file and persist.restore(self, self.state_file):
            for tile in self.tiles.values():
                if tile.active and not tile.rendered and tile.fail_text is None and not tile.stuck:
                    self._spawn(self._render(tile))
        self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    async def stop(self) -> None:
        """Cancel the clock and every render in flight, and wait until FFmpeg is killed."""
        tasks = [t for t in [*self._tasks, self._ticker] if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.state_file:
            persist.save(self, self.state_file)

    def configure(self, **changes) -> None:
        """Apply control-API changes (all or none); `credits` also resets the balance."""
        for key, value in changes.items():
            if not hasattr(self.config, key):
                raise KeyError(key)
            check_setting(key, value, getattr(self.defaults, key))
        for key, value in changes.items():
            setattr(self.config, key, value)
        if "credits" in changes:
            self.credits_left = int(changes["credits"])
        account.apply_config(self.account, changes)

    # ---- projects and media ---------------------------------------------------------------
    def new_project(self) -> Project:
        """Create an empty project named like Flow names them."""
        now = time.time()
        title = time.strftime("%b %d - %H:%M", time.localtime(now))
        project = Project(str(uuid.uuid4()), title, now)
        self.projects[project.project_id] = project
        return project

    # ---- submissions ----------------------------------------------------------------------
    def active_count(self) -> int:
        """Tiles holding a render slot right now."""
        return sum(1 for t in self.tiles.values() if t.active)

    def too_quickly(self, now: float) -> bool:
        """True when the per-minute submission limit is reached at `now`."""
        while self._recent and now - self._recent[0] > 60:
            self._recent.popleft()
        limit = self.config.rate_limit_per_minute
        return limit is not None and len(self._recent) >= limit

    def admit(self, check) -> float:
        """Run `check` (raises Refused); count a refusal, or count the submission and return
        its time."""
        try:
            check()
        except Refused as refusal:
            self.refusals[refusal.reason] += 1
            raise
        now = time.time()
        self._recent.append(now)
        self.submissions += 1
        return now

    def log_submission(self, now: float, project_id: str, prompt: str, **extra) -> None:
        """Append to the submission log (control API `submissions()`)."""
        self._log(now, project_id, prompt, **extra)

    def _log(self, now: float, project_id: str, prompt: str, **extra) -> None:
        self.submission_log.append({"at": now, "project_id": project_id, "prompt": prompt, **extra})
        self.max_active = max(self.max_active, self.active_count())

    def charge(self, tile: Tile, cost: int) -> None:
        """Take `cost` credits for `tile` (refunded by `advance` if it fails)."""
        tile.cost = cost
        self.credits_left -= cost
        self.credits_spent += cost

    def start_tile(self, tile: Tile, now: float) -> None:
        """Give a charged tile a render slot: progress clock, scripted failure, FFmpeg."""
        tile.state = "pending"
        tile.started_at = now
        tile.duration = self.config.generation_duration(self.rng, tile.model)
        tile.steps = progress_steps(self.rng, tile.duration)
        tile.fail_text = tile.fail_at = None
        if tile.stuck:
            return  # never progresses, never renders: a stuck Pending tile
        if self.failure_script:
            tile.fail_text, tile.fail_at = self.failure_script.popleft()
        elif self.config.high_demand:
            tile.fail_text, tile.fail_at = texts.HIGH_DEMAND, 0
        if tile.fail_text is None and not tile.rendered:
            self._spawn(self._render(tile))

    def fail_next(self, count: int, text: str, at_percent: int) -> None:
        """Script the next `count` generations (tiles) to fail with `text` at `at_percent`."""
        text = texts.FAILURES.get(text, text)
        self.failure_script.extend([(text, int(at_percent))] * int(count))

    # ---- clock ----------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        ticks = 0
        while True:
            self.advance(time.time())
            ticks += 1
            if self.state_file and ticks % SAVE_EVERY == 0:
                persist.save(self, self.state_file)
            await asyncio.sleep(TICK)

    def advance(self, now: float) -> None:
        """Move every active tile to what it shows at `now`; queued tiles take freed slots."""
        queued = []
        for tile in self.tiles.values():
            if tile.state == "queued":
                queued.append(tile)
            elif tile.active and tile.advance(now) == "failed":
                # Failed generations are not charged (SPEC §1.2).
                self.credits_left += tile.cost
                self.credits_spent -= tile.cost
        if queued:
            free = self.config.slots - self.active_count()
            for tile in sorted(queued, key=lambda t: (t.created_at, t.output_index))[:max(0, free)]:
                self.start_tile(tile, now)
            self.max_active = max(self.max_active, self.active_count())

    # ---- media ----------------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def video_path(self, tile_id: str, quality: str = "720p") -> Path:
        """The file of a tile at `quality` (720p, 1080p or 270p)."""
        return self.studio.path(tile_id, quality)

    async def _render(self, tile: Tile) -> None:
        try:
            await self.studio.clip(tile, self.media.get(tile.start_media or ""),
                                   self.media.get(tile.end_media or ""))
        except render.RenderError as exc:
            # A broken render must not leave the tile at 99% forever: fail it visibly.
            print(f"flowsim: render of {tile.tile_id} failed: {exc}", file=sys.stderr)
            tile.fail_text, tile.fail_at = texts.SOMETHING_WRONG, 0
            return
        tile.rendered = True

    def start_upscale(self, tile_id: str, seconds: float | None = None,
                      size: str = "1080p") -> None:
        """Begin an upscale (`size` 1080p or 4K) of a done tile, ready after `seconds`
        (default: `SimConfig.upscale_duration`)."""
        tile = self.tiles[tile_id]
        field_name = "upscale" if size == "1080p" else "upscale_4k"
        if tile.state == "done" and getattr(tile, field_name) is None:
            setattr(tile, field_name, "running")
            if seconds is None:
                seconds = self.config.upscale_duration(self.rng)
            self._spawn(self._upscale(tile, seconds, size, field_name))

    async def _upscale(self, tile: Tile, seconds: float, size: str, field_name: str) -> None:
        started = time.monotonic()
        try:
            await self.studio.upscale(tile.tile_id, size)
        except render.RenderError as exc:
            print(f"flowsim: upscale of {tile.tile_id} failed: {exc}", file=sys.stderr)
            setattr(tile, field_name, None)
            return
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
        setattr(tile, field_name, "done")

    async def gif(self, tile_id: str) -> Path:
        """The 270p GIF, made on first request."""
        return await self.studio.gif(tile_id)

    async def download_bytes(self, tile_id: str, quality: str) -> bytes:
        """The bytes a download of `quality` (270p, 720p, 1080p, 4K) serves, counted by size;
        cut to half once after `truncate_next_download()`."""
        if quality == "270p":
            data = (await self.gif(tile_id)).read_bytes()
        else:
            data = self.video_path(tile_id, quality).read_bytes()
            if self.truncate_next:
                # A download cut short that still looks complete to the browser.
                self.truncate_next = False
                data = data[: len(data) // 2]
        self.downloads[quality] += 1
        return data

    # ---- reporting ------------------------------------------------------------------------
    def counters(self) -> dict:
        """Numbers tests use to prove nothing was submitted or charged twice."""
        return {
            "submissions": self.submissions,
            "tiles_created": self.tiles_created,
            "credits_spent": self.credits_spent,
            "credits_left": self.credits_left,
            "active_renders": self.active_count(),
            "max_active_renders": self.max_active,
            "refusals": dict(self.refusals),
            "downloads": dict(self.downloads),
            "projects": len(self.projects),
            "failure_script_left": len(self.failure_script),
            "session_valid": self.session_valid,
            "page_loads": self.account.page_loads,  # project pages served
        }
