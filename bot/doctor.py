"""`flowbot doctor`: a table of environment checks, each required or advisory.

Each check is registered here with `@check(...)` (the doctor imports downward, nothing below
imports it); the CLI runs them in registration order.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings, load_settings
from bot.errors import ConfigError


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    required: bool = True


CheckFn = Callable[[Settings], Awaitable[tuple[bool, str]]]
_CHECKS: list[tuple[str, bool, CheckFn]] = []


def check(name: str, *, required: bool = True) -> Callable[[CheckFn], CheckFn]:
    """Register an async check `fn(settings) -> (ok, detail)` under `name`."""

    def deco(fn: CheckFn) -> CheckFn:
        _CHECKS.append((name, required, fn))
        return fn

    return deco


def _tool_version(path: str) -> tuple[bool, str]:
    exe = shutil.which(path)
    if exe is None:
        return False, f"{path} not found: install it (apt-get install ffmpeg)"
    out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=20)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "?"
    return out.returncode == 0, first


@check("data dir writable")
async def _data_dir(settings: Settings) -> tuple[bool, str]:
    data = settings.paths.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data, prefix=".doctor-"):
            pass
    except OSError as err:
        return False, f"{data}: {err.strerror}; set PATHS_DATA_DIR to a writable folder"
    return True, str(data.resolve())


@check("database migrated")
async def _database(settings: Settings) -> tuple[bool, str]:
    from bot.storage.db import Database
    from bot.storage.migrations import latest_version

    path = settings.paths.database_path
    try:
        async with Database(path) as db:
            row = await db.fetchone("PRAGMA user_version")
            mode = await db.fetchone("PRAGMA journal_mode")
    except Exception as err:  # noqa: BLE001 - any failure is the check's answer
        return False, f"{path}: {err}"
    return True, f"{path} (schema v{row[0]}/{latest_version()}, {mode[0]})"


@check("ffmpeg")
async def _ffmpeg(settings: Settings) -> tuple[bool, str]:
    return await asyncio.to_thread(_tool_version, settings.upscale.ffmpeg_path)


@check("ffprobe")
async def _ffprobe(settings: Settings) -> tuple[bool, str]:
    return await asyncio.to_thread(_tool_version, settings.upscale.ffprobe_path)


@check("chromium launchable")
async def _chromium(settings: Settings) -> tuple[bool, str]:
    path = Path(settings.flow.chromium_path)
    if not path.exists():
        return False, f"{path} not found: apt-get install chromium, or set FLOW_CHROMIUM_PATH"
    from bot.browser import launch_chromium

    try:
        async with launch_chromium(path, headless=True) as browser:
            version = browser.version
    except Exception as err:  # noqa: BLE001
        return False, f"{path}: {str(err).splitlines()[0]}"
    return True, f"{path} (Chromium {version})"


@check("telegram bot token", required=False)
async def _bot_token(settings: Settings) -> tuple[bool, str]:
    # Never the token itself, nor a part of it: only whether it is there.
    token = settings.telegram.bot_token
    if token is None or not token.get_secret_value().strip():
        return False, ("TELEGRAM_BOT_TOKEN is not set: `flowbot serve` needs it; create a bot "
                       "with @BotFather (/newbot) and put the token in .env")
    return True, "set (hidden)"


@check("telegram admins", required=False)
async def _admins(settings: Settings) -> tuple[bool, str]:
    ids = settings.telegram.admin_ids
    if not ids:
        return False, ("TELEGRAM_ADMIN_IDS is empty: nobody gets Flow alerts or can /login; set "
                       "TELEGRAM_ADMIN_IDS=<your numeric id> (ask @userinfobot)")
    return True, f"{len(ids)} admin id(s) set"


@check("flow browser mode")
async def _browser_mode(settings: Settings) -> tuple[bool, str]:
    """Whether the configured way of getting a browser works: headless, headed, or CDP."""
    from playwright.async_api import async_playwright

    from bot.browser import BrowserModeError, cdp_endpoint_label, open_browser

    flow = settings.flow
    mode = flow.browser_mode
    if mode == "cdp":
        where = cdp_endpoint_label(flow.cdp_url or "")
    elif mode == "headed":
        where = f"DISPLAY={os.environ['DISPLAY']}" if os.environ.get("DISPLAY") else "Xvfb"
    else:
        where = "no window"
    try:
        async with async_playwright() as pw:
            opened = await open_browser(pw, flow)
            try:
                version = opened.browser.version
                if mode == "cdp":
                    tabs = sum(len(c.pages) for c in opened.browser.contexts)
                    detail = f"cdp: attached to {where}, browser {version}, {tabs} tab(s) left as they are"
                elif opened.display is not None:
                    detail = (f"headed on a virtual display ({flow.xvfb_path} {opened.display.display}"
                              f" started, Chromium {version} ran on it, both stopped)")
                else:
                    detail = f"{mode} ({where}, Chromium {version})"
            finally:
                await opened.close()
    except BrowserModeError as err:
        return False, f"{mode}: {err}"
    except Exception as err:  # noqa: BLE001 - any failure is the check's answer
        return False, f"{mode} ({where}): {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    return True, detail


@check("flow drift canary", required=False)
async def _canary(settings: Settings) -> tuple[bool, str]:
    """The pipeline's last look at Flow's page (bot/pipeline/canary.py), from the database."""
    import time

    from bot.pipeline.canary import KV_CANARY, PAUSE_KIND
    from bot.storage import repo
    from bot.storage.db import Database

    if not settings.flow.canary:
        return False, "off (FLOW_CANARY=false): drift is noticed only when a submission fails"
    path = settings.paths.database_path
    if not path.exists():
        return True, "on; no check yet (runs before the first batch's first submission)"
    async with Database(path) as db:
        state = await repo.kv_read(db, KV_CANARY) or {}
        pause = await repo.kv_read(db, repo.KV_PAUSE)
    if pause is not None and pause.get("kind") == PAUSE_KIND:
        return False, f"PAUSED for drift: {pause.get('detail', '')[:160]}; fix, then /resume"
    if "at" not in state:
        return True, "on; no check yet (runs before the first batch's first submission)"
    ago = max(0.0, time.time() - state["at"]) / 3600
    return state.get("status") in ("ok", "fallback", "unsupported"), (
        f"last check {ago:.1f} h ago: {state.get('status')}"
        + (f" ({state['error']})" if state.get("status") == "error" and state.get("error") else ""))


@check("upscale encoder", required=False)
async def _encoder(settings: Settings) -> tuple[bool, str]:
    """The encoder the upscaler picks here (NVENC only when a probe encode works)."""
    from bot.pipeline.encoders import describe_encoder

    return await describe_encoder(settings.upscale)


@check("gallery public address")
async def _gallery_url(settings: Settings) -> tuple[bool, str]:
    """Telegram opens Mini Apps over HTTPS only: a gallery behind http:// never opens."""
    web = settings.webapp
    if not web.enabled:
        return True, "off (WEBAPP_ENABLED=false)"
    url = web.public_url or ""
    if not url.lower().startswith("https://"):
        return False, (f"WEBAPP_PUBLIC_URL={url or '(empty)'} is not https://: Telegram opens "
                       "Mini Apps over HTTPS only; put a reverse proxy or a tunnel in front "
                       "(README, \"The gallery\")")
    return True, f"{url}/gallery/ -> {web.host}:{web.port}"


async def run_checks(settings: Settings | None) -> list[CheckResult]:
    """Run every registered check; without valid settings only the settings row is reported."""
    results: list[CheckResult] = []
    if settings is None:
        return results
    for name, required, fn in _CHECKS:
        try:
            ok, detail = await fn(settings)
        except Exception as err:  # noqa: BLE001 - a crashing check is a failed check
            ok, detail = False, f"{type(err).__name__}: {err}"
        results.append(CheckResult(name, ok, detail, required))
    return results


def doctor(env_file: str | None) -> tuple[list[CheckResult], int]:
    """Load settings and run every check; returns the rows and the exit code."""
    rows: list[CheckResult]
    try:
        settings = load_settings(env_file)
    except ConfigError as err:
        return [CheckResult("settings valid", False, str(err))], 1
    rows = [CheckResult("settings valid", True, os.path.abspath(env_file or "(environment only)"))]
    rows += asyncio.run(run_checks(settings))
    code = 0 if all(r.ok for r in rows if r.required) else 1
    return rows, code


def format_table(rows: list[CheckResult]) -> str:
    width = max(len(r.name) for r in rows)
    lines = []
    for r in rows:
        mark = "ok  " if r.ok else ("FAIL" if r.required else "warn")
        lines.append(f"{mark}  {r.name.ljust(width)}  {r.detail}")
    return "\n".join(lines)

