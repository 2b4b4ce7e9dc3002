"""flow.google.com (the Angular UI since September 2026, FLOW_2026.md): the living UI generation.

A submit, in order: agent mode off → upload the start (and end) frame to the project library
under a run-unique name (rights dialog only with FLOW_ACCEPT_UPLOAD_TERMS=true) → settings
popover: media, Frames, model first, then aspect/resolution/duration/count, everything read back
→ bind the frames from the picker and verify the chips → type the prompt → the money guard →
one trusted click on Start generation while listening to the page's own submit request.

Sources of truth, decided here:
* The handle's tile ids are the media ids of the page's submit reply (never titles or counts),
  and the proof of billing is the submit request itself (`bot/pipeline/flow/wire.py`).
* Tile states come from the page's own poll replies (`jwpduf`: PENDING/QUEUED/ACTIVE with
  progress/SUCCESSFUL/FAILED with the reason). They are per media id, exact and locale-free;
  the DOM is used to act (download, Retry), not to read states. A page whose poll replies stop
  (older than `POLL_STALE_S` for an unfinished tile) is reloaded, which polls at once.
* Downloads: the grid tile whose thumbnail carries the media id, revealed by a real mouse move
  (`More options → Download → 720p`); when the tile cannot be matched (opaque `/asb/`
  thumbnails after a reload) the clip's edit view `/project/<id>/edit/<media>` (`Download media`).

The package, by concern (imports point one way: data ← `base` ← concerns ← `generation`):

* `selectors.py`  SELECTORS ARE DATA: every element of the page the driver touches.
* `wire.py`       WIRE POSITIONS ARE DATA: where Flow's positional records keep each fact, and
                  the typed readers of one exchange (never raise).
* `base.py`       `Flow2026Base` (the state of one driver) and helpers shared by the concerns.
* `pages.py`      address checks, the UI language, overlays, home / project, plan and credits.
* `composer.py`   agent mode off, the prompt editor, the Start / End chips.
* `settings.py`   the settings popover: media, input, model, aspect, resolution, duration
                  (radios or slider), count; read back.
* `frames.py`     uploads into the project's library, and the picker that binds them.
* `guard.py`      the money guard before the paid click; the proof of billing after it.
* `submit.py`     the submit and its answer (refusals, a missed reply confirmed from the page).
* `retry.py`      Flow's Retry on a failed tile.
* `grid.py`       tile states (poll replies, the grid fallback), staleness, candidates.
* `download.py`   the download menu (720p, Flow's 1080p / 4K upscales), the edit-view fallback.
* `generation.py` `Flow2026Ui`, the mixins composed.
* `check.py`      the drift check's walk of this page (`flowbot flow check`, the canary).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.pipeline.flow.ui.flow2026.base import PROJECT_PATH, REG
    from bot.pipeline.flow.ui.flow2026.composer import FrameNotBound
    from bot.pipeline.flow.ui.flow2026.download import TileGone
    from bot.pipeline.flow.ui.flow2026.generation import Flow2026Ui
    from bot.pipeline.flow.ui.flow2026.guard import billing_proof, price_verdict
    from bot.pipeline.flow.ui.flow2026.settings import SettingsMismatch

# Exported lazily (PEP 562): the listener `bot/pipeline/flow/wire.py` reads through this
# package's `wire` positions while the steps use the listener's `rpc_of` / `request_payload`.
# Importing the steps here would make `import …flow2026.wire` (the listener's own import, the
# CLI's, flowsim's tests') run them before the listener exists: a circular import.
_EXPORTS = {
    "Flow2026Ui": "generation",
    "PROJECT_PATH": "base",
    "REG": "base",
    "FrameNotBound": "composer",
    "SettingsMismatch": "settings",
    "TileGone": "download",
    "billing_proof": "guard",
    "price_verdict": "guard",
}
__all__ = ["PROJECT_PATH", "REG", "Flow2026Ui", "FrameNotBound", "SettingsMismatch", "TileGone",
           "billing_proof", "price_verdict"]  # = _EXPORTS's names


def __getattr__(name: str) -> Any:
    """The exported name `name`, its module imported on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
