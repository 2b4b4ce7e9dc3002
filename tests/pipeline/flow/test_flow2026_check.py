"""`flowbot flow check` (and so the pipeline's drift canary) on flowsim: every element of the
registry is reached by its primary selector, and nothing is paid; on Flow's next build of the
page (`page_drift`) the drift is named and the driver still submits and downloads; on a page
without the controls each missing element is named, with a non-zero exit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.check import BROKEN, FALLBACK, OK, exit_code, run_check

from .flow2026 import QUIET, client_2026, submits
from .helpers import wait_terminal

ROOT = Path(__file__).resolve().parents[3]


async def check_in(chromium, session_file, url: str, timeout: float = 8):
    context = await chromium.new_context(storage_state=str(session_file))
    try:
        return await run_check(await context.new_page(), url, timeout=timeout)
    finally:
        await context.close()


async def run_cli(*args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_"))}
    env["FLOW_STEP_TIMEOUT_S"] = "15"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", os.devnull, "flow", "check", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_check_walks_the_2026_ui_with_every_primary_selector(chromium, sim, sim_session_file,
                                                                   flowsim_url, tmp_path):
    # A fresh account's overlays are closed the way a submission closes them.
    await sim.configure(**{**QUIET, "cookie_bar": "consent", "agent_panel": True, "changelog": True})
    results = await check_in(chromium, sim_session_file, f"{flowsim_url}/")
    keys = {r.key for r in results}
    assert {"new_project", "prompt_box", "editor", "settings_trigger", "submit", "add_media_menu",
            "menu_upload", "settings_panel", "price", "model_trigger", "model_menu", "frame_chips",
            "group_media", "group_input", "group_aspect", "group_count"} <= keys
    assert [(r.key, r.selector) for r in results if r.index != 0] == []
    assert exit_code(results) == OK
    assert submits(await sim.wire()) == [] and await sim.uploads() == []

    # On a project with a finished clip the tile toolbar and the size menu are checked too.
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        handle = await client.submit(GenerationRequest(None, "a paper boat", "16:9", 1,
                                                       "Omni 1.1 Flash", duration=4, resolution="360p"))
        await wait_terminal(client, handle)
    finally:
        await client.close()
    results = await check_in(chromium, sim_session_file, handle.project_url)
    assert {"tile", "tile_more", "menu_download", "menu_720p"} <= {r.key for r in results}
    assert exit_code(results) == OK, [(r.key, r.selector) for r in results if r.index != 0]
    assert len(submits(await sim.wire())) == 1 and not (await sim.downloads())


async def test_drift_covered_by_fallbacks_is_named_and_the_driver_still_works(
        client26, chromium, sim, sim_session_file, flowsim_url, tmp_path):
    # Flow's next build of the page: the markup the primary selectors name is gone from the
    # New project and submit buttons; what the fallbacks name is still there.
    await sim.configure(page_drift=True)
    handle = await client26.submit(GenerationRequest(None, "a drifted page, same product", "16:9", 1,
                                                     "Omni 1.1 Flash", duration=4, resolution="360p"))
    [status] = await wait_terminal(client26, handle)
    assert status.state == "done"
    saved = await client26.download(handle, handle.tile_ids[0], tmp_path / "drift.mp4")
    assert saved.stat().st_size > 20_000

    # The CLI, on the project that now has a finished clip (so the download menu is checked).
    code, out = await run_cli("--url", handle.project_url, "--session", str(sim_session_file))
    assert code == FALLBACK, out
    drift_line = next(line for line in out.splitlines() if line.startswith("DRIFT"))
    assert "submit" in drift_line, out
    assert "BROKEN" not in out and "menu_720p" in out
    # From the home page the New project button's drift is named too.
    results = await check_in(chromium, sim_session_file, f"{flowsim_url}/")
    assert {r.key for r in results if r.index} == {"new_project", "submit"}
    assert {r.key for r in results if r.index is None} == set()
    assert exit_code(results) == FALLBACK
    assert len(submits(await sim.wire())) == 1  # looking cost nothing


async def test_missing_elements_are_named_with_nonzero_exit(chromium, sim, sim_session_file,
                                                            flowsim_url):
    # A project page that does not exist: Flow's 404 page has none of the controls.
    await sim.configure(**QUIET)
    url = f"{flowsim_url}/project/00000000-0000-0000-0000-000000000000"
    results = await check_in(chromium, sim_session_file, url, timeout=3)
    missing = {r.key for r in results if r.index is None}
    assert {"prompt_box", "editor", "settings_trigger", "submit"} <= missing
    assert exit_code(results) == BROKEN
    assert submits(await sim.wire()) == []
