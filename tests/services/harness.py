"""Test harness for the pipeline and services: settings, start frames, a recording notifier,
and a running pipeline on flowsim + the real Playwright driver + real FFmpeg.

The only stand-in is `RecordingNotifier`, at the notification boundary (what the user would be
told); everything else is the real thing.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bot.clock import SystemClock
from bot.config import (
    FlowSettings,
    PathSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    UpscaleSettings,
)
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.pipeline.loop import Pipeline
from bot.pipeline.upscale import Upscaler
from bot.storage.db import Database
from bot.storage.queue import TaskQueue
from tests.fixtures.flowsim import app_url


def make_settings(data_dir: Path, flow_url: str | None = None, **flow: Any) -> Settings:
    """Settings for tests: nothing read from .env; fast polls and short retry waits; the app
    URL of the simulator at `flow_url`, whose rights dialog the driver accepts at the first
    upload as an admin would let it."""
    values: dict[str, Any] = dict(step_timeout_s=8.0, poll_interval_s=0.3, high_demand_wait_s=0.5,
                                  rate_limit_backoff_s=1.0, render_slots=5, backend="simulator",
                                  sim_generation_seconds=3.0, accept_upload_terms=True,
                                  unusual_activity_wait_s=0.2,
                                  # Pacing has its own tests; elsewhere it would only slow
                                  # every submit by FLOW_SUBMIT_GAP_S.
                                  submit_gap_s=0.0)
    if flow_url:
        values["base_url"] = app_url(flow_url)
    values.update(flow)
    return Settings(
        telegram=TelegramSettings(_env_file=None, progress_edit_interval_s=0.0),  # type: ignore[call-arg]
        flow=FlowSettings(_env_file=None, **values),  # type: ignore[call-arg]
        upscale=UpscaleSettings(_env_file=None, preset="fast"),  # type: ignore[call-arg]
        storage=StorageSettings(_env_file=None),  # type: ignore[call-arg]
        paths=PathSettings(_env_file=None, data_dir=data_dir),  # type: ignore[call-arg]
    )


def make_frames(folder: Path, n: int, size: tuple[int, int] = (720, 1280)) -> list[Path]:
    """`n` distinct start frames (PNG)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        img = Image.linear_gradient("L").resize(size).convert("RGB")
        draw = ImageDraw.Draw(img)
        draw.rectangle((40 + 20 * i, 80, 300 + 20 * i, 400), fill=(30 * i % 255, 90, 200))
        path = folder / f"frame{i:02d}.png"
        img.save(path)
        out.append(path)
    return out


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class RecordingNotifier:
    """Records every notification (and appends it to `log_file` as JSON lines, if given)."""

    def __init__(self, log_file: Path | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.log_file = log_file

    def _add(self, name: str, event: Any) -> None:
        self.events.append((name, event))
        if self.log_file is not None:
            with open(self.log_file, "a") as fh:
                fh.write(json.dumps({"event": name, **_plain(event)}) + "\n")

    def of(self, name: str) -> list[Any]:
        return [e for n, e in self.events if n == name]

    async def batch_progress(self, event) -> None:
        self._add("batch_progress", event)

    async def item_previews(self, event) -> None:
        self._add("item_previews", event)

    async def item_failed(self, event) -> None:
        self._add("item_failed", event)

    async def batch_finished(self, event) -> None:
        self._add("batch_finished", event)

    async def upscale_progress(self, event) -> None:
        self._add("upscale_progress", event)

    async def clip_upscaled(self, event) -> None:
        self._add("clip_upscaled", event)

    async def export_ready(self, event) -> None:
        self._add("export_ready", event)

    async def admin_alert(self, event) -> None:
        self._add("admin_alert", event)

    async def model_retired(self, event) -> None:
        self._add("model_retired", event)


@asynccontextmanager
async def running_pipeline(settings: Settings, session_file: Path, notifier, *, browser=None,
                           lease_s: float = 6.0, session_check_s: float = 0.5):
    """Database + queue + driver + upscaler + Pipeline, started; everything closed on exit."""
    clock = SystemClock()
    data = settings.paths.data_dir
    db = Database(settings.paths.database_path, clock)
    await db.open()
    queue = TaskQueue(db, lease_seconds=lease_s)
    flow = PlaywrightFlowClient(settings.flow, session_file, clock, data / "artifacts", browser=browser)
    await flow.start()
    pipeline = Pipeline(db, queue, flow, Upscaler(settings.upscale), None, notifier, settings, clock,
                        data_dir=data, tick_s=0.3, session_check_s=session_check_s)
    await pipeline.start()
    try:
        yield pipeline
    finally:
        await pipeline.stop()
        await flow.close()
        await db.close()


async def eventually(check, timeout: float = 120.0, step: float = 0.2) -> None:
    """Wait until `await check()` (or `check()`) is truthy; fail the test after `timeout`."""
    import asyncio
    import inspect

    for _ in range(int(timeout / step)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")
