"""`flowbot flow check` (and so the pipeline's drift canary) on flowsim's flow2026 variant:
every element of the 2026 registry is reached by its primary selector, and nothing is paid."""

from __future__ import annotations

from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.check import OK, exit_code, run_check

from .flow2026 import QUIET, client_2026, submits
from .helpers import wait_terminal


async def check_in(chromium, session_file, url: str):
    context = await chromium.new_context(storage_state=str(session_file))
    try:
        return await run_check(await context.new_page(), url, timeout=8)
    finally:
        await context.close()


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
