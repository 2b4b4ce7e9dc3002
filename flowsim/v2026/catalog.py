"""flowsim's own price and capability table of flow2026 (FLOW_2026 §11) and its model keys in
Flow's real grammar. Never imported from bot/: the simulator must not agree with the bot by
construction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# r2v = Ingredients ("reference to video", MZZa6b): the name public tools use for its keys.
KINDS = ("t2v", "i2v", "fl", "r2v")
RPC_KINDS = {"YhhmEf": "t2v", "eb1hJf": "i2v", "nprQif": "fl", "MZZa6b": "r2v"}
WIRE_KINDS = {"t2v": "t2v", "i2v": "i2v", "fl": "interpolation", "r2v": "ingredients"}
MAX_REFERENCES = 3  # public tools send 1-3 reference images with MZZa6b (October's models)
ASPECTS = ("16:9", "9:16")  # the key says 9:16 with `_portrait`; no other aspect on the wire
# Long side x short side of each resolution; the aspect decides which is the width.
RESOLUTION_SIZES = {"360p": (640, 360), "720p": (1280, 720)}
UPSCALE_4K_CREDITS = 50  # FLOW_2026 §9: 4K costs credits where offered (Ultra)
PLANS = ("free", "pro", "ultra")

# ---- builds (docs/flowsim-2026-contract.md, "December build") ------------------------------------
# Flow's October build (what flowsim played until issue 17) and its December build (after the
# retirements of 2026-12-07, FLOW_2026 "December 2026"); configure(build=…) picks one.
BUILDS = ("october", "december")
DEFAULT_BUILD = "december"
RETIRED_ON = date(2026, 12, 7)  # M: Flow's own catalogue moved the date from 12-05 to 12-07
# FLOW_2026 §5 (M) for October; December: ASSUMPTION (FLOW_2026 Dec. 5: unknown, likely Omni 1.2).
DEFAULT_MODELS = {"october": "Omni 1.1 Flash", "december": "Omni 1.2 Flash"}


@dataclass(frozen=True)
class Model:
    """One entry of the model menu: its label, key family and per-plan offer."""

    label: str
    family: str  # "omni" | "veo": which key grammar (`model_key`)
    durations: dict[str, tuple[int, ...]]  # plan -> seconds offered
    resolutions: tuple[str, ...]
    prices: dict[str, dict[str, int]]  # plan -> "seconds/resolution" -> credits per output
    tier: str | None = None  # Veo: lite | fast | quality
    low_priority: bool = False  # Veo 3.1 - Lite [Lower Priority]
    optional: bool = False  # listed only with configure(lower_priority_model=True)
    # configure(compatible_model_switch=True): this model has no Ingredients key and Flow
    # silently uses `r2v_fallback` instead (FLOW_2026 §5, M).
    r2v_fallback: str | None = None
    # The id of the model in Flow's catalogue calls (HTrJv / yBhWQ: "abra", "veo_3_1_lite", H
    # for October's; December's new ones ASSUMPTION).
    catalogue_id: str = ""
    version: int = 1  # Omni: 1 = 1.1 (`abra_…`), 2 = 1.2 (`abra_v2_…`, ASSUMPTION)
    max_refs: int = MAX_REFERENCES  # Ingredients images per submit
    fl_max_seconds: int | None = None  # start + end frames only up to this long
    slider: bool = False  # the duration row is a mat-slider (Omni 1.2), not radios


def _omni_prices() -> dict[str, int]:
    # Pro prices of FLOW_2026 §11; Ultra's one known point (720p 8 s: 12) matches, so flowsim
    # uses the same table on both plans.
    by_res = {"360p": (4, 5, 6, 7), "720p": (7, 10, 12, 15)}
    return {f"{s}/{r}": p for r, ps in by_res.items() for s, p in zip((4, 6, 8, 10), ps,
                                                                       strict=True)}


def _flat(durations: tuple[int, ...], credits: int) -> dict[str, int]:
    return {f"{s}/720p": credits for s in durations}


# Omni 1.2 Flash (FLOW_2026 Dec. 2-4): any whole second in its range, priced per second.
OMNI12_RANGE = (3, 15)             # H
OMNI12_FREE_MAX_S = 10             # H: over 10 s needs Pro or Ultra
OMNI12_FL_MAX_S = 10               # H: start + end frames only up to 10 s
OMNI12_MAX_REFS = 7                # M-H: up to 7 images as ingredients
OMNI12_PRICE_BREAK_S = 10          # M: the per-second price doubles beyond 10 s
# credits per second (first 10 s, each second beyond): 720p M; 360p ASSUMPTION (one report:
# 4 s 360p = 4 credits, L).
OMNI12_PER_SECOND = {"720p": (3, 6), "360p": (1, 2)}


def omni12_price(seconds: int, resolution: str) -> int:
    """Credits of one Omni 1.2 Flash output: per second, dearer beyond 10 s (8 s 720p = 24,
    12 s = 42, 15 s = 60)."""
    first, beyond = OMNI12_PER_SECOND[resolution]
    return (first * min(seconds, OMNI12_PRICE_BREAK_S)
            + beyond * max(0, seconds - OMNI12_PRICE_BREAK_S))


def _omni12(plan_max: int) -> tuple[tuple[int, ...], dict[str, int]]:
    seconds = tuple(range(OMNI12_RANGE[0], plan_max + 1))
    return seconds, {f"{s}/{r}": omni12_price(s, r) for s in seconds for r in OMNI12_PER_SECOND}


VEO_PRO, VEO_ULTRA = (8,), (4, 6, 8)
OMNI_11 = Model("Omni 1.1 Flash", "omni", {"pro": (4, 6, 8, 10), "ultra": (4, 6, 8, 10)},
                ("360p", "720p"), {"pro": _omni_prices(), "ultra": _omni_prices()},
                catalogue_id="abra")
VEO_LITE = Model("Veo 3.1 - Lite", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
                 {"pro": _flat(VEO_PRO, 10), "ultra": _flat(VEO_ULTRA, 5)}, tier="lite",
                 catalogue_id="veo_3_1_lite")
VEO_FAST = Model("Veo 3.1 - Fast", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
                 {"pro": _flat(VEO_PRO, 20), "ultra": _flat(VEO_ULTRA, 10)}, tier="fast",
                 catalogue_id="veo_3_1_fast")
VEO_QUALITY = Model("Veo 3.1 - Quality", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
                    {"pro": _flat(VEO_PRO, 100), "ultra": _flat(VEO_ULTRA, 100)},
                    tier="quality", r2v_fallback="Veo 3.1 - Fast", catalogue_id="veo_3_1_quality")
# October: seen with 4 s only, free "on some accounts", not seen on Ultra (FLOW_2026 §11).
LOWER_PRIORITY_OCTOBER = Model(
    "Veo 3.1 - Lite [Lower Priority]", "veo", {"pro": (4,)}, ("720p",), {"pro": _flat((4,), 0)},
    tier="lite", low_priority=True, optional=True,
    catalogue_id="veo_3_1_lite_low_priority")  # catalogue id: ASSUMPTION
_O12_FULL, _O12_FULL_PRICES = _omni12(OMNI12_RANGE[1])
_O12_FREE, _O12_FREE_PRICES = _omni12(OMNI12_FREE_MAX_S)
# December. Omni 1.2 Flash is on every plan (free: up to 10 s), its prices the same on each
# (ASSUMPTION: only Pro-like 720p prices are measured).
OMNI_12 = Model("Omni 1.2 Flash", "omni",
                {"free": _O12_FREE, "pro": _O12_FULL, "ultra": _O12_FULL}, ("360p", "720p"),
                {"free": _O12_FREE_PRICES, "pro": _O12_FULL_PRICES, "ultra": _O12_FULL_PRICES},
                catalogue_id="abra_v2", version=2, max_refs=OMNI12_MAX_REFS,
                fl_max_seconds=OMNI12_FL_MAX_S, slider=True)  # catalogue id: ASSUMPTION
# December: Veo 3.1 - Lite is not on the free plan (ASSUMPTION); [Lower Priority] is the Ultra
# $199.99 entitlement (H): Ultra only, with lower_priority_model meaning "this Ultra account
# has it"; 4/6/8 s like Lite on Ultra (ASSUMPTION), 0 credits (H).
LOWER_PRIORITY_DECEMBER = Model(
    "Veo 3.1 - Lite [Lower Priority]", "veo", {"ultra": VEO_ULTRA}, ("720p",),
    {"ultra": _flat(VEO_ULTRA, 0)}, tier="lite", low_priority=True, optional=True,
    catalogue_id="veo_3_1_lite_low_priority")

MODELS_BY_BUILD: dict[str, tuple[Model, ...]] = {
    "october": (OMNI_11, VEO_LITE, VEO_FAST, VEO_QUALITY, LOWER_PRIORITY_OCTOBER),
    "december": (OMNI_12, VEO_LITE, LOWER_PRIORITY_DECEMBER),
}
# Models a build no longer offers, and since when (refused with a dated message, never billed).
RETIRED_BY_BUILD: dict[str, tuple[Model, ...]] = {
    "october": (), "december": (OMNI_11, VEO_FAST, VEO_QUALITY),
}


# ---- model keys: the real grammar (docs/flowsim-2026-contract.md, "Model keys") -----------------
def model_key(model: Model, kind: str, seconds: int, resolution: str, aspect: str) -> str:
    """THE one place a model key is built: what the page sends for `kind` (t2v | i2v | fl |
    r2v) at these settings. Omni 1.1: `abra_<kind>_<N>s[_360p][_portrait]`, start+end
    `omni_flash_i2v_<N>s_first_last[_360p][_portrait]`; Omni 1.2 (ASSUMPTION: its keys are not
    published): `abra_v2_<kind>_<N>s[_360p][_portrait]`, start+end
    `omni_flash_v2_i2v_<N>s_first_last[_360p][_portrait]`; Veo: `veo_3_1_<kind>_<tier>`
    (start+end `veo_3_1_interpolation_<tier>`) + `[_low_priority][_<N>s unless 8][_portrait]`.
    The suffix order is flowsim's choice where no capture shows two suffixes together."""
    portrait = "_portrait" if aspect == "9:16" else ""
    if model.family == "omni":
        res = "_360p" if resolution == "360p" else ""
        v = "_v2" if model.version == 2 else ""
        if kind == "fl":
            return f"omni_flash{v}_i2v_{seconds}s_first_last{res}{portrait}"
        return f"abra{v}_{kind}_{seconds}s{res}{portrait}"
    head = (f"veo_3_1_interpolation_{model.tier}" if kind == "fl"
            else f"veo_3_1_{kind}_{model.tier}")
    low = "_low_priority" if model.low_priority else ""
    duration = "" if seconds == 8 else f"_{seconds}s"
    return f"{head}{low}{duration}{portrait}"


@dataclass(frozen=True)
class KeyInfo:
    """What a model key stands for (the request carries no other field for these)."""

    model: Model
    kind: str
    seconds: int
    resolution: str
    aspect: str


def _keys_of(models_: tuple[Model, ...]) -> dict[str, KeyInfo]:
    out: dict[str, KeyInfo] = {}
    for model in models_:
        seconds = sorted({s for plan in model.durations.values() for s in plan})
        for kind in KINDS:
            for s in seconds:
                for res in model.resolutions:
                    for aspect in ASPECTS:
                        key = model_key(model, kind, s, res, aspect)
                        # Lower Priority's 4 s key is the same model in both builds.
                        assert key not in out or out[key].model.label == model.label, key
                        out[key] = KeyInfo(model, kind, s, res, aspect)
    return out


# Every key a build knows, on any plan: a key outside it is answered `[5]` (not found), a key
# of a model the build retired with the dated refusal.
BUILD_KEYS: dict[str, dict[str, KeyInfo]] = {b: _keys_of(MODELS_BY_BUILD[b]) for b in BUILDS}
RETIRED_KEYS: dict[str, dict[str, KeyInfo]] = {b: _keys_of(RETIRED_BY_BUILD[b]) for b in BUILDS}
# Every key of every build (tests compare real captures with it).
KEYS: dict[str, KeyInfo] = {k: v for b in BUILDS for k, v in BUILD_KEYS[b].items()}


class KeyRefused(Exception):
    """A model key the account cannot use: `reason` is `unknown_model` (status 5),
    `model_not_on_plan` or `duration_not_on_plan` (status 7, PUBLIC_ERROR_MODEL_ACCESS_DENIED)
    or `model_retired` (`model` is the retired one)."""

    def __init__(self, reason: str, key: object, model: Model | None = None):
        super().__init__(f"{reason}: {key!r}")
        self.reason = reason
        self.model = model


def offered(plan: str, lower_priority: bool, build: str = DEFAULT_BUILD) -> list[Model]:
    """The model menu of an account on `plan` in `build`, in menu order."""
    return [m for m in MODELS_BY_BUILD[build]
            if plan in m.durations and (lower_priority or not m.optional)]


def default_model(build: str, plan: str, lower_priority: bool) -> str | None:
    """The model a new project starts with (the build's default where the plan has it)."""
    menu = [m.label for m in offered(plan, lower_priority, build)]
    wanted = DEFAULT_MODELS[build]
    return wanted if wanted in menu else (menu[0] if menu else None)


def kinds(model: Model, switch: bool) -> tuple[str, ...]:
    """The wire kinds `model` has keys for (with the silent-switch trap on, a model with an
    `r2v_fallback` has no Ingredients key)."""
    return tuple(k for k in KINDS if not (switch and k == "r2v" and model.r2v_fallback))


def by_key(model_key_: object, plan: str, lower_priority: bool, switch: bool = False,
           build: str = DEFAULT_BUILD) -> KeyInfo:
    """What a wire model key stands for when this account may use it; KeyRefused otherwise."""
    key = model_key_ if isinstance(model_key_, str) else None
    info = BUILD_KEYS[build].get(key) if key else None
    if info is None:
        retired = RETIRED_KEYS[build].get(key) if key else None
        if retired is not None:
            raise KeyRefused("model_retired", model_key_, retired.model)
        raise KeyRefused("unknown_model", model_key_)
    if info.kind not in kinds(info.model, switch):
        raise KeyRefused("unknown_model", model_key_)
    if info.model not in offered(plan, lower_priority, build):
        raise KeyRefused("model_not_on_plan", model_key_)
    if price(info.model, plan, info.seconds, info.resolution) is None:
        longer = info.model.slider and info.seconds > max(info.model.durations[plan])
        raise KeyRefused("duration_not_on_plan" if longer else "model_not_on_plan", model_key_)
    return info


def price(model: Model, plan: str, seconds: int, resolution: str) -> int | None:
    """Credits per output, or None when the model lacks that duration/resolution on `plan`."""
    return model.prices.get(plan, {}).get(f"{seconds}/{resolution}")


def fl_seconds(model: Model, plan: str) -> tuple[int, ...]:
    """The durations a start + end submit may have (Omni 1.2: up to 10 s)."""
    top = model.fl_max_seconds
    return tuple(s for s in model.durations[plan] if top is None or s <= top)


def boot_keys(model: Model, plan: str, switch: bool) -> dict[str, dict[str, str]]:
    """The keys the page sends, per kind, by `"<seconds>/<resolution>/<aspect>"` (the page
    never builds a key itself)."""
    return {kind: {f"{s}/{r}/{a}": model_key(model, kind, s, r, a)
                   for s in (fl_seconds(model, plan) if kind == "fl" else model.durations[plan])
                   for r in model.resolutions for a in ASPECTS}
            for kind in kinds(model, switch)}


def boot_catalog(plan: str, lower_priority: bool, switch: bool = False,
                 build: str = DEFAULT_BUILD) -> dict:
    """The `catalog` part of the page's boot data (the live quote is computed from it)."""
    return {
        m.label: {
            "durations": list(m.durations[plan]), "resolutions": list(m.resolutions),
            "prices": dict(m.prices[plan]), "keys": boot_keys(m, plan, switch),
            "r2vFallback": m.r2v_fallback if switch else None,
            "slider": m.slider, "maxRefs": m.max_refs, "flMaxSeconds": m.fl_max_seconds,
        }
        for m in offered(plan, lower_priority, build)
    }


# ---- the page's catalogue calls (flow_wire README "Other rpc ids": HTrJv, yBhWQ) ----------------
IMAGE_CATALOGUE_ID = "narwhal_display"  # M: the image slot's default in the captured HTrJv
IMAGE_MODELS = (("GEM_PIX_2", "Nano Banana 2"),)  # flowsim: the one image model the page shows
AVAILABLE, RETIRED_FLAG = 1, 0  # yBhWQ flags: 1 usable now (M); 0 retired (ASSUMPTION)
# HTrJv's slots: [slot, [null, null, <image default>, <video default>]] (the start of the real
# reply; what the slot numbers mean is unknown, ASSUMPTION: 1 = a new project, 2 = this one).
CATALOGUE_SLOTS = (1, 2)


def _date(d: date) -> list[int]:
    """A google.type.Date in JSON form: [year, month, day] (ASSUMPTION)."""
    return [d.year, d.month, d.day]


def catalogue_result(build: str, plan: str, lower_priority: bool, switch: bool = False) -> list:
    """HTrJv's result: `[[null, null, [[slot, [null, null, <image id>, <video id>]], …],
    [[<id or key>, [<display name>], <retired on [y, m, d]>?], …]]]`. The list names every
    catalogue id the build knows (a retired one with its retirement day, ASSUMPTION), then every
    wire key the account can send in this build, each with its menu label; the image model too."""
    menu = offered(plan, lower_priority, build)
    default = default_model(build, plan, lower_priority)
    video_default = next((m.catalogue_id for m in menu if m.label == default), None)
    slots = [[slot, [None, None, IMAGE_CATALOGUE_ID, video_default]] for slot in CATALOGUE_SLOTS]
    names: list[list] = [[key, [label]] for key, label in IMAGE_MODELS]
    for m in menu:
        names.append([m.catalogue_id, [m.label]])
    for m in RETIRED_BY_BUILD[build]:
        names.append([m.catalogue_id, [m.label], _date(RETIRED_ON)])
    for m in menu:
        for table in boot_keys(m, plan, switch).values():
            names += [[key, [m.label]] for key in table.values()]
    return [[None, None, slots, names]]


def availability_result(build: str, plan: str, lower_priority: bool) -> list:
    """yBhWQ's result: `[[[<catalogue id>, 1], …]]` for the models this account can use now,
    then `[<id>, 0]` for each model the build retired (ASSUMPTION); a model the plan lacks is
    absent."""
    rows = [[m.catalogue_id, AVAILABLE] for m in offered(plan, lower_priority, build)]
    rows += [[m.catalogue_id, RETIRED_FLAG] for m in RETIRED_BY_BUILD[build]]
    return [rows]


def video_size(resolution: str, aspect: str) -> tuple[int, int]:
    """(width, height) of a clip: 360p 16:9 is 640x360, 9:16 is 360x640."""
    long_side, short_side = RESOLUTION_SIZES[resolution]
    return (long_side, short_side) if aspect == "16:9" else (short_side, long_side)
