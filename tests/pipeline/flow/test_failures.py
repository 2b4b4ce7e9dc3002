"""Every failure text of SPEC §1.2 ends in its exact error class, before or after progress
started, with several prompts in flight on one page and one client for all of them."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import (
    AudioFailedError,
    HighDemandError,
    InsufficientCreditsError,
    PolicyViolationError,
    ProminentPeopleError,
    RateLimitedError,
    RetryableFlowError,
    TermsViolationError,
    UnusualActivityError,
)
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.tiles import read_tiles
from flowsim.texts import FAILURES

from .helpers import wait_terminal

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")

# flowsim failure-script key -> (error class, percent the failure waits for).
EXPECTED = {
    "high_demand": (HighDemandError, 0),
    "too_quickly": (RateLimitedError, 0),
    "something_wrong": (RetryableFlowError, 20),
    "couldnt_generate": (RetryableFlowError, 0),
    "generation_failed": (RetryableFlowError, 20),
    "audio_failed": (AudioFailedError, 20),
    "policy": (PolicyViolationError, 0),
    "prominent_people": (ProminentPeopleError, 0),
    "terms": (TermsViolationError, 0),
    "unusual_activity": (UnusualActivityError, 0),
    "daily_limit": (InsufficientCreditsError, 0),
}


async def test_each_failure_text_maps_to_its_class(client, sim, frames, tmp_path):
    await sim.configure(slots=20)
    # One prompt that succeeds, first: it ends up far down the grid, out of the DOM.
    good = await client.submit(GenerationRequest(frames["portrait"], "the one that works", "9:16", 1))
    for key, (_cls, at_percent) in EXPECTED.items():
        await sim.fail_next(1, key, at_percent)
    # Prompts mention failing on purpose: the tile's own words must decide, not the prompt's.
    requests = [
        GenerationRequest(frames["portrait"], f"prompt {i}: a policy poster that failed at 50%", "9:16", 1)
        for i in range(len(EXPECTED))
    ]
    # Submitted concurrently: the client serialises the page work behind its lock.
    handles = await asyncio.gather(*(client.submit(r) for r in requests))
    assert (await sim.counters())["submissions"] == len(EXPECTED) + 1

    # The grid is virtualised: the oldest tiles are no longer in the DOM, and poll and
    # download still find them (by scrolling the grid).
    page = await client.session.page()
    rendered = await read_tiles(page)
    assert good.tile_ids[0] not in rendered and handles[0].tile_ids[0] not in rendered
    [done] = await wait_terminal(client, good)
    assert done.state == "done"
    saved = await client.download(good, good.tile_ids[0], tmp_path / "good.mp4")
    assert saved.stat().st_size > 100_000

    results = await asyncio.gather(*(wait_terminal(client, h) for h in handles))
    # Which text each tile got is the simulator's business; match by the text it failed with.
    sim_error = {t["tile_id"]: t["error"] for t in await sim.tiles()}
    by_text = {FAILURES[key]: key for key in EXPECTED}
    seen = set()
    for [status] in results:
        key = by_text[sim_error[status.tile_id]]
        seen.add(key)
        cls, at_percent = EXPECTED[key]
        assert status.state == "failed", key
        assert type(status.error) is cls, (key, status.error)
        if at_percent:
            assert status.percent is not None and status.percent >= at_percent, key
    assert seen == set(EXPECTED)
    counters = await sim.counters()
    assert counters["credits_spent"] == 20  # only the good one: failed generations cost nothing
