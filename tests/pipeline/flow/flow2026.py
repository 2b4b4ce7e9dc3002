"""Shared setup of the driver tests on flowsim's flow2026 variant: fast page timings, a client
on the simulator's root (FLOW_UI=auto detects the generation), start frames, wire helpers."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.clock import SystemClock
from bot.config import FlowSettings
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.fixtures.flowsim import FAST_2026

# Short page timings (the traps stay as configured by each test): the `sim` fixture's own, which
# keep flowsim's realistic model re-render (model_rerender_ms 300: a shorter one hid a driver bug).
FAST = FAST_2026
# Every first-visit overlay off and the rights dialog already accepted, for tests about
# something else; the trap tests switch them back on.
QUIET = {**FAST, "cookie_bar": "off", "agent_panel": False, "changelog": False,
         "upload_consent": False}
SUBMIT_RPCS = ("YhhmEf", "eb1hJf", "nprQif", "MZZa6b")


def settings_2026(flowsim_url: str, **overrides) -> FlowSettings:
    values = dict(base_url=f"{flowsim_url}/", step_timeout_s=15.0, headless=True,
                  unusual_activity_wait_s=0.2, upscale_1080_timeout_s=20.0)
    values.update(overrides)
    return FlowSettings(_env_file=None, **values)  # type: ignore[call-arg]


def client_2026(flowsim_url, session_file: Path, tmp_path: Path, browser, **overrides):
    return PlaywrightFlowClient(settings_2026(flowsim_url, **overrides), session_file,
                                SystemClock(), tmp_path / "artifacts", browser=browser)


def submits(wire: list[dict]) -> list[dict]:
    """The submit calls of a `sim.wire()` record (refused ones included)."""
    return [e for e in wire if e["rpc"] in SUBMIT_RPCS]


def png(path: Path, colour=(40, 140, 90), size=(640, 360), *, plain: bool = False) -> Path:
    """A real PNG with some structure, or of one colour (flowsim refuses magenta as a minor)."""
    img = Image.new("RGB", size, colour)
    if not plain:
        img.paste((200, 60, 30), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    img.save(path)
    return path


def late_modal_script(trigger: str) -> str:
    """A page script for `page.evaluate` / `add_init_script`: a first-visit modal as Flow's CDK
    overlay shows it (a dark backdrop over everything, a dialog with a `close` icon button,
    FLOW_2026 §2) opens late, once, when `trigger` calls `open()`. `trigger` is JS run at once
    with `open` in scope, e.g. a listener that calls it at the moment a test needs."""
    return """(() => {
  let opened = false;
  const open = () => {
    if (opened) return;
    opened = true;
    const root = document.querySelector(".cdk-overlay-container");
    const back = document.createElement("div");
    back.className = "cdk-overlay-backdrop cdk-overlay-dark-backdrop cdk-overlay-backdrop-showing";
    const pane = document.createElement("div");
    pane.className = "cdk-overlay-pane cdk-global-centered";
    pane.innerHTML = '<mat-dialog-container role="dialog" aria-modal="true" class="late-modal">'
      + '<button type="button" aria-label="Close"><mat-icon>close</mat-icon></button>'
      + '<h2>Flow is now on iOS</h2></mat-dialog-container>';
    pane.querySelector("button").addEventListener("click", () => { back.remove(); pane.remove(); });
    root.append(back, pane);
  };
""" + trigger + "\n})()"
