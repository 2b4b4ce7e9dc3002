"""Saving a tile's 720p MP4 through Playwright's download event, verified before it counts.

The file is written under a temporary name next to `dest` and renamed only after ffprobe shows
a video stream, a duration of about 8 s and a sane size, so a half-written or truncated file
never sits at `dest`. Any shortfall raises a retryable error and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

from playwright.async_api import Locator, Page

from bot.errors import RetryableFlowError
from bot.pipeline.flow.locate import click, find, find_any

log = logging.getLogger(__name__)

CLIP_SECONDS = 8.0
DURATION_TOLERANCE = 0.5
MIN_BYTES = 20 * 1024  # an 8 s 720p H.264 clip is far larger; smaller means cut off
MAX_BYTES = 500 * 1024 * 1024


class DownloadIncompleteError(RetryableFlowError):
    """The downloaded file is missing, cut off or not the 8-second clip it should be."""

    code = "download_incomplete"
    user_reason = "Downloading the clip from Flow failed; the bot will try again."


async def ffprobe(path: Path, ffprobe_bin: str = "ffprobe") -> dict:
    """ffprobe's JSON for `path` (format + streams, packets counted); {} when unreadable.

    `-count_packets` demuxes the whole file (no decoding, fast): a file cut short still shows
    the full duration from its `moov` header, but fewer packets than the header lists.
    """
    proc = await asyncio.create_subprocess_exec(
        ffprobe_bin, "-v", "error", "-count_packets", "-print_format", "json",
        "-show_entries", "format=duration,size:stream=codec_type,nb_frames,nb_read_packets",
        str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        return {}
    try:
        return json.loads(out or b"{}")
    except ValueError:
        return {}


async def verify_clip(path: Path, ffprobe_bin: str = "ffprobe",
                      expected: float | None = CLIP_SECONDS) -> float:
    """Raise `DownloadIncompleteError` unless `path` is a whole clip of `expected` seconds
    (None: any length Flow makes, 2–20 s); returns its duration."""
    size = path.stat().st_size if path.exists() else 0
    if not MIN_BYTES <= size <= MAX_BYTES:
        raise DownloadIncompleteError(f"downloaded file has {size} bytes")
    info = await ffprobe(path, ffprobe_bin)
    streams = info.get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"]
    if not video:
        raise DownloadIncompleteError("downloaded file has no readable video stream")
    for stream in streams:
        listed, read = stream.get("nb_frames"), stream.get("nb_read_packets")
        if listed and read and listed.isdigit() and read.isdigit() and int(read) < int(listed):
            raise DownloadIncompleteError(
                f"downloaded file is cut off ({read} of {listed} {stream['codec_type']} packets)"
            )
    try:
        duration = float(info.get("format", {}).get("duration", "nan"))
    except ValueError:
        duration = float("nan")
    if expected is None:
        if not 2.0 <= duration <= 20.0:
            raise DownloadIncompleteError(f"downloaded clip lasts {duration:.2f} s")
    elif not abs(duration - expected) <= DURATION_TOLERANCE:
        raise DownloadIncompleteError(
            f"downloaded clip lasts {duration:.2f} s, not about {expected:g} s")
    return duration


async def open_720p_item(page: Page, tile: Locator, timeout: float) -> Locator:
    """Open the tile's download menu and return the 720p item (items render late).

    Classic UI: `download Download` button → menu → "Original size (720p)". Feb-2026:
    `more_vert` → "Download" → "720p". Both paths come from the registry.
    """
    await tile.hover()
    first = await find_any(tile, ["tile_download", "tile_more"], timeout)
    log.debug("download menu via %s", first.key)
    await click(first.locator, timeout)
    if first.key == "tile_more":
        await click(await find(page, "menu_download", timeout), timeout)
    return await find(page, "menu_720p", timeout)


async def save_download(page: Page, item: Locator, dest: Path, timeout: float,
                        ffprobe_bin: str = "ffprobe") -> Path:
    """Click `item`, save the download to a temp name, verify, then rename to `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        async with page.expect_download(timeout=timeout * 1000) as info:
            await click(item, timeout)
        download = await info.value
        failure = await download.failure()
        if failure:
            raise DownloadIncompleteError(f"download failed: {failure}")
        await download.save_as(str(tmp))
        await verify_clip(tmp, ffprobe_bin)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.debug("downloaded %s (%d bytes)", dest.name, dest.stat().st_size)
    return dest
