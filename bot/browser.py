"""Launching Debian's Chromium through Playwright (no downloaded browser builds here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Playwright, async_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


async def launch(pw: Playwright, chromium_path: Path | str, *, headless: bool = True) -> Browser:
    """Start Chromium at `chromium_path` with the flags this environment needs."""
    return await pw.chromium.launch(
        executable_path=str(chromium_path), headless=headless, args=CHROMIUM_ARGS
    )


@asynccontextmanager
async def launch_chromium(
    chromium_path: Path | str, *, headless: bool = True
) -> AsyncIterator[Browser]:
    """A Playwright instance and one Chromium, both closed on exit."""
    async with async_playwright() as pw:
        browser = await launch(pw, chromium_path, headless=headless)
        try:
            yield browser
        finally:
            await browser.close()
