"""Flow's model keys understood by their grammar, not listed (`../shared/flow_wire/README.md`).

Seen on the wire (H/M): Omni `abra_<t2v|i2v|r2v>_<N>s[_360p]` (the key never says "omni"),
Omni start+end `omni_flash_i2v_<N>s_first_last`, Veo `veo_3_1_<t2v|i2v|r2v>_<lite|fast|quality>`
with suffixes such as `_portrait`, `_ultra`, `_low_priority`, `_4s`/`_6s`, Veo start+end
`veo_3_1_interpolation_<tier>`, odd tokens like `veo_3_1_i2v_s_fast_ultra`. Flow adds keys every
few weeks (Omni 1.2's are not published), so the parse is token based and tolerant: the family
comes from the prefix, the rest from tokens wherever they stand, unknown tokens are kept.

A key of an unknown family parses with `family=None`: callers treat it as a mismatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prefix → family, as data: a new family seen in a capture is one line here.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("abra_", "omni"),
    ("omni_", "omni"),
    ("veo_3_1_", "veo"),
    ("veo_", "veo"),
)
KINDS = {"t2v": "t2v", "i2v": "i2v", "r2v": "ingredients", "interpolation": "interpolation"}
TIERS = ("lite", "fast", "quality")
# Tokens that say start+end (first and last frame) whatever else the key says.
INTERPOLATION_MARKS = ("first_last", "interpolation", "fl")
_DURATION = re.compile(r"^(\d{1,3})s$")
_RESOLUTION = re.compile(r"^(\d{3,4})p$")


@dataclass(frozen=True)
class ModelKey:
    """What a model key says. `None` fields: the key does not say (e.g. Veo on Pro carries no
    duration; a 720p key carries no resolution)."""

    key: str
    family: str | None           # "omni" | "veo" | None (unknown family)
    kind: str | None             # "t2v" | "i2v" | "ingredients" | "interpolation" | None
    duration_s: int | None = None
    resolution: str | None = None  # "360p" … when the key names one
    tier: str | None = None        # Veo: lite | fast | quality
    portrait: bool = False
    low_priority: bool = False
    unknown_tokens: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """Family and kind both understood."""
        return self.family is not None and self.kind is not None


def parse(key: str | None) -> ModelKey:
    """Parse `key` (never raises; an empty or foreign key has `family=None`)."""
    key = (key or "").strip()
    low = key.lower()
    if len(low) > 200 or not re.fullmatch(r"[a-z0-9_.\-]*", low):
        return ModelKey(key, None, None)
    family, rest = None, low
    for prefix, fam in FAMILIES:
        if low.startswith(prefix):
            family, rest = fam, low[len(prefix):]
            break
    if family is None:
        return ModelKey(key, None, None)
    tokens = [t for t in rest.split("_") if t]
    kind = None
    if "first_last" in rest or any(t in ("interpolation", "fl") for t in tokens):
        kind = "interpolation"
    duration = resolution = tier = None
    portrait = low_priority = False
    unknown = []
    # Tokens seen in real keys that say nothing more than the family does.
    skip = {"first", "last", "interpolation", "fl", "flash"}
    for i, tok in enumerate(tokens):
        if tok in KINDS and tok != "interpolation":
            kind = kind or KINDS[tok]
        elif (m := _DURATION.match(tok)):
            duration = int(m.group(1))
        elif (m := _RESOLUTION.match(tok)):
            resolution = f"{m.group(1)}p"
        elif tok in TIERS:
            tier = tok
        elif tok == "portrait":
            portrait = True
        elif tok == "low" and i + 1 < len(tokens) and tokens[i + 1] == "priority":
            low_priority = True
        elif tok == "priority" and i > 0 and tokens[i - 1] == "low":
            continue
        elif tok in skip:
            continue
        else:
            unknown.append(tok)
    return ModelKey(key, family, kind, duration, resolution, tier, portrait, low_priority,
                    tuple(unknown))


# Our model names (catalog menu labels) → the family and Veo tier their keys must have.
def family_of_model(model: str) -> tuple[str | None, str | None]:
    """(family, tier) a menu label stands for: "Omni 1.2 Flash" → ("omni", None),
    "Veo 3.1 - Lite [Lower Priority]" → ("veo", "lite")."""
    low = model.lower()
    if "omni" in low:
        return "omni", None
    if "veo" in low:
        tier = next((t for t in TIERS if t in low), None)
        return "veo", tier
    return None, None
