"""Crash recovery: a killed browser is relaunched and the handle reattached without submitting
again; a fresh process finds a submission it never recorded (`find_submission`)."""

from __future__ import annotations

import os
import signal

import pytest

from bot.clock import SystemClock
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.client import PlaywrightFlowClient

from .conftest import flow_settings
from .helpers import chromium_browsers, wait_terminal

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


async def test_browser_killed_mid_generation_relaunches_and_reattaches(
    make_client, sim, frames, sim_session_file
):
    before = chromium_browsers()
    client = make_client(browser=None)  # its own Chromium, so killing it spares the others
    await client.start()
    try:
        [own] = chromium_browsers() - before
        handle = await client.submit(GenerationRequest(frames["portrait"], "a boat in fog", "9:16", 1))
        os.kill(own, signal.SIGKILL)

        statuses = await wait_terminal(client, handle)  # relaunches, reopens the project
        assert [s.state for s in statuses] == ["done"]
        assert client.session.relaunches == 1
        assert len(chromium_browsers() - before) == 1  # the new one; the dead one is gone
        counters = await sim.counters()
        assert counters["submissions"] == 1 and counters["tiles_created"] == 1

        # It can keep working in the same project after the relaunch.
        again = await client.submit(GenerationRequest(frames["portrait"], "the boat again", "9:16", 1))
        assert again.project_url == handle.project_url
    finally:
        await client.close()
    assert chromium_browsers() - before == set()


async def test_fresh_process_finds_unrecorded_submission(
    make_client, chromium, sim, frames, sim_session_file, tmp_path, flowsim_url
):
    first = make_client()
    await first.start()
    t0 = SystemClock().now()
    old = await first.submit(GenerationRequest(frames["portrait"], "dawn chorus", "9:16", 1))
    t1 = SystemClock().now()
    # Same prompt again (a retry); pretend the process died before recording this handle.
    lost = await first.submit(GenerationRequest(frames["portrait"], "dawn chorus", "9:16", 2))
    await first.close()

    # A new process: new client, same session and ledger files, nothing in memory.
    second = PlaywrightFlowClient(
        flow_settings(flowsim_url), sim_session_file, SystemClock(), tmp_path / "artifacts",
        browser=chromium,
    )
    await second.start()
    try:
        found = await second.find_submission("dawn chorus", after=t1)
        assert found is not None
        assert set(found.tile_ids) == set(lost.tile_ids)
        assert found.project_url == lost.project_url
        assert await second.find_submission("no such prompt", after=t0) is None
        both = await second.find_submission("dawn chorus", after=t0)
        assert set(both.tile_ids) == set(old.tile_ids) | set(lost.tile_ids)
        # Reattach: polling a handle from before the restart works on the fresh browser context.
        statuses = await second.poll(lost)
        assert [s.tile_id for s in statuses] == list(lost.tile_ids)
        assert (await sim.counters())["submissions"] == 2
    finally:
        await second.close()


async def test_frozen_page_is_reloaded(chromium, sim, frames, sim_session_file, tmp_path, flowsim_url):
    await sim.configure(generation_seconds=4)
    client = PlaywrightFlowClient(
        flow_settings(flowsim_url), sim_session_file, SystemClock(), tmp_path / "artifacts",
        browser=chromium, stale_reload_s=1.0,
    )
    await client.start()
    try:
        handle = await client.submit(GenerationRequest(frames["portrait"], "frozen page", "9:16", 1))
        # Stop the page's own refresh loop (it reschedules itself with setTimeout): from now
        # on its DOM shows the tile as it was, like a page whose updates stalled.
        page = await client.session.page()
        await page.evaluate("window.__frozen = 1; window.setTimeout = () => 0")
        [status] = await wait_terminal(client, handle)
        assert status.state == "done"
        assert await page.evaluate("window.__frozen") is None  # it was reloaded
        assert (await sim.counters())["submissions"] == 1
    finally:
        await client.close()
