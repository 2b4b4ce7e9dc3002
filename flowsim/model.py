"""The simulator's data: configuration, projects and tiles (all in memory, owned by `Sim`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# The model a generation's time is drawn for when none is named (Veo 3.1 Fast's 60-120 s).
DEFAULT_MODEL = "Veo 3.1 - Fast"


@dataclass
class SimConfig:
    """What the control API can change at run time; `reset()` restores the start-up values."""

    generation_seconds: float | None = None  # None: 60-120 s per generation, like Veo 3.1 Fast
    upscale_seconds: float | None = None  # None: half a generation (1-3 min when realistic)
    slots: int = 5
    credits: int = 1000
    high_demand: bool = False
    rate_limit_per_minute: int | None = None
    unusual_activity: bool = False
    max_upload_bytes: int = 20 * 1024 * 1024
    # flow.google.com as users see it since September 2026 (docs/flowsim-2026-contract.md):
    # the account, the traps and the page timing.
    plan: str = "pro"  # pro | ultra: prices, durations and 4K (FLOW_2026 §9, §11)
    cookie_bar: str = "consent"  # consent | notice | off
    agent_panel: bool = True
    changelog: bool = True
    agent_chip: bool = False  # pressed at start; then remembered per account
    agent_only: bool = False
    upload_consent: bool = True  # the upload rights dialog is still to be accepted
    picker_mode: str = "click_binds"  # click_binds | preview
    upload_store_seconds: float = 0.5  # an upload reaches the picker (READY) after this
    search_lag_seconds: float = 0.0  # the picker search misses a stored upload this long
    trigger_swallow: bool = False
    radio_ignore_first: bool = False
    summary_lag_ms: int = 400
    model_rerender_ms: int = 300
    blank_gap_ms: list = field(default_factory=lambda: [300, 2000])
    upscale_1080_seconds: float | None = None  # None: generation time; negative: never
    unusual_clear_seconds: float = 10.0
    stuck_next: int = 0
    lower_priority_model: bool = False
    queue_limit: int = 10  # queued tiles allowed beyond the render slots
    # Flow's next build (a test of drift): for these rpc ids the result gains a new element at
    # position 2, moving what followed. The page is of that build and reads it; a reader that
    # keeps the old positions does not (Flow moves positions between builds, H).
    wire_drift: list = field(default_factory=list)
    # Flow's next build of the page (a test of drift, as `wire_drift` is of the wire): the New
    # project button loses its `new-project-button` class and the submit button its
    # `flow-generate-icon-button` wrapper, the markup the driver's primary selectors name; what
    # its fallbacks name stays, so the driver copes and `flowbot flow check` reports drift.
    page_drift: bool = False
    virtualise_after: int = 8
    remember_frames_mode: bool = True
    poll_ms: int = 5000  # how often the page polls jwpduf
    # ASSUMPTION (no capture shows an idle page): with nothing rendering, how often the page
    # re-reads the project's listing (Zzl0ze) and balance (nzlxg), which is how it follows a
    # reset, an expired session and clips made elsewhere. Correctable by an idle capture.
    idle_poll_ms: int = 5000
    # Submits are recorded at once and answered this late: real Flow replies 4-5 s after the
    # click (FLOW_2026 §7, H). Tests that need speed set it low explicitly.
    submit_reply_ms: int = 4500
    # FLOW_2026 §5 (M): Flow may silently switch to a compatible model when the chosen one
    # lacks a feature. On: Veo 3.1 - Quality has no Ingredients key and the page bills
    # Veo 3.1 - Fast instead, without a word.
    compatible_model_switch: bool = False
    # FLOW_2026 §5 (L): the price may render only after hovering near the submit button.
    price_after_hover: bool = False
    # Which Flow build plays (docs/flowsim-2026-contract.md, "December build"): "december"
    # (Omni 1.2 Flash + Veo 3.1 - Lite, the retirements of 2026-12-07) or "october" (Omni 1.1,
    # Veo Lite/Fast/Quality, as flowsim played it until issue 17).
    build: str = "december"
    # December's traps (FLOW_2026 "December 2026" 7), each off by default:
    # a submit sooner than this many seconds after the previous one is Google's front-end 403.
    firewall_min_gap_s: float | None = None
    poll_refusal_next: int = 0  # the next N jwpduf replies are a refusal frame
    upload_reply_lost_next: int = 0  # the next N uploads are saved but their reply is lost
    model_picker_hidden: bool = False  # the settings popover's model row is hidden
    translate_bar: bool = False  # a vi/ko page looks translated by Chrome (font wrappers)
    upscale_unusual_activity_next: int = 0  # the next N Qq9xPa calls: unusual activity

    def generation_duration(self, rng: random.Random, model: str = DEFAULT_MODEL) -> float:
        """Seconds one generation takes under the current time scale (SPEC §1.3 when unset)."""
        if self.generation_seconds is not None:
            return float(self.generation_seconds)
        if "Omni" in model:
            return rng.uniform(25.0, 45.0)  # FLOW_2026 §8: Omni 6 s 720p took about 35 s
        return rng.uniform(120.0, 300.0) if "Quality" in model else rng.uniform(60.0, 120.0)

    def upscale_duration(self, rng: random.Random) -> float:
        """Seconds a 1080p upscale takes before "Upscaling complete!" shows."""
        if self.upscale_seconds is not None:
            return float(self.upscale_seconds)
        if self.generation_seconds is not None:
            return self.generation_seconds / 2
        return rng.uniform(60.0, 180.0)


@dataclass
class Project:
    """A Flow project: a title and its tiles, newest first."""

    project_id: str
    title: str
    created_at: float
    tile_ids: list[str] = field(default_factory=list)


@dataclass
class Tile:
    """One output of one prompt, from submission to done or failed."""

    tile_id: str
    project_id: str
    batch_id: str
    prompt: str
    model: str
    aspect: str
    output_index: int
    outputs: int
    created_at: float
    start_media: str | None = None
    state: str = "pending"  # pending | running | done | failed | queued (no slot yet)
    percent: int | None = None
    finished_at: float | None = None
    error: str | None = None
    attempt: int = 1
    started_at: float = 0.0  # start of the current attempt (Retry restarts the clock)
    duration: float = 60.0
    steps: list[tuple[float, int]] = field(default_factory=list)  # (seconds in, percent)
    fail_text: str | None = None
    fail_at: int | None = None
    cost: int = 0
    rendered: bool = False
    upscale: str | None = None  # None | running | done
    # What the wire asked for.
    clip_seconds: int = 8
    resolution: str = "720p"
    model_key: str = ""
    kind: str | None = None  # t2v | i2v | fl
    end_media: str | None = None
    stuck: bool = False  # stays pending forever (configure(stuck_next=N))
    upscale_4k: str | None = None  # None | running | done
    agent: bool = False  # sent from the agent composer (its failure offers only Delete)
    references: list[str] = field(default_factory=list)  # Ingredients (MZZa6b) media ids
    # flow2026 wire (flowsim/v2026/records.py): the workflow item that holds the clip, the
    # page's client request id, the rich prompt runs as sent, the model's seed, and when the
    # submit was answered.
    item_id: str = ""
    client_request_id: str | None = None
    runs: list = field(default_factory=list)
    seed: int = 0
    submitted_at: float | None = None

    @property
    def active(self) -> bool:
        """Pending or running: the tile holds a render slot."""
        return self.state in ("pending", "running")

    def advance(self, now: float) -> str:
        """Move to what the tile shows at `now` (percent steps, scripted failure, done)."""
        if self.stuck:
            return self.state
        elapsed = now - self.started_at
        shown = [pct for t, pct in self.steps if t <= elapsed]
        if self.fail_text is not None:
            reached = [p for p in shown if p >= self.fail_at]
            if self.fail_at <= 0 and elapsed >= min(1.0, self.duration * 0.03):
                return self._fail(now, None)
            if self.fail_at > 0 and reached:
                # The percentage stays on screen next to the error, as in Flow.
                return self._fail(now, reached[0])
        if shown:
            self.state, self.percent = "running", shown[-1]
        # Done needs both the time elapsed and the clip rendered (it waits at 99% otherwise).
        if elapsed >= self.duration and self.rendered and self.fail_text is None:
            self.state, self.percent, self.finished_at = "done", 100, now
        return self.state

    def _fail(self, now: float, percent: int | None) -> str:
        self.state, self.percent, self.error, self.finished_at = "failed", percent, self.fail_text, now
        return self.state

    def public(self) -> dict:
        """The tile as the control API shows it (no internals)."""
        # Built by hand: asdict() would deep-copy the step list.
        return {name: getattr(self, name) for name in PUBLIC_FIELDS}


PUBLIC_FIELDS = (
    "tile_id", "project_id", "batch_id", "prompt", "model", "aspect", "output_index", "outputs",
    "created_at", "start_media", "state", "percent", "finished_at", "error", "attempt",
    "rendered", "upscale", "clip_seconds", "resolution", "model_key", "kind", "end_media",
    "stuck", "upscale_4k", "agent", "references", "item_id", "client_request_id",
)


def progress_steps(rng: random.Random, duration: float) -> list[tuple[float, int]]:
    """Irregular percentage steps (3%, 9%, 14% ...) spread over the generation time."""
    percents: list[int] = []
    value = rng.randint(1, 5)
    while value < 99:
        percents.append(value)
        value += rng.randint(2, 11)
    percents.append(99)
    gaps = [rng.uniform(0.5, 1.5) for _ in percents]
    span = duration * 0.92
    total = sum(gaps)
    steps, t = [], duration * 0.05
    for gap, pct in zip(gaps, percents, strict=True):
        steps.append((t, pct))
        t += span * gap / total
    return steps
