"""The `simulator` backend (flowsim started by the driver's own helper), the session file's
mode, secrets kept out of logs and traces, and evidence saved for a page we do not understand."""

from __future__ import annotations

import json
import logging
import stat
import zipfile

import pytest

from bot.clock import SystemClock
from bot.config import load_settings
from bot.errors import UnknownPageStateError
from bot.pipeline.flow.api import FlowHandle, GenerationRequest
from bot.pipeline.flow.factory import open_flow


async def test_simulator_backend_signs_in_and_secrets_stay_out(
    chromium, frames, tmp_path, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    # What a new user sets: no Google account, just FLOW_BACKEND=simulator.
    monkeypatch.setenv("FLOW_BACKEND", "simulator")
    monkeypatch.setenv("FLOW_SIM_GENERATION_SECONDS", "2")
    monkeypatch.setenv("FLOW_STEP_TIMEOUT_S", "20")  # the backend runs flowsim with Flow's real 4.5 s submit reply
    monkeypatch.setenv("PATHS_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings(env_file=None)
    runtime = await open_flow(settings, SystemClock(), browser=chromium)
    sim, client = runtime.simulator, runtime.client
    session_file = client.session.session_file
    assert session_file != settings.session_file  # a real Google session is never overwritten
    try:
        assert sim.base_url == sim.root_url + "/"  # flowsim serves the Flow of today
        assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
        cookie = json.loads(session_file.read_text())["cookies"][0]["value"]
        try:
            assert (await client.check_session()).signed_in
            handle = await client.submit(
                GenerationRequest(frames["landscape"], "a quiet harbour", "16:9", 1))
            info = await client.check_session()
            assert info.signed_in and info.credits == 1000 - 20

            # A tile id the project does not have: an unknown state, with evidence saved.
            bogus = FlowHandle(handle.project_url, ("no-such-tile",), handle.submitted_at, handle.prompt)
            with pytest.raises(UnknownPageStateError) as info_err:
                await client.poll(bogus)
            err = info_err.value
            assert err.screenshot.read_bytes().startswith(b"\x89PNG")
            assert stat.S_IMODE(err.trace.stat().st_mode) == 0o600
            with zipfile.ZipFile(err.trace) as trace:
                names = trace.namelist()
                assert any(n.endswith(".trace") for n in names)
                for name in names:
                    assert cookie.encode() not in trace.read(name), name
        finally:
            await runtime.aclose()
        assert cookie not in caplog.text
        assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    finally:
        await sim.stop()  # idempotent; only matters when the test failed early
    assert sim.process.returncode is not None
    # The simulated account was kept on disk: a restarted bot finds its generations again.
    assert (tmp_path / "data" / "flowsim" / "flowsim-state.json").exists()
