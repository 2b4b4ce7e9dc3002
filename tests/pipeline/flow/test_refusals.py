"""Refusals right after Create (no tiles, no handle, nothing charged) and an expired session."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.errors import (
    FinalFlowError,
    InsufficientCreditsError,
    RateLimitedError,
    SessionExpiredError,
    SlotsFullError,
    UnusualActivityError,
)
from bot.pipeline.flow.api import GenerationRequest

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


def req(frames, prompt: str, outputs: int = 1) -> GenerationRequest:
    return GenerationRequest(frames["portrait"], prompt, "9:16", outputs)


async def test_slots_full_and_too_quickly_refusals_give_no_handle(client, sim, frames):
    await sim.configure(slots=2, generation_seconds=30)
    await client.submit(req(frames, "first, two outputs", 2))
    with pytest.raises(SlotsFullError):
        await client.submit(req(frames, "second, refused: slots are full"))
    counters = await sim.counters()
    assert counters["submissions"] == 1 and counters["refusals"] == {"slots_full": 1}
    assert len(await sim.tiles()) == 2

    await sim.configure(slots=10, rate_limit_per_minute=1)
    with pytest.raises(RateLimitedError):
        await client.submit(req(frames, "third, refused: too quickly"))
    await sim.configure(rate_limit_per_minute=None, unusual_activity=True)
    with pytest.raises(UnusualActivityError):
        await client.submit(req(frames, "fourth, refused: unusual activity"))
    assert (await sim.counters())["submissions"] == 1


async def test_insufficient_credits_before_and_at_create(client, sim, frames):
    await sim.configure(credits=30)
    await client.submit(req(frames, "uses 20 of 30 credits"))
    # 10 left: the page swaps Create for the prompt-warning button once it knows the balance
    # (or, if our click comes first, the server refuses with a toast); either way no handle.
    with pytest.raises(InsufficientCreditsError):
        await client.submit(req(frames, "needs 20, has 10"))
    counters = await sim.counters()
    assert counters["submissions"] == 1 and counters["credits_left"] == 10


async def test_session_expiry_mid_run(client, sim, frames, sim_session_file):
    handle = await client.submit(req(frames, "submitted while signed in"))
    info = await client.check_session()
    assert info.signed_in and info.credits == 1000 - 20

    await sim.expire_session()
    # The open page notices on its next own refresh and lands on the sign-in page; polls
    # until then read the page as it was.
    with pytest.raises(SessionExpiredError):
        for _ in range(100):
            await client.poll(handle)
            await asyncio.sleep(0.1)
    with pytest.raises(SessionExpiredError):
        await client.submit(req(frames, "never submitted"))
    info = await client.check_session()
    assert not info.signed_in and "sign" in info.detail.lower()
    assert (await sim.counters())["submissions"] == 1

    # An admin signs in again and installs the new session file; the client reloads it
    # without a restart and the same handle polls fine (reattached by URL).
    await sim.restore_session()
    sim_session_file.write_text(json.dumps(await sim.storage_state()))
    await client.reload_session()
    assert (await client.check_session()).signed_in
    statuses = await client.poll(handle)
    assert [s.tile_id for s in statuses] == list(handle.tile_ids)


async def test_rejected_image_never_appears_and_nothing_is_submitted(make_client, sim, frames):
    client = make_client(step_timeout_s=3)
    await client.start()
    try:
        with pytest.raises(FinalFlowError) as info:
            await client.submit(GenerationRequest(frames["broken"], "from a broken file", "9:16", 1))
        assert info.value.code == "image_rejected"
        assert (await sim.counters())["submissions"] == 0
        # The same client carries on with a good image.
        handle = await client.submit(req(frames, "from a good file"))
        assert len(handle.tile_ids) == 1
        assert (await client.screenshot()).startswith(b"\x89PNG")
    finally:
        await client.close()
