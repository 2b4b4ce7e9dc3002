"""`Flow2026Ui`: the `UiGeneration` of flow.google.com, composed of one mixin per concern.

Each mixin (its own module) holds the steps of one part of the page and reaches the others'
steps through `self`; only this module imports them all, so the modules import one way: the
data (`selectors`, `wire`) ← `base` ← the concerns ← `generation`.
"""

from __future__ import annotations

from bot.pipeline.flow.ui.flow2026.base import REG
from bot.pipeline.flow.ui.flow2026.composer import ComposerMixin
from bot.pipeline.flow.ui.flow2026.download import DownloadMixin
from bot.pipeline.flow.ui.flow2026.frames import FramesMixin
from bot.pipeline.flow.ui.flow2026.grid import GridMixin
from bot.pipeline.flow.ui.flow2026.guard import GuardMixin
from bot.pipeline.flow.ui.flow2026.pages import PagesMixin
from bot.pipeline.flow.ui.flow2026.retry import RetryMixin
from bot.pipeline.flow.ui.flow2026.settings import SettingsMixin
from bot.pipeline.flow.ui.flow2026.submit import SubmitMixin


class Flow2026Ui(PagesMixin, SubmitMixin, RetryMixin, GuardMixin, ComposerMixin, SettingsMixin,
                 FramesMixin, GridMixin, DownloadMixin):
    """`UiGeneration` for flow.google.com (see the package docstring)."""

    name = "flow2026"
    queues = True  # FLOW_2026 §8: `flow-pending-tile.queued`
    overlaps_submits = True  # the page is given back while Flow answers a submit
    registry = REG
