"""What Flow offers and what it costs (FLOW_2026.md §5, §11): the one price and capability table.

Every estimate, the batch card's settings keyboard, the per-item cap of the driver's money guard,
`/stats` and the CLI read this table. A row is a (model, plan) pair; it lists the durations and
resolutions that exist and the credits per output for each. Prices marked ``known=False`` are our
best guess (FLOW_2026 lists only one Omni price on Ultra): the money guard accepts the live quote
for those only within the per-item cap, and never for a known row that disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Plan = Literal["pro", "ultra"]
Kind = Literal["t2v", "i2v", "interpolation"]

OMNI = "Omni 1.1 Flash"
VEO_LITE = "Veo 3.1 - Lite"
VEO_LITE_LOW = "Veo 3.1 - Lite [Lower Priority]"
VEO_FAST = "Veo 3.1 - Fast"
VEO_QUALITY = "Veo 3.1 - Quality"

# Menu order of the model picker (FLOW_2026 §5); the lower-priority Lite exists on some accounts.
MODELS: tuple[str, ...] = (OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY, VEO_LITE_LOW)
PLANS: tuple[Plan, ...] = ("pro", "ultra")
# Our default is always set explicitly on the page; Flow's own default (Omni) is never assumed.
DEFAULT_MODEL = VEO_FAST
RESOLUTIONS = ("360p", "720p")
DURATIONS = (4, 6, 8, 10)


@dataclass(frozen=True)
class Offer:
    """What one model offers on one plan, and its price per output."""

    model: str
    plan: Plan
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    prices: dict[tuple[int, str], int]  # (seconds, resolution) -> credits per output
    known: frozenset[tuple[int, str]]  # combinations whose price is a measured fact

    def price(self, duration: int, resolution: str) -> int | None:
        """Credits per output, or None when the combination does not exist."""
        return self.prices.get((duration, resolution))

    @property
    def default_duration(self) -> int:
        return 8 if 8 in self.durations else self.durations[-1]

    @property
    def default_resolution(self) -> str:
        return "720p" if "720p" in self.resolutions else self.resolutions[-1]


def _flat(model: str, plan: Plan, durations: tuple[int, ...], credits: int) -> Offer:
    prices = {(d, "720p"): credits for d in durations}
    return Offer(model, plan, durations, ("720p",), prices, frozenset(prices))


def _omni(plan: Plan) -> Offer:
    p360 = dict(zip(DURATIONS, (4, 5, 6, 7), strict=True))
    p720 = dict(zip(DURATIONS, (7, 10, 12, 15), strict=True))
    prices = {(d, "360p"): c for d, c in p360.items()} | {(d, "720p"): c for d, c in p720.items()}
    # Pro: the whole grid was measured. Ultra: only 720p 8 s (12) was seen; we assume Pro's grid.
    known = frozenset(prices) if plan == "pro" else frozenset({(8, "720p")})
    return Offer(OMNI, plan, DURATIONS, RESOLUTIONS, prices, known)


_OFFERS: dict[tuple[str, Plan], Offer] = {
    (o.model, o.plan): o
    for o in (
        _omni("pro"),
        _omni("ultra"),
        _flat(VEO_LITE, "pro", (8,), 10),
        _flat(VEO_LITE, "ultra", (4, 6, 8), 5),
        _flat(VEO_FAST, "pro", (8,), 20),
        _flat(VEO_FAST, "ultra", (4, 6, 8), 10),
        _flat(VEO_QUALITY, "pro", (8,), 100),
        _flat(VEO_QUALITY, "ultra", (4, 6, 8), 100),
        _flat(VEO_LITE_LOW, "pro", (4,), 0),
    )
}


class UnknownOffer(ValueError):
    """A model/plan/duration/resolution combination Flow does not offer."""


def offer(model: str, plan: Plan) -> Offer:
    """The offer of `model` on `plan`; raises `UnknownOffer` if the plan lacks the model."""
    try:
        return _OFFERS[(model, plan)]
    except KeyError:
        raise UnknownOffer(f"{model} is not offered on the {plan} plan") from None


def models_for(plan: Plan) -> tuple[str, ...]:
    """Models the plan offers, in menu order."""
    return tuple(m for m in MODELS if (m, plan) in _OFFERS)


def credits_per_output(model: str, plan: Plan, duration: int, resolution: str) -> int:
    """Credits one output costs; raises `UnknownOffer` for a combination that does not exist."""
    price = offer(model, plan).price(duration, resolution)
    if price is None:
        raise UnknownOffer(f"{model} on {plan} has no {duration} s {resolution} option")
    return price


def is_known_price(model: str, plan: Plan, duration: int, resolution: str) -> bool:
    """Whether the price of this combination is a measured fact rather than our assumption."""
    return (duration, resolution) in offer(model, plan).known


def normalise(
    model: str, plan: Plan, duration: int | None, resolution: str | None,
) -> tuple[int, str]:
    """The nearest valid (duration, resolution) for `model` on `plan` (defaults fill gaps)."""
    o = offer(model, plan)
    d = duration if duration in o.durations else o.default_duration
    r = resolution if resolution in o.resolutions else o.default_resolution
    return d, r


# -- time -------------------------------------------------------------------------------------

# Typical render seconds of one clip on the real Flow, per model at 8 s (FLOW_2026 §8: Omni 6 s
# 720p ≈ 35 s, Veo 3.1 Fast 8 s ≈ 60 s; SPEC §1.3: Quality 2–5 min), and how many render seconds
# each second of clip adds or saves. Estimates only: peaks take minutes more.
_RENDER_AT_8S = {OMNI: 45.0, VEO_LITE: 50.0, VEO_LITE_LOW: 90.0, VEO_FAST: 60.0,
                 VEO_QUALITY: 210.0}
_RENDER_PER_S = {OMNI: 5.0, VEO_LITE: 5.0, VEO_LITE_LOW: 8.0, VEO_FAST: 6.0, VEO_QUALITY: 20.0}
# Browser time per submission (upload, settings, prompt, click), serialised on one page.
SUBMIT_OVERHEAD_S = 8.0
# A start+end clip uploads and binds two frames.
FRAME_OVERHEAD_S = 6.0


def render_seconds(model: str, duration: int = 8) -> float:
    """Typical seconds Flow takes to render one clip of `model` and `duration` seconds."""
    base = _RENDER_AT_8S.get(model, 90.0)
    return max(15.0, base + (duration - 8) * _RENDER_PER_S.get(model, 6.0))


def estimate(items: int, outputs: int, model: str, plan: Plan, duration: int, resolution: str,
             *, render_slots: int, render_s: float | None = None,
             frames_per_item: int = 1) -> tuple[int, float]:
    """(credits, seconds) for `items` prompts of `outputs` each, on an account with
    `render_slots` renders at once. `render_s` overrides the typical render time (the
    simulator); `frames_per_item` is 0 for text-to-video and 2 for start+end clips.

    Raises `UnknownOffer` for a combination the plan does not offer.
    """
    credits = items * outputs * credits_per_output(model, plan, duration, resolution)
    if items == 0:
        return 0, 0.0
    per = render_s if render_s is not None else render_seconds(model, duration)
    parallel = max(1, render_slots // max(1, outputs))
    rounds = -(-items // parallel)
    submit = SUBMIT_OVERHEAD_S + max(0, frames_per_item - 1) * FRAME_OVERHEAD_S
    seconds = rounds * per + items * submit / parallel
    return credits, seconds


def short_label(model: str) -> str:
    """A button-sized name: 'Omni Flash', 'Lite', 'Fast', 'Quality', 'Lite (low prio)'."""
    return {OMNI: "Omni Flash", VEO_LITE: "Lite", VEO_FAST: "Fast", VEO_QUALITY: "Quality",
            VEO_LITE_LOW: "Lite (low prio)"}.get(model, model)
