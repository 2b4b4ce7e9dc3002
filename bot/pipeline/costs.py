"""Credits and time a generation costs (SPEC §1.3), for estimates and statistics."""

from __future__ import annotations

from bot.config import FlowSettings

CREDITS_PER_OUTPUT = {"Veo 3.1 - Fast": 20, "Veo 3.1 - Quality": 100, "Veo 3.1 - Lite": 10}
# Typical render time per model on the real Flow (SPEC §1.3: Fast 1–2 min, Quality 2–5 min).
TYPICAL_RENDER_S = {"Veo 3.1 - Fast": 90.0, "Veo 3.1 - Quality": 210.0}
# Browser time per submission (upload, settings, prompt, click), serialised on one page.
SUBMIT_OVERHEAD_S = 8.0


def credits_per_output(model: str) -> int:
    return CREDITS_PER_OUTPUT.get(model, 20)


def render_seconds(model: str, flow: FlowSettings) -> float:
    if flow.backend == "simulator":
        return flow.sim_generation_seconds
    return TYPICAL_RENDER_S.get(model, 90.0)


def estimate(items: int, outputs: int, model: str, flow: FlowSettings) -> tuple[int, float]:
    """(credits, seconds) for `items` prompts of `outputs` each, with the account's slots."""
    credits = items * outputs * credits_per_output(model)
    if items == 0:
        return 0, 0.0
    parallel = max(1, flow.render_slots // max(1, outputs))
    rounds = -(-items // parallel)
    seconds = rounds * render_seconds(model, flow) + items * SUBMIT_OVERHEAD_S / parallel
    return credits, seconds
