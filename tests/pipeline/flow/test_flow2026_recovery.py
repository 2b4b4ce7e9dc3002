"""Crash recovery on flowsim: a killed browser is relaunched and the handle reattached without
submitting again; a fresh process finds a submission it never recorded (`find_submission`); a
page whose own refresh stalled is reloaded."""

from __future__ import annotations

import os
import signal

from bot.pipeline.flow.api import GenerationRequest

from .flow2026 import QUIET, client_2026, submits
from .helpers import chromium_browsers, wait_terminal


def t2v(prompt: str, outputs: int = 1) -> GenerationRequest:
    return GenerationRequest(None, prompt, "9:16", outputs, "Omni 1.1 Flash", duration=4,
                             resolution="360p")


async def test_browser_killed_mid_generation_relaunches_and_reattaches(flowsim_url, sim,
                                                                      sim_session_file, tmp_path):
    await sim.configure(**QUIET)
    before = chromium_browsers()
    # Its own Chromium (no shared browser), so killing it spares the others.
    client = client_2026(flowsim_url, sim_session_file, tmp_path, None)
    await client.start()
    try:
        [own] = chromium_browsers() - before
        handle = await client.submit(t2v("a boat in fog"))
        os.kill(own, signal.SIGKILL)

        statuses = await wait_terminal(client, handle)  # relaunches, reopens the project
        assert [s.state for s in statuses] == ["done"]
        assert client.session.relaunches == 1
        assert len(chromium_browsers() - before) == 1  # the new one; the dead one is gone
        counters = await sim.counters()
        assert counters["submissions"] == 1 and counters["tiles_created"] == 1

        # It can keep working in the same project after the relaunch.
        again = await client.submit(t2v("the boat again"))
        assert again.project_url == handle.project_url
    finally:
        await client.close()
    assert chromium_browsers() - before == set()


async def test_fresh_process_finds_unrecorded_submission(flowsim_url, chromium, sim,
                                                         sim_session_file, tmp_path):
    await sim.configure(**QUIET)
    first = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await first.start()
    try:
        t0 = first.clock.now()
        old = await first.submit(t2v("dawn chorus"))
        t1 = first.clock.now()
        # Same prompt again (a retry); pretend the process died before recording this handle.
        lost = await first.submit(t2v("dawn chorus", 2))
    finally:
        await first.close()

    # A new process: new client, same session and ledger files, nothing in memory.
    second = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
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
        assert len(submits(await sim.wire())) == 2
    finally:
        await second.close()


async def test_frozen_page_is_reloaded(flowsim_url, chromium, sim, sim_session_file, tmp_path):
    await sim.configure(**QUIET, generation_seconds=4)
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    client.stale_reload_s = 1.0
    await client.start()
    try:
        handle = await client.submit(t2v("frozen page"))
        # Stop the page's own refresh loop (it reschedules itself with setTimeout): from now
        # on its DOM and its polls show the clip as it was, like a page whose updates stalled.
        page = await client.session.page()
        await page.evaluate("window.__frozen = 1; window.setTimeout = () => 0")
        [status] = await wait_terminal(client, handle)
        assert status.state == "done"
        assert await page.evaluate("window.__frozen") is None  # it was reloaded
        assert (await sim.counters())["submissions"] == 1
    finally:
        await client.close()
