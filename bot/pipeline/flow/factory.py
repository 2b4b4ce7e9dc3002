"""Building the Flow client from settings, for the composition root (`bot/app.py`).

`FLOW_BACKEND=browser` drives `FLOW_BASE_URL` (Google Flow) with the admin's saved session;
`FLOW_BACKEND=simulator` first starts a local flowsim (see `simulator.py`) and drives that, so a
new user can try the whole bot without a Google account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from playwright.async_api import Browser

from bot.clock import Clock
from bot.config import Settings
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.pipeline.flow.simulator import RunningSimulator, start_simulator

log = logging.getLogger(__name__)


@dataclass
class FlowRuntime:
    """The started client, and the simulator behind it when there is one."""

    client: PlaywrightFlowClient
    simulator: RunningSimulator | None = None

    async def aclose(self) -> None:
        """Close the browser (saving the session), then stop the simulator if we started it."""
        try:
            await self.client.close()
        finally:
            if self.simulator is not None:
                await self.simulator.stop()


async def open_flow(settings: Settings, clock: Clock, *, browser: Browser | None = None) -> FlowRuntime:
    """Start the configured backend and a started `PlaywrightFlowClient` on it."""
    flow = settings.flow
    session_file = settings.session_file
    simulator = None
    if flow.backend == "simulator":
        # Its own session file: trying the simulator must never overwrite a real Google session.
        session_file = settings.paths.data_dir / "flowsim_session.json"
        simulator = await start_simulator(
            flow, session_file, state_dir=settings.paths.data_dir / "flowsim")
        flow = flow.model_copy(update={"base_url": simulator.base_url})
        log.info("Flow backend: local simulator at %s", simulator.base_url)
    client = PlaywrightFlowClient(
        flow, session_file, clock, settings.paths.data_dir / "flow-evidence",
        browser=browser,
    )
    try:
        await client.start()
    except BaseException:
        if simulator is not None:
            await simulator.stop()
        raise
    return FlowRuntime(client, simulator)
