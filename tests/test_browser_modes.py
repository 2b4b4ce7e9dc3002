"""Browser modes for the real site: headed Chromium on a virtual display the bot starts itself,
and attaching over CDP to a Chrome the user runs (only our pages are ever closed)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from bot.browser import BrowserModeError, VirtualDisplay, open_browser
from bot.clock import SystemClock
from bot.config import FlowSettings
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.pipeline.flow.session import BrowserSession

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FLOWBOT_TEST_CHROMIUM", "/usr/bin/chromium")


def flow_settings(**values) -> FlowSettings:
    return FlowSettings(_env_file=None, chromium_path=CHROMIUM, step_timeout_s=8.0, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def xvfb() -> str:
    """Xvfb on PATH, installed through the project's own install script when missing (so CI,
    which runs `make test`, has it too); skipped only when it truly cannot be installed."""
    if shutil.which("Xvfb") is None:
        out = subprocess.run(["bash", "scripts/install-system-deps.sh"], cwd=ROOT,
                             env={**os.environ, "WITH_XVFB": "1"}, capture_output=True, text=True,
                             timeout=600)
        if shutil.which("Xvfb") is None:
            pytest.skip("Xvfb is not installed and scripts/install-system-deps.sh could not "
                        f"install it (exit {out.returncode}): {out.stderr.strip()[-300:]}")
    return shutil.which("Xvfb")  # type: ignore[return-value]


@pytest.fixture
def no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def page_is_really_drawn(page) -> dict:
    """A headed page on a display is visible and gets animation frames (FLOW_2026 §1)."""
    await page.goto("data:text/html,<title>t</title><p>hello</p>")
    return await page.evaluate("""() => new Promise(resolve => {
        const t = setTimeout(() => resolve({visible: document.visibilityState, frames: 0}), 3000);
        let n = 0;
        const step = () => { if (++n === 3) { clearTimeout(t);
            resolve({visible: document.visibilityState, frames: n, ua: navigator.userAgent}); }
            else requestAnimationFrame(step); };
        requestAnimationFrame(step);
    })""")


async def test_headed_mode_starts_xvfb_runs_a_visible_chromium_and_stops_it(
        xvfb, no_display, tmp_path):
    settings = flow_settings(headed=True)
    assert settings.browser_mode == "headed"
    session = BrowserSession(settings, tmp_path / "session.json", tmp_path / "evidence")
    await session.start()
    display = session._display
    try:
        assert display is not None and re.fullmatch(r":\d+", display.display)
        pid = display.process.pid
        assert alive(pid)
        seen = await page_is_really_drawn(await session.page())
        assert seen["visible"] == "visible" and seen["frames"] == 3
        assert "HeadlessChrome" not in seen["ua"]  # a real headed browser, not headless
    finally:
        await session.close()
    assert session._display is None
    assert not alive(pid), "Xvfb must be stopped when the session closes"


async def test_headed_mode_relaunch_after_a_crash_reuses_the_same_display(
        xvfb, no_display, tmp_path):
    session = BrowserSession(flow_settings(headed=True), tmp_path / "s.json", tmp_path / "ev")
    await session.start()
    try:
        first = session._display
        assert first is not None
        await session.browser.close()  # type: ignore[union-attr]  - the browser dies
        await session.page()
        assert session.relaunches == 1 and session._display is first and first.alive()
    finally:
        await session.close()
    assert not first.alive()


async def test_headed_mode_without_xvfb_says_what_to_do(no_display, tmp_path):
    settings = flow_settings(headed=True, xvfb_path="no-such-xvfb-binary")
    async with async_playwright() as pw:
        with pytest.raises(BrowserModeError) as err:
            await open_browser(pw, settings)
    assert "FLOW_HEADED=true" in str(err.value) and "install-system-deps" in str(err.value)


async def test_two_virtual_displays_get_different_free_numbers(xvfb):
    a = await VirtualDisplay.start()
    try:
        b = await VirtualDisplay.start()
        try:
            assert a.display != b.display
        finally:
            await b.stop()
    finally:
        await a.stop()
    assert not a.alive() and not b.alive()


class UserChrome:
    """A Chromium 'the user' started with --remote-debugging-port=0, with one tab of their own."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--no-first-run", "data:text/html,<title>users tab</title>mine"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.ws_url = ""
        for line in self.proc.stderr:  # type: ignore[union-attr]
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                self.ws_url = m.group(1)
                break
        assert self.ws_url, "chromium did not print its DevTools address"
        # The port from the address Chromium printed (its DevToolsActivePort file in the profile
        # may be written a moment later: reading it at once failed in a loaded full run).
        port = re.match(r"ws://[^:/]+:(\d+)/", self.ws_url).group(1)  # type: ignore[union-attr]
        self.http_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()  # type: ignore[union-attr]


@pytest.fixture
def user_chrome(tmp_path):
    chrome = UserChrome(tmp_path / "profile")
    yield chrome
    chrome.stop()


async def tabs(url: str) -> list[str]:
    async with async_playwright() as pw:
        browser = await pw.chromium.connect_over_cdp(url)
        titles = [await p.title() for c in browser.contexts for p in c.pages]
        await browser.close()
    return titles


async def test_cdp_mode_drives_the_users_signed_in_chrome_and_closes_only_our_pages(
        user_chrome, sim, tmp_path):
    # The user signed in to Flow in their own Chrome (here: the simulator's session cookie).
    async with async_playwright() as pw:
        browser = await pw.chromium.connect_over_cdp(user_chrome.http_url)
        await browser.contexts[0].add_cookies((await sim.storage_state())["cookies"])
        await browser.close()
    session_file = tmp_path / "flow_session.json"  # never written in CDP mode
    settings = flow_settings(cdp_url=user_chrome.http_url, base_url=f"{sim.base_url}/")
    assert settings.browser_mode == "cdp"
    client = PlaywrightFlowClient(settings, session_file, SystemClock(), tmp_path / "evidence")
    await client.start()
    try:
        assert client.session.attached
        info = await client.check_session()
        assert info.signed_in, info.detail  # the user's cookies, not a file of ours
        side = await client.session.new_page()
        await side.goto("data:text/html,<title>ours</title>")
        assert "ours" in await tabs(user_chrome.http_url)
    finally:
        await client.close()
    await asyncio.sleep(0.2)
    assert user_chrome.proc.poll() is None, "the user's Chrome must keep running"
    assert await tabs(user_chrome.http_url) == ["users tab"]
    assert not session_file.exists(), "the user's cookies must never be copied to our file"


async def test_cdp_mode_with_nothing_listening_names_the_fix_without_the_address_path(tmp_path):
    settings = flow_settings(cdp_url="ws://127.0.0.1:9/devtools/browser/secret-browser-id")
    async with async_playwright() as pw:
        with pytest.raises(BrowserModeError) as err:
            await open_browser(pw, settings)
    text = str(err.value)
    assert "--remote-debugging-port" in text and "ws://127.0.0.1:9" in text
    assert "secret-browser-id" not in text


def test_cdp_url_must_be_an_address():
    from bot.config import load_settings
    from bot.errors import ConfigError

    os.environ["FLOW_CDP_URL"] = "localhost 9222"
    try:
        with pytest.raises(ConfigError) as err:
            load_settings(os.devnull)
    finally:
        del os.environ["FLOW_CDP_URL"]
    assert "FLOW_CDP_URL" in str(err.value) and "remote-debugging-port" in str(err.value)



# --- flowbot doctor: which mode is configured, whether it works, what the bot needs ------------

def doctor_settings(**flow):
    from bot.config import (
        PathSettings,
        Settings,
        StorageSettings,
        TelegramSettings,
        UpscaleSettings,
    )

    return Settings(
        telegram=TelegramSettings(_env_file=None),  # type: ignore[call-arg]
        flow=flow_settings(**flow),
        upscale=UpscaleSettings(_env_file=None),  # type: ignore[call-arg]
        storage=StorageSettings(_env_file=None),  # type: ignore[call-arg]
        paths=PathSettings(_env_file=None),  # type: ignore[call-arg]
    )


async def test_doctor_row_headed_mode_starts_and_stops_xvfb(xvfb, no_display):
    from bot.doctor import _browser_mode

    ok, detail = await _browser_mode(doctor_settings(headed=True))
    assert ok, detail
    assert detail.startswith("headed on a virtual display") and "Chromium" in detail
    shown = re.search(r"Xvfb (:\d+)", detail)
    assert shown is not None
    # Stopped again: nothing listens on that display's socket any more.
    assert not Path(f"/tmp/.X11-unix/X{shown.group(1)[1:]}").exists()


async def test_doctor_row_headed_mode_names_a_missing_xvfb(no_display):
    from bot.doctor import _browser_mode

    ok, detail = await _browser_mode(doctor_settings(headed=True, xvfb_path="no-such-xvfb"))
    assert not ok and detail.startswith("headed:") and "install-system-deps" in detail


async def test_doctor_row_cdp_mode_reports_the_browser_version(user_chrome):
    from bot.doctor import _browser_mode

    ok, detail = await _browser_mode(doctor_settings(cdp_url=user_chrome.ws_url))
    assert ok, detail
    async with async_playwright() as pw:
        browser = await pw.chromium.connect_over_cdp(user_chrome.http_url)
        version = browser.version
        await browser.close()
    assert f"browser {version}" in detail
    assert user_chrome.ws_url.split("/devtools/")[1] not in detail  # the browser id is a capability
    assert user_chrome.proc.poll() is None and await tabs(user_chrome.http_url) == ["users tab"]


async def test_doctor_row_cdp_mode_fails_when_nothing_answers():
    from bot.doctor import _browser_mode

    ok, detail = await _browser_mode(doctor_settings(cdp_url="http://127.0.0.1:9"))
    assert not ok and detail.startswith("cdp:") and "--remote-debugging-port" in detail


def test_doctor_cli_shows_mode_token_and_admins_without_the_secret(tmp_path):
    token = "123456789:AAE" + "s3cr3t" * 6
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=token, TELEGRAM_ADMIN_IDS="11, 22")
    out = subprocess.run([sys.executable, "-m", "bot", "--env-file", os.devnull, "doctor"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    rows = {ln[6:].split("  ")[0].strip(): ln for ln in out.stdout.splitlines()}
    assert rows["telegram bot token"].startswith("ok") and "hidden" in rows["telegram bot token"]
    assert rows["telegram admins"].startswith("ok") and "2 admin" in rows["telegram admins"]
    assert rows["flow browser mode"].startswith("ok") and "headless" in rows["flow browser mode"]
    assert "s3cr3t" not in out.stdout + out.stderr and "123456789" not in out.stdout + out.stderr


def test_doctor_cli_warns_without_token_or_admins_but_passes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "bot", "--env-file", os.devnull, "doctor"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert out.returncode == 0, out.stdout
    token_row = next(ln for ln in out.stdout.splitlines() if "telegram bot token" in ln)
    admins_row = next(ln for ln in out.stdout.splitlines() if "telegram admins" in ln)
    assert token_row.startswith("warn") and "@BotFather" in token_row
    assert admins_row.startswith("warn") and "TELEGRAM_ADMIN_IDS" in admins_row


async def test_doctor_row_drift_canary_reads_the_last_check_and_a_drift_pause(tmp_path):
    from bot.config import PathSettings
    from bot.doctor import _canary
    from bot.pipeline.canary import KV_CANARY
    from bot.storage import repo
    from bot.storage.db import Database

    settings = doctor_settings()
    settings.paths = PathSettings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    ok, detail = await _canary(settings)
    assert ok and "no check yet" in detail
    async with Database(settings.paths.database_path) as db:
        now = db.now()
        await db.write_sync(lambda conn: repo.kv_set(conn, KV_CANARY, {"at": now - 7200, "status": "ok",
                                                                        "ok_at": now - 7200}, now))
    ok, detail = await _canary(settings)
    assert ok and "last check 2.0 h ago: ok" in detail
    async with Database(settings.paths.database_path) as db:
        await db.write_sync(lambda conn: repo.set_pause(conn, "drift", "prompt missing", now))
    ok, detail = await _canary(settings)
    assert not ok and "PAUSED for drift: prompt missing" in detail and "/resume" in detail
    ok, detail = await _canary(doctor_settings(canary=False))
    assert not ok and "FLOW_CANARY=false" in detail
