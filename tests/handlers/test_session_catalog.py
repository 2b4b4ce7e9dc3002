"""Issue 17: /session also reads what the account can buy from Flow's page (models, durations,
prices) and makes it the catalogue every offer reads, with Flow's build label; shown as a
progress message edited with the result."""

from __future__ import annotations

import json

import pytest

from bot.clock import SystemClock
from bot.pipeline import catalog
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ADMIN, bot_settings, last_with, running_bot

pytestmark = pytest.mark.flowsim_build("december")


async def test_session_learns_decembers_models_from_the_page(telegram, sim, chromium, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    settings.session_file.parent.mkdir(parents=True, exist_ok=True)
    settings.session_file.write_text(json.dumps(await sim.storage_state()))
    flow = PlaywrightFlowClient(settings.flow, settings.session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, with_pipeline=False):
            assert catalog.installed() is None  # nothing learned yet: our knowledge speaks
            await telegram.send_command(ADMIN, "/session")
            shown = await telegram.wait_for(lambda t: last_with(t, ADMIN, "(build "),
                                            timeout=120)
            assert "boq_labs-ai-sandbox-frontend_20261205" in shown.content
            assert "Omni 1.2 Flash: 3–15 s, 24 credits" in shown.content
            assert "Veo 3.1 - Lite: 8 s, 10 credits" in shown.content
            assert "Veo 3.1 - Fast" not in shown.content
            learned = catalog.installed()
            assert learned is not None and learned.models == ("Omni 1.2 Flash", "Veo 3.1 - Lite")
            assert catalog.offer("Omni 1.2 Flash", "pro").duration_range == (3, 15)
            assert catalog.is_known_price("Omni 1.2 Flash", "pro", 12, "720p")
    finally:
        await flow.close()
    assert (await sim.counters())["submissions"] == 0  # reading the page spent nothing
