"""`flowbot flow check` on the classic UI, on the Feb-2026 variant (drift covered by fallbacks,
and the driver still submits and downloads there), and on a page where elements are missing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.check import BROKEN, FALLBACK, OK, exit_code, run_check

from .helpers import wait_terminal

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")

ROOT = Path(__file__).resolve().parents[3]


async def check_in(chromium, session_file: Path, url: str):
    context = await chromium.new_context(storage_state=str(session_file))
    try:
        return await run_check(await context.new_page(), url, timeout=5)
    finally:
        await context.close()


async def run_cli(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", os.devnull, "flow", "check", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_classic_ui_matches_every_primary_selector(chromium, sim, sim_session_file, flowsim_url):
    results = await check_in(chromium, sim_session_file, f"{flowsim_url}/fx/tools/flow")
    keys = {r.key for r in results}
    assert {"new_project", "prompt", "create", "settings_button", "model_combobox",
            "aspect_combobox", "outputs_combobox", "mode_frames", "start_slot"} <= keys
    assert [r.key for r in results if r.index != 0] == []
    assert exit_code(results) == OK
    assert (await sim.counters())["submissions"] == 0  # looking costs nothing


async def test_feb2026_variant_drift_named_and_driver_still_works(
    client, chromium, sim, sim_session_file, flowsim_url, frames, tmp_path
):
    await sim.configure(variant="feb2026")
    handle = await client.submit(GenerationRequest(frames["landscape"], "feb variant run", "16:9", 1))
    [status] = await wait_terminal(client, handle)
    assert status.state == "done"
    saved = await client.download(handle, handle.tile_ids[0], tmp_path / "feb.mp4")
    assert saved.stat().st_size > 100_000
    tile = next(t for t in await sim.tiles() if t["tile_id"] == handle.tile_ids[0])
    assert (tile["aspect"], tile["outputs"]) == ("16:9", 1)

    # The CLI, on the project that now has a finished tile (so the download menu is checked).
    code, out = await run_cli("--url", handle.project_url, "--session", str(sim_session_file))
    assert code == FALLBACK, out
    drift_line = next(line for line in out.splitlines() if line.startswith("DRIFT"))
    for key in ("prompt", "settings_button", "tile_download", "menu_720p"):
        assert key in drift_line, out
    assert "BROKEN" not in out
    assert (await sim.counters())["submissions"] == 1


async def test_missing_elements_are_named_with_nonzero_exit(chromium, sim, sim_session_file, flowsim_url):
    # A project page that does not exist: Flow's "not found" page has none of the controls.
    url = f"{flowsim_url}/fx/tools/flow/project/00000000-0000-0000-0000-000000000000"
    results = await check_in(chromium, sim_session_file, url)
    missing = {r.key for r in results if r.index is None}
    assert {"prompt", "create", "settings_button", "mode_combobox"} <= missing
    assert exit_code(results) == BROKEN
