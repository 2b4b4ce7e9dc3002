"""Fixtures of the flow2026 server tests: the session simulator (its submit reply at once) and
an HTTP client carrying its sign-in cookie."""

from __future__ import annotations

import aiohttp
import pytest

from tests.flowsim.flow2026 import Flow2026


@pytest.fixture
async def cookie_http(sim):
    """An aiohttp session signed in to the simulator (no redirects followed by default)."""
    state = await sim.storage_state()
    cookies = {c["name"]: c["value"] for c in state["cookies"]}
    async with aiohttp.ClientSession(cookies=cookies) as session:
        yield session


@pytest.fixture
async def flow(sim, flowsim_url, cookie_http) -> Flow2026:
    """The reset simulator, and a wire client for it."""
    # The real 4-5 s submit reply is tested on its own; the wire tests need speed.
    await sim.configure(submit_reply_ms=0)
    return Flow2026(cookie_http, flowsim_url)
