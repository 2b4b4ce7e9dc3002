"""flowsim's own price and capability table of flow2026 (FLOW_2026 §11). Never imported from
bot/: the simulator must not agree with the bot by construction."""

from __future__ import annotations

from dataclasses import dataclass

# r2v = Ingredients ("reference to video", MZZa6b): the name public tools use for its keys.
KINDS = ("t2v", "i2v", "fl", "r2v")
RPC_KINDS = {"YhhmEf": "t2v", "eb1hJf": "i2v", "nprQif": "fl", "MZZa6b": "r2v"}
WIRE_KINDS = {"t2v": "t2v", "i2v": "i2v", "fl": "interpolation", "r2v": "ingredients"}
MAX_REFERENCES = 3  # public tools send 1-3 reference images with MZZa6b
ASPECTS = {"VIDEO_ASPECT_RATIO_LANDSCAPE": "16:9", "VIDEO_ASPECT_RATIO_PORTRAIT": "9:16"}
# Long side x short side of each resolution; the aspect decides which is the width.
RESOLUTION_SIZES = {"360p": (640, 360), "720p": (1280, 720)}
UPSCALE_4K_CREDITS = 50  # FLOW_2026 §9: 4K costs credits where offered (Ultra)
DEFAULT_MODEL = "Omni 1.1 Flash"  # FLOW_2026 §5: new projects default to Omni, not Veo


@dataclass(frozen=True)
class Model:
    """One entry of the model menu: its label, wire key pattern and per-plan offer."""

    label: str
    key: str  # with {kind} in it, e.g. "veo_3_1_{kind}_fast"
    durations: dict[str, tuple[int, ...]]  # plan -> seconds offered
    resolutions: tuple[str, ...]
    prices: dict[str, dict[str, int]]  # plan -> "seconds/resolution" -> credits per output
    optional: bool = False  # listed only with configure(lower_priority_model=True)
    # configure(compatible_model_switch=True): this model has no Ingredients key and Flow
    # silently uses `r2v_fallback` instead (FLOW_2026 §5, M).
    r2v_fallback: str | None = None

    def key_for(self, kind: str) -> str:
        """The model key the page sends for `kind` (t2v | i2v | fl)."""
        return self.key.format(kind=kind)


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
    Model("Omni 1.1 Flash", "omni_1_1_{kind}_flash",
          {"pro": (4, 6, 8, 10), "ultra": (4, 6, 8, 10)}, ("360p", "720p"),
          {"pro": _omni_prices(), "ultra": _omni_prices()}),
    Model("Veo 3.1 - Lite", "veo_3_1_{kind}_lite", {"pro": VEO_PRO, "ultra": VEO_ULTRA},
          ("720p",), {"pro": _flat(VEO_PRO, 10), "ultra": _flat(VEO_ULTRA, 5)}),
    Model("Veo 3.1 - Fast", "veo_3_1_{kind}_fast", {"pro": VEO_PRO, "ultra": VEO_ULTRA},
          ("720p",), {"pro": _flat(VEO_PRO, 20), "ultra": _flat(VEO_ULTRA, 10)}),
    Model("Veo 3.1 - Quality", "veo_3_1_{kind}_quality", {"pro": VEO_PRO, "ultra": VEO_ULTRA},
          ("720p",), {"pro": _flat(VEO_PRO, 100), "ultra": _flat(VEO_ULTRA, 100)},
          r2v_fallback="Veo 3.1 - Fast"),
    # Seen with 4 s only, free "on some accounts", not seen on Ultra (FLOW_2026 §11).
    Model("Veo 3.1 - Lite [Lower Priority]", "veo_3_1_{kind}_lite_low_priority",
          {"pro": (4,)}, ("720p",), {"pro": _flat((4,), 0)}, optional=True),
)
BY_LABEL = {m.label: m for m in MODELS}


def offered(plan: str, lower_priority: bool) -> list[Model]:
    """The model menu of an account on `plan`, in menu order."""
    return [m for m in MODELS
            if plan in m.durations and (lower_priority or not m.optional)]


def kinds(model: Model, switch: bool) -> tuple[str, ...]:
    """The wire kinds `model` has keys for (with the silent-switch trap on, a model with an
    `r2v_fallback` has no Ingredients key)."""
    return tuple(k for k in KINDS if not (switch and k == "r2v" and model.r2v_fallback))


def by_key(model_key: str, plan: str, lower_priority: bool,
           switch: bool = False) -> tuple[Model, str] | None:
    """(model, kind) of a wire model key this account may use, or None."""
    for model in offered(plan, lower_priority):
        for kind in kinds(model, switch):
            if model.key_for(kind) == model_key:
                return model, kind
    return None


def price(model: Model, plan: str, seconds: int, resolution: str) -> int | None:
    """Credits per output, or None when the model lacks that duration/resolution on `plan`."""
    return model.prices.get(plan, {}).get(f"{seconds}/{resolution}")


def boot_catalog(plan: str, lower_priority: bool, switch: bool = False) -> dict:
    """The `catalog` part of the page's boot data (the live quote is computed from it)."""
    return {
        m.label: {
            "durations": list(m.durations[plan]), "resolutions": list(m.resolutions),
            "prices": dict(m.prices[plan]), "keys": {k: m.key_for(k) for k in kinds(m, switch)},
            "r2vFallback": m.r2v_fallback if switch else None,
        }
        for m in offered(plan, lower_priority)
    }


def video_size(resolution: str, aspect: str) -> tuple[int, int]:
    """(width, height) of a clip: 360p 16:9 is 640x360, 9:16 is 360x640."""
    long_side, short_side = RESOLUTION_SIZES[resolution]
    return (long_side, short_side) if aspect == "16:9" else (short_side, long_side)
