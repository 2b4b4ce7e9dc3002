"""flowsim's own price and capability table of flow2026 (FLOW_2026 §11) and its model keys in
Flow's real grammar. Never imported from bot/: the simulator must not agree with the bot by
construction."""

from __future__ import annotations

from dataclasses import dataclass

# r2v = Ingredients ("reference to video", MZZa6b): the name public tools use for its keys.
KINDS = ("t2v", "i2v", "fl", "r2v")
RPC_KINDS = {"YhhmEf": "t2v", "eb1hJf": "i2v", "nprQif": "fl", "MZZa6b": "r2v"}
WIRE_KINDS = {"t2v": "t2v", "i2v": "i2v", "fl": "interpolation", "r2v": "ingredients"}
MAX_REFERENCES = 3  # public tools send 1-3 reference images with MZZa6b
ASPECTS = ("16:9", "9:16")  # the key says 9:16 with `_portrait`; no other aspect on the wire
# Long side x short side of each resolution; the aspect decides which is the width.
RESOLUTION_SIZES = {"360p": (640, 360), "720p": (1280, 720)}
UPSCALE_4K_CREDITS = 50  # FLOW_2026 §9: 4K costs credits where offered (Ultra)
DEFAULT_MODEL = "Omni 1.1 Flash"  # FLOW_2026 §5: new projects default to Omni, not Veo


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


def _omni_prices() -> dict[str, int]:
    # Pro prices of FLOW_2026 §11; Ultra's one known point (720p 8 s: 12) matches, so flowsim
    # uses the same table on both plans.
    by_res = {"360p": (4, 5, 6, 7), "720p": (7, 10, 12, 15)}
    return {f"{s}/{r}": p for r, ps in by_res.items() for s, p in zip((4, 6, 8, 10), ps,
                                                                       strict=True)}


def _flat(durations: tuple[int, ...], credits: int) -> dict[str, int]:
    return {f"{s}/720p": credits for s in durations}


VEO_PRO, VEO_ULTRA = (8,), (4, 6, 8)
MODELS: tuple[Model, ...] = (
    Model("Omni 1.1 Flash", "omni", {"pro": (4, 6, 8, 10), "ultra": (4, 6, 8, 10)},
          ("360p", "720p"), {"pro": _omni_prices(), "ultra": _omni_prices()}),
    Model("Veo 3.1 - Lite", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
          {"pro": _flat(VEO_PRO, 10), "ultra": _flat(VEO_ULTRA, 5)}, tier="lite"),
    Model("Veo 3.1 - Fast", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
          {"pro": _flat(VEO_PRO, 20), "ultra": _flat(VEO_ULTRA, 10)}, tier="fast"),
    Model("Veo 3.1 - Quality", "veo", {"pro": VEO_PRO, "ultra": VEO_ULTRA}, ("720p",),
          {"pro": _flat(VEO_PRO, 100), "ultra": _flat(VEO_ULTRA, 100)}, tier="quality",
          r2v_fallback="Veo 3.1 - Fast"),
    # Seen with 4 s only, free "on some accounts", not seen on Ultra (FLOW_2026 §11).
    Model("Veo 3.1 - Lite [Lower Priority]", "veo", {"pro": (4,)}, ("720p",),
          {"pro": _flat((4,), 0)}, tier="lite", low_priority=True, optional=True),
)
BY_LABEL = {m.label: m for m in MODELS}


# ---- model keys: the real grammar (docs/flowsim-2026-contract.md, "Model keys") -----------------
def model_key(model: Model, kind: str, seconds: int, resolution: str, aspect: str) -> str:
    """THE one place a model key is built: what the page sends for `kind` (t2v | i2v | fl |
    r2v) at these settings. Omni: `abra_<kind>_<N>s[_360p][_portrait]`, start+end
    `omni_flash_i2v_<N>s_first_last[_360p][_portrait]`; Veo: `veo_3_1_<kind>_<tier>`
    (start+end `veo_3_1_interpolation_<tier>`) + `[_low_priority][_<N>s unless 8][_portrait]`.
    The suffix order is flowsim's choice where no capture shows two suffixes together."""
    portrait = "_portrait" if aspect == "9:16" else ""
    if model.family == "omni":
        res = "_360p" if resolution == "360p" else ""
        if kind == "fl":
            return f"omni_flash_i2v_{seconds}s_first_last{res}{portrait}"
        return f"abra_{kind}_{seconds}s{res}{portrait}"
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


def _every_key() -> dict[str, KeyInfo]:
    out: dict[str, KeyInfo] = {}
    for model in MODELS:
        seconds = sorted({s for plan in model.durations.values() for s in plan})
        for kind in KINDS:
            for s in seconds:
                for res in model.resolutions:
                    for aspect in ASPECTS:
                        key = model_key(model, kind, s, res, aspect)
                        assert key not in out, f"two settings share the key {key}"
                        out[key] = KeyInfo(model, kind, s, res, aspect)
    return out


# Every key flowsim knows, on any plan: a key outside it is answered `[5]` (not found).
KEYS: dict[str, KeyInfo] = _every_key()


class KeyRefused(Exception):
    """A model key the account cannot use: `reason` is `unknown_model` (status 5) or
    `model_not_on_plan` (status 7, PUBLIC_ERROR_MODEL_ACCESS_DENIED)."""

    def __init__(self, reason: str, key: object):
        super().__init__(f"{reason}: {key!r}")
        self.reason = reason


def offered(plan: str, lower_priority: bool) -> list[Model]:
    """The model menu of an account on `plan`, in menu order."""
    return [m for m in MODELS
            if plan in m.durations and (lower_priority or not m.optional)]


def kinds(model: Model, switch: bool) -> tuple[str, ...]:
    """The wire kinds `model` has keys for (with the silent-switch trap on, a model with an
    `r2v_fallback` has no Ingredients key)."""
    return tuple(k for k in KINDS if not (switch and k == "r2v" and model.r2v_fallback))


def by_key(model_key_: object, plan: str, lower_priority: bool, switch: bool = False) -> KeyInfo:
    """What a wire model key stands for when this account may use it; KeyRefused otherwise."""
    info = KEYS.get(model_key_) if isinstance(model_key_, str) else None
    if info is None or info.kind not in kinds(info.model, switch):
        raise KeyRefused("unknown_model", model_key_)
    if (info.model not in offered(plan, lower_priority)
            or price(info.model, plan, info.seconds, info.resolution) is None):
        raise KeyRefused("model_not_on_plan", model_key_)
    return info


def price(model: Model, plan: str, seconds: int, resolution: str) -> int | None:
    """Credits per output, or None when the model lacks that duration/resolution on `plan`."""
    return model.prices.get(plan, {}).get(f"{seconds}/{resolution}")


def boot_keys(model: Model, plan: str, switch: bool) -> dict[str, dict[str, str]]:
    """The keys the page sends, per kind, by `"<seconds>/<resolution>/<aspect>"` (the page
    never builds a key itself)."""
    return {kind: {f"{s}/{r}/{a}": model_key(model, kind, s, r, a)
                   for s in model.durations[plan] for r in model.resolutions
                   for a in ASPECTS}
            for kind in kinds(model, switch)}


def boot_catalog(plan: str, lower_priority: bool, switch: bool = False) -> dict:
    """The `catalog` part of the page's boot data (the live quote is computed from it)."""
    return {
        m.label: {
            "durations": list(m.durations[plan]), "resolutions": list(m.resolutions),
            "prices": dict(m.prices[plan]), "keys": boot_keys(m, plan, switch),
            "r2vFallback": m.r2v_fallback if switch else None,
        }
        for m in offered(plan, lower_priority)
    }


def video_size(resolution: str, aspect: str) -> tuple[int, int]:
    """(width, height) of a clip: 360p 16:9 is 640x360, 9:16 is 360x640."""
    long_side, short_side = RESOLUTION_SIZES[resolution]
    return (long_side, short_side) if aspect == "16:9" else (short_side, long_side)
