"""Poster frames of clips for the gallery: one small JPEG per clip, made once with FFmpeg.

The pipeline keeps no still of a clip (the contact sheet is one picture of all of them), so
the gallery makes its own: a frame a second in (Veo's first frame is often the start image
itself), scaled to at most `EDGE` px, written beside the clip as `<clip stem>.poster.jpg`. It
belongs to the clip: it lives in the clip's folder and goes when that folder goes, and a clip
file newer than its poster gets a new one. It is written to `.NAME.XXXXXXXX.part` and renamed
into place: that shape is the start-up sweep's (`bot/storage/sweep.py`), so a process killed
mid-write leaves nothing for good. FFmpeg runs at most `CONCURRENCY` at a time, and two
requests for the same poster share one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

EDGE = 360            # px of the longer side: a phone tile is ~120 CSS px at 3x
QUALITY = "6"         # FFmpeg's JPEG scale (2 best … 31 worst): ~10 KB a poster
CONCURRENCY = 2       # this machine has 2 cores; the pipeline's FFmpeg work comes first
SUFFIX = ".poster.jpg"


def poster_path(clip: Path) -> Path:
    """Where the poster of `clip` lives (beside it)."""
    return clip.with_name(clip.stem + SUFFIX)


class PosterCache:
    """Makes posters on demand and remembers runs in flight (see the module docstring)."""

    def __init__(self, ffmpeg: str = "ffmpeg") -> None:
        self.ffmpeg = ffmpeg
        self._gate = asyncio.Semaphore(CONCURRENCY)
        self._running: dict[Path, asyncio.Task[Path | None]] = {}
        self._background: set[asyncio.Task] = set()

    def fresh(self, clip: Path) -> Path | None:
        """The poster when it exists and is not older than the clip, else None."""
        poster = poster_path(clip)
        try:
            return poster if poster.stat().st_mtime >= clip.stat().st_mtime else None
        except OSError:
            return None

    async def get(self, clip: Path) -> Path | None:
        """The poster of `clip`, made now if needed; None when the clip is gone or unreadable."""
        ready = self.fresh(clip)
        if ready is not None:
            return ready
        task = self._running.get(clip)
        if task is None:
            task = asyncio.create_task(self._make(clip))
            self._running[clip] = task
            task.add_done_callback(lambda _t, c=clip: self._running.pop(c, None))
        return await asyncio.shield(task)

    def warm(self, clips: Iterable[Path]) -> None:
        """Make the missing posters of `clips` in the background (a gallery just opened)."""
        missing = [c for c in clips if self.fresh(c) is None and c not in self._running]
        if not missing:
            return

        async def run() -> None:
            for clip in missing:
                with contextlib.suppress(Exception):
                    await self.get(clip)

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Stop background work (at shutdown); a half-written poster is deleted by `_make`."""
        tasks = [*self._background, *self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _make(self, clip: Path) -> Path | None:
        if not clip.is_file():
            return None
        dest = poster_path(clip)
        async with self._gate:
            fd, part = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
            os.close(fd)
            try:
                # A second in; a clip shorter than that gives no frame there, so then the first.
                for seek in ("1", "0"):
                    if await self._frame(clip, seek, part) and os.path.getsize(part) > 0:
                        os.replace(part, dest)
                        return dest
                log.warning("no poster for %s: FFmpeg made no frame", clip.name)
                return None
            finally:
                Path(part).unlink(missing_ok=True)

    async def _frame(self, clip: Path, seek: str, out: str) -> bool:
        scale = (f"scale=w='if(gt(iw,ih),{EDGE},-2)':h='if(gt(iw,ih),-2,{EDGE})'")
        proc = await asyncio.create_subprocess_exec(
            self.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-ss", seek, "-i", str(clip), "-frames:v", "1", "-vf", scale, "-q:v", QUALITY,
            "-f", "image2", "-c:v", "mjpeg", out,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await proc.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            log.info("poster of %s at %ss failed: %s", clip.name, seek,
                     err.decode(errors="replace").strip()[-200:])
        return proc.returncode == 0
