"""What Flow offers and what it costs: our knowledge, and what the account offers now.

Two layers (FLOW_2026.md "December 2026", §5, §11):

* **Our knowledge** (`fallback_offer`, the table below): every model we know on every plan,
  its durations (a list of radios, or for a slider model any whole number in `duration_range`),
  resolutions and the credits per output of each combination. Prices marked ``known=False`` are
  our best guess: the money guard accepts the live quote for those only within the per-item cap,
  and never for a known price that disagrees. Retired models keep their rows: a learned catalogue
  may still list them (the simulator's October build does), and their clips are still priced.
* **What the account offers now** (`models_for`, `offer`, `is_offered`): the catalogue learned
  from the page by the driver's survey walk (`install`, see `bot/pipeline/catalog_learned.py`)
  where there is one for the plan, else our knowledge minus what Flow retired (`RETIRED`) on or
  before the day asked about. The card, `/settings`, estimates, budgets and the CLI read this.

A model the account no longer offers is never swapped silently: `gone()` tells a retirement
apart from "never on this plan", `nearest()` names what to offer instead, and the services hold
the work until its owner taps the switch (`bot/pipeline/retirement.py`).

Every function that depends on the day takes `now` (epoch seconds from the caller's injected
clock); without it the clock given to `set_clock` is used, else the machine's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.pipeline.catalog_learned import LearnedCatalog

Plan = Literal["free", "pro", "ultra"]
Kind = Literal["t2v", "i2v", "interpolation"]

OMNI = "Omni 1.1 Flash"
OMNI_12 = "Omni 1.2 Flash"
VEO_LITE = "Veo 3.1 - Lite"
VEO_LITE_LOW = "Veo 3.1 - Lite [Lower Priority]"
VEO_FAST = "Veo 3.1 - Fast"
VEO_QUALITY = "Veo 3.1 - Quality"

# Every model name we know. Append only: card and /settings buttons carry an index into it, so a
# button drawn before an upgrade still names the same model after it.
MODELS: tuple[str, ...] = (OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY, VEO_LITE_LOW, OMNI_12)
# The order offers are shown in (the model picker's, newest Omni first; FLOW_2026 §5).
MENU_ORDER: tuple[str, ...] = (OMNI_12, OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY, VEO_LITE_LOW)
PLANS: tuple[Plan, ...] = ("free", "pro", "ultra")
# Our default is always set explicitly on the page; Flow's own default is never assumed.
# Veo 3.1 - Lite: the cheapest Veo, what a Fast user gets after 2026-12-07; where the account
# lacks it (the free plan), Omni 1.2 Flash (`default_model`).
DEFAULT_MODEL = VEO_LITE
DEFAULT_CHAIN: tuple[str, ...] = (VEO_LITE, OMNI_12)
RESOLUTIONS = ("360p", "720p")
DURATIONS = (4, 6, 8, 10)  # the radios of Omni 1.1 (October)
# Bounds of any duration a clip of any model can have (a slider's 3–15 s included): a number
# outside them is refused before any lookup.
MIN_DURATION, MAX_DURATION = 3, 15
# The duration buttons a slider model gets on the card (within its range), plus "other…".
DURATION_PRESETS = (4, 6, 8, 10, 12, 15)
# The free plan: 50 credits a day (flow_delta_2026-12 §2 "Plans", M).
FREE_DAILY_CREDITS = 50

# Flow's own retirement dates (FLOW_2026 "December 2026" §1, M): from this day on the model is
# not offered, unless a catalogue learned from the page on or after that day still lists it.
RETIRED: dict[str, date] = {
    OMNI: date(2026, 12, 7),
    VEO_FAST: date(2026, 12, 7),
    VEO_QUALITY: date(2026, 12, 7),
}
# What to offer instead of a retired model (never applied without the owner's tap).
_NEAREST = {VEO_FAST: VEO_LITE, VEO_QUALITY: VEO_LITE, OMNI: OMNI_12}


@dataclass(frozen=True)
class Offer:
    """What one model offers on one plan, and its price per output.

    `durations` lists every whole second the model takes: the radios of a Veo model, or every
    number of a slider model's `duration_range` (min, max) — the card offers a few presets of a
    range plus "other…", never a radio per second. `end_frame_max` is the longest clip that can
    have an end frame (start+end pairs); None: any of its durations.
    """

    model: str
    plan: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    prices: dict[tuple[int, str], int]  # (seconds, resolution) -> credits per output
    known: frozenset[tuple[int, str]]  # combinations whose price is a measured fact
    duration_range: tuple[int, int] | None = None
    end_frame_max: int | None = None

    def price(self, duration: int, resolution: str) -> int | None:
        """Credits per output, or None when the combination does not exist."""
        return self.prices.get((duration, resolution))

    def allows(self, duration: object) -> bool:
        return isinstance(duration, int) and not isinstance(duration, bool) and \
            duration in self.durations

    def end_frame_ok(self, duration: int) -> bool:
        """Whether a clip of `duration` seconds may have an end frame (start+end pairs)."""
        return self.end_frame_max is None or duration <= self.end_frame_max

    def presets(self) -> tuple[int, ...]:
        """The duration buttons: every radio, or a slider's presets within its range."""
        if self.duration_range is None:
            return self.durations
        lo, hi = self.duration_range
        return tuple(p for p in DURATION_PRESETS if lo <= p <= hi)

    @property
    def default_duration(self) -> int:
        return 8 if 8 in self.durations else self.durations[-1]

    @property
    def default_resolution(self) -> str:
        return "720p" if "720p" in self.resolutions else self.resolutions[-1]


# -- our knowledge ------------------------------------------------------------------------------

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


OMNI_12_FREE_MAX = 10  # durations over 10 s need Pro or Ultra (December §2, H)
OMNI_12_END_FRAME_MAX = 10  # start + end frame only up to 10 s; 11–15 s a start frame only


def omni12_credits(seconds: int, resolution: str) -> int:
    """Omni 1.2 Flash's per-second price (December §4): at 720p 3 credits a second for the
    first 10 s and 6 for each second beyond (8 s = 24, 15 s = 60; M, one paid API measured it).
    360p is a guess (one report: 4 s = 4 credits, L): 1 a second, 2 beyond 10 s."""
    per = 3 if resolution == "720p" else 1
    return per * min(seconds, 10) + 2 * per * max(0, seconds - 10)


def _omni12(plan: Plan) -> Offer:
    hi = OMNI_12_FREE_MAX if plan == "free" else MAX_DURATION
    durations = tuple(range(MIN_DURATION, hi + 1))
    prices = {(d, r): omni12_credits(d, r) for d in durations for r in RESOLUTIONS}
    known = frozenset(k for k in prices if k[1] == "720p")  # 360p: guessed
    return Offer(OMNI_12, plan, durations, RESOLUTIONS, prices, known,
                 duration_range=(MIN_DURATION, hi), end_frame_max=OMNI_12_END_FRAME_MAX)


_OFFERS: dict[tuple[str, str], Offer] = {
    (o.model, o.plan): o
    for o in (
        _omni12("free"),
        _omni12("pro"),
        _omni12("ultra"),
        # ASSUMPTION: Veo 3.1 - Lite is not on the free plan (no source lists it there; the free
        # plan is known for Omni 1.2 up to 10 s). A learned catalogue that lists it wins.
        _flat(VEO_LITE, "pro", (8,), 10),
        _flat(VEO_LITE, "ultra", (4, 6, 8), 5),
        # The Ultra ($199.99) entitlement, not random accounts (December §1, H); an Ultra account
        # without it does not list it, so the card offers it only where the page did.
        _flat(VEO_LITE_LOW, "ultra", (4, 6, 8), 0),
        # October's models, retired on 2026-12-07 (`RETIRED`), prices unchanged.
        _omni("pro"),
        _omni("ultra"),
        _flat(VEO_FAST, "pro", (8,), 20),
        _flat(VEO_FAST, "ultra", (4, 6, 8), 10),
        _flat(VEO_QUALITY, "pro", (8,), 100),
        _flat(VEO_QUALITY, "ultra", (4, 6, 8), 100),
    )
}
# Offered only where a learned catalogue lists them (an entitlement some accounts of the plan lack).
ENTITLEMENT_ONLY = frozenset({VEO_LITE_LOW})


class UnknownOffer(ValueError):
    """A model/plan/duration/resolution combination Flow does not offer."""


def fallback_offer(model: str, plan: str) -> Offer:
    """Our knowledge of `model` on `plan` (retired models included); `UnknownOffer` if none."""
    try:
        return _OFFERS[(model, plan)]
    except KeyError:
        raise UnknownOffer(f"{model} is not offered on the {plan} plan") from None


def rule_price(model: str, plan: str, duration: int, resolution: str) -> int | None:
    """Credits per output by our rules (the table, Omni 1.2's per-second price), or None."""
    if model == OMNI_12 and resolution in RESOLUTIONS and MIN_DURATION <= duration <= MAX_DURATION:
        return omni12_credits(duration, resolution)
    found = _OFFERS.get((model, plan))
    return found.price(duration, resolution) if found is not None else None


def widest_range(model: str) -> tuple[int, int] | None:
    """The widest duration range `model` has on any plan (to say "needs Pro or Ultra")."""
    ranges = [o.duration_range for (m, _p), o in _OFFERS.items()
              if m == model and o.duration_range is not None]
    return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None


# -- what the account offers now ---------------------------------------------------------------

_learned: LearnedCatalog | None = None
_clock: Clock | None = None


def install(learned: LearnedCatalog | None) -> None:
    """Make `learned` (from `catalog_learned.learned_from_survey`) what every consumer offers for
    its plan; None goes back to our knowledge alone. The composition roots install the stored one
    at start-up; `learn()` installs each new survey."""
    global _learned
    _learned = learned


def installed() -> LearnedCatalog | None:
    return _learned


def set_clock(clock: Clock | None) -> None:
    """The clock whose day decides retirements where a caller passes no `now`."""
    global _clock
    _clock = clock


def today(now: float | None = None) -> date:
    """The UTC day of `now`, else of the clock given to `set_clock`, else of the machine."""
    if now is None:
        now = _clock.now() if _clock is not None else time.time()
    return datetime.fromtimestamp(now, UTC).date()


def retired_on(model: str) -> date | None:
    """The day Flow retired `model`, or None (not retired, or we know no date)."""
    return RETIRED.get(model)


def _retired_by(model: str, day: date) -> bool:
    when = RETIRED.get(model)
    return when is not None and day >= when


def _learned_for(plan: str) -> LearnedCatalog | None:
    learned = _learned
    return learned if learned is not None and learned.covers(plan) else None


def models_for(plan: str, now: float | None = None) -> tuple[str, ...]:
    """The models the account offers now on `plan`, in menu order (names we know only: the
    driver has no key grammar for others).

    A learned catalogue for the plan decides; a model it lists stays offered after its retirement
    date only if the survey was taken on or after that day (the page still showed it). Without
    one: our knowledge minus what was retired by the day of `now`, and minus entitlements some
    accounts of the plan lack (`ENTITLEMENT_ONLY`).
    """
    day = today(now)
    learned = _learned_for(plan)
    if learned is not None:
        taken = learned.taken_on
        listed = [m for m in learned.models if m in MODELS and learned.offer(m, plan) is not None
                  and not (_retired_by(m, day) and (taken is None or taken < RETIRED[m]))]
    else:
        listed = [m for m in MODELS if (m, plan) in _OFFERS and not _retired_by(m, day)
                  and m not in ENTITLEMENT_ONLY]
    return tuple(sorted(set(listed), key=MENU_ORDER.index))


def is_offered(model: str, plan: str, now: float | None = None) -> bool:
    return model in models_for(plan, now)


def is_learned(plan: str) -> bool:
    """Whether a catalogue learned from the page speaks for `plan` (else our knowledge does)."""
    return _learned_for(plan) is not None


def gone(model: str, plan: str, now: float | None = None) -> bool:
    """Whether `model` is no longer offered on `plan` although it was: retired by Flow (by the
    day of `now`), or missing from the learned catalogue while our knowledge has it on the plan.
    A model that was never on the plan (a plan change) is not "gone"."""
    if model not in MODELS or (model, plan) not in _OFFERS or is_offered(model, plan, now):
        return False
    if _retired_by(model, today(now)):
        return True
    return is_learned(plan) and model not in ENTITLEMENT_ONLY


def nearest(model: str, plan: str, now: float | None = None) -> str | None:
    """What to offer instead of `model` on `plan` (Fast/Quality → Veo 3.1 - Lite; Omni 1.1 Flash
    → Omni 1.2 Flash; else our default), if offered now; None when the plan offers nothing."""
    offered = models_for(plan, now)
    for candidate in (_NEAREST.get(model), *DEFAULT_CHAIN):
        if candidate is not None and candidate in offered and candidate != model:
            return candidate
    return next((m for m in offered if m != model), None)


def default_model(plan: str, now: float | None = None, preferred: str | None = None) -> str:
    """The model new work uses: `preferred` (FLOW_DEFAULT_MODEL) where the account offers it,
    else Veo 3.1 - Lite, else Omni 1.2 Flash (the free plan), else the first offered."""
    offered = models_for(plan, now)
    for candidate in (preferred, *DEFAULT_CHAIN):
        if candidate is not None and candidate in offered:
            return candidate
    return offered[0] if offered else DEFAULT_MODEL


def offer(model: str, plan: str) -> Offer:
    """The offer of `model` on `plan`: the learned catalogue's where it lists the model, else our
    knowledge (retired rows included, so their work is still priced); `UnknownOffer` if neither."""
    learned = _learned_for(plan)
    found = learned.offer(model, plan) if learned is not None else None
    return found if found is not None else fallback_offer(model, plan)


def credits_per_output(model: str, plan: str, duration: int, resolution: str) -> int:
    """Credits one output costs; raises `UnknownOffer` for a combination that does not exist."""
    price = offer(model, plan).price(duration, resolution)
    if price is None:
        raise UnknownOffer(f"{model} on {plan} has no {duration} s {resolution} option")
    return price


def is_known_price(model: str, plan: str, duration: int, resolution: str) -> bool:
    """Whether the price of this combination is a measured fact rather than our assumption."""
    return (duration, resolution) in offer(model, plan).known


def normalise(
    model: str, plan: str, duration: int | None, resolution: str | None,
) -> tuple[int, str]:
    """The nearest valid (duration, resolution) for `model` on `plan` (defaults fill gaps)."""
    o = offer(model, plan)
    d = duration if o.allows(duration) else o.default_duration
    r = resolution if resolution in o.resolutions else o.default_resolution
    return d, r  # type: ignore[return-value]


# -- time -------------------------------------------------------------------------------------

# Typical render seconds of one clip on the real Flow, per model at 8 s (FLOW_2026 §8: Omni 6 s
# 720p ≈ 35 s, Veo 3.1 Fast 8 s ≈ 60 s; SPEC §1.3: Quality 2–5 min), and how many render seconds
# each second of clip adds or saves. Omni 1.2 scales with the clip (≈ 35 s per 6 s of clip).
# Estimates only: peaks take minutes more.
_OMNI_12_PER_S = 35.0 / 6.0
_RENDER_AT_8S = {OMNI: 45.0, OMNI_12: 8 * _OMNI_12_PER_S, VEO_LITE: 50.0, VEO_LITE_LOW: 90.0,
                 VEO_FAST: 60.0, VEO_QUALITY: 210.0}
_RENDER_PER_S = {OMNI: 5.0, OMNI_12: _OMNI_12_PER_S, VEO_LITE: 5.0, VEO_LITE_LOW: 8.0,
                 VEO_FAST: 6.0, VEO_QUALITY: 20.0}
# Browser time per submission (upload, settings, prompt, click), serialised on one page.
SUBMIT_OVERHEAD_S = 8.0
# A start+end clip uploads and binds two frames.
FRAME_OVERHEAD_S = 6.0


def render_seconds(model: str, duration: int = 8) -> float:
    """Typical seconds Flow takes to render one clip of `model` and `duration` seconds."""
    base = _RENDER_AT_8S.get(model, 90.0)
    return max(15.0, base + (duration - 8) * _RENDER_PER_S.get(model, 6.0))


def estimate(items: int, outputs: int, model: str, plan: str, duration: int, resolution: str,
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
    """A button-sized name: 'Omni 1.2', 'Omni 1.1', 'Lite', 'Fast', 'Quality', 'Lite (low prio)'."""
    return {OMNI: "Omni 1.1", OMNI_12: "Omni 1.2", VEO_LITE: "Lite", VEO_FAST: "Fast",
            VEO_QUALITY: "Quality", VEO_LITE_LOW: "Lite (low prio)"}.get(model, model)


# -- learning ----------------------------------------------------------------------------------

async def learn(baseline: dict[str, Any], store: Any) -> LearnedCatalog:
    """The survey callers' hook: turn a survey baseline (`bot/pipeline/flow/survey.py`) into the
    learned catalogue, store it with its date and Flow's build label (`store`: a
    `catalog_learned.CatalogStore` or a `Database`) and install it. Returns it."""
    from bot.pipeline import catalog_learned

    learned = catalog_learned.learned_from_survey(baseline)
    if not isinstance(store, catalog_learned.CatalogStore):
        store = catalog_learned.CatalogStore(store)
    await store.save(learned)
    install(learned)
    return learned
