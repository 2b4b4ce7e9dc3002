"""Refusals Flow answers a click with (no handle, nothing charged), a session that expires
mid-run and a new one installed without a restart, an image Flow cannot read, and every
failure text of a clip ending in its exact error class, with many prompts in one project."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.errors import (
    AudioFailedError,
    FinalFlowError,
    HighDemandError,
    InsufficientCreditsError,
    PolicyViolationError,
    ProminentPeopleError,
    RateLimitedError,
    RetryableFlowError,
    SessionExpiredError,
    SlotsFullError,
    TermsViolationError,
    UnusualActivityError,
)
from bot.pipeline.flow.api import GenerationRequest
from flowsim.texts import FAILURES

from .flow2026 import client_2026, png, submits
from .helpers import wait_terminal


def t2v(prompt: str, outputs: int = 1) -> GenerationRequest:
    return GenerationRequest(None, prompt, "9:16", outputs, "Omni 1.1 Flash", duration=4,
                             resolution="360p")


async def test_slots_full_and_too_quickly_refusals_give_no_handle(client26, sim):
    await sim.configure(slots=2, queue_limit=0, generation_seconds=30)
    await client26.submit(t2v("first, two outputs", 2))
    with pytest.raises(SlotsFullError):
        await client26.submit(t2v("second, refused: slots are full"))
    counters = await sim.counters()
    assert counters["submissions"] == 1 and counters["refusals"] == {"too_many": 1}
    assert len(await sim.tiles()) == 2

    await sim.configure(slots=10, rate_limit_per_minute=1)
    with pytest.raises(RateLimitedError):
        await client26.submit(t2v("third, refused: too quickly"))
    counters = await sim.counters()
    assert counters["submissions"] == 1 and counters["refusals"]["too_quickly"] == 1
    assert len(await sim.tiles()) == 2


async def test_session_expiry_mid_run(client26, sim, sim_session_file):
    handle = await client26.submit(t2v("submitted while signed in"))
    info = await client26.check_session()
    assert info.signed_in and info.credits == (await sim.counters())["credits_left"] < 1000

    await sim.expire_session()
    # The open page notices on its next own refresh and lands on /about; polls until then
    # read the page as it was.
    with pytest.raises(SessionExpiredError):
        for _ in range(100):
            await client26.poll(handle)
            await asyncio.sleep(0.1)
    with pytest.raises(SessionExpiredError):
        await client26.submit(t2v("never submitted"))
    info = await client26.check_session()
    assert not info.signed_in and "sign" in info.detail.lower()
    assert (await sim.counters())["submissions"] == 1

    # An admin signs in again and installs the new session file; the client reloads it
    # without a restart and the same handle polls fine (reattached by URL).
    await sim.restore_session()
    sim_session_file.write_text(json.dumps(await sim.storage_state()))
    await client26.reload_session()
    assert (await client26.check_session()).signed_in
    statuses = await client26.poll(handle)
    assert [s.tile_id for s in statuses] == list(handle.tile_ids)


async def test_an_image_flow_cannot_read_is_final_and_nothing_is_submitted(client26, sim, frames,
                                                                          tmp_path):
    with pytest.raises(FinalFlowError) as info:
        await client26.submit(GenerationRequest(frames["broken"], "from a broken file", "9:16", 1,
                                                "Veo 3.1 - Fast"))
    assert info.value.code == "upload_refused"
    assert submits(await sim.wire()) == [] and (await sim.counters())["submissions"] == 0
    # The same client carries on with a good image.
    handle = await client26.submit(GenerationRequest(png(tmp_path / "good.png"), "from a good file",
                                                     "9:16", 1, "Veo 3.1 - Fast"))
    assert len(handle.tile_ids) == 1
    assert (await client26.screenshot()).startswith(b"\x89PNG")


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


async def test_each_failure_text_maps_to_its_class(flowsim_url, chromium, sim, sim_session_file,
                                                   tmp_path):
    from .flow2026 import QUIET

    await sim.configure(**QUIET, slots=20)
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        # One prompt that succeeds, first: it ends up far down the grid (virtualised away).
        good = await client.submit(t2v("the one that works"))
        for key, (_cls, at_percent) in EXPECTED.items():
            await sim.fail_next(1, key, at_percent)
        # Prompts mention failing on purpose: the clip's own words must decide, not the prompt's.
        requests = [t2v(f"prompt {i}: a policy poster that failed at 50%") for i in range(len(EXPECTED))]
        # Submitted concurrently: the client serialises the page work behind its lock.
        handles = await asyncio.gather(*(client.submit(r) for r in requests))
        assert (await sim.counters())["submissions"] == len(EXPECTED) + 1

        # Poll and download still find the oldest clip, far down the grid.
        [done] = await wait_terminal(client, good)
        assert done.state == "done"
        saved = await client.download(good, good.tile_ids[0], tmp_path / "good.mp4")
        assert saved.stat().st_size > 20_000

        results = await asyncio.gather(*(wait_terminal(client, h) for h in handles))
    finally:
        await client.close()
    # Which text each clip got is the simulator's business; match by the text it failed with.
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
    # Only the good one is paid for: failed generations cost nothing.
    assert counters["credits_spent"] == good.credits
