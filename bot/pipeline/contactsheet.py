"""A batch's contact sheet: the first frame of every clip, numbered as in the review view, in
one JPEG (FFmpeg only: `drawtext` numbers each frame, `tile` lays them out).

Telegram takes photos up to 10 MB whose width + height is at most 10,000 px, so the grid is at
most `COLUMNS` wide with small frames, and a sheet shows at most `MAX_CLIPS` clips (the
caption says so when a batch has more).
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COLUMNS = 10
MAX_CLIPS = 200           # 20 rows of portrait frames: 10 × 164 + 20 × 288 px, well inside 10,000
PORTRAIT = (160, 284)
LANDSCAPE = (256, 144)
PAD = 4


class ContactSheetError(RuntimeError):
    """FFmpeg could not make the sheet (the message carries its last words)."""


@dataclass(frozen=True)
class SheetClip:
    number: int       # as in the review view (1-based)
    path: Path


def grid(count: int) -> tuple[int, int]:
    """(columns, rows) for `count` frames: at most `COLUMNS` wide, roughly square below that."""
    cols = max(1, min(COLUMNS, math.ceil(math.sqrt(count))))
    return cols, max(1, math.ceil(count / cols))


async def make_contact_sheet(clips: Sequence[SheetClip], dest: Path, *, portrait: bool,
                             ffmpeg: str = "ffmpeg") -> Path:
    """Write the sheet of `clips` (at most `MAX_CLIPS`) to `dest`; returns `dest`.

    The JPEG is written to a temporary name beside `dest` and renamed into place, and the
    per-clip frames are written beside it too, as `.NAME.XXXXXXXX.NNNN.part`, deleted before
    returning: both temp-name shapes are the start-up sweep's (`bot/storage/sweep.py`), so a
    process killed mid-sheet leaves nothing behind for good (a system temp folder would).
    Raises `ContactSheetError` when FFmpeg fails.
    """
    clips = list(clips)[:MAX_CLIPS]
    if not clips:
        raise ContactSheetError("no clips")
    w, h = PORTRAIT if portrait else LANDSCAPE
    dest.parent.mkdir(parents=True, exist_ok=True)
    stem = f".{dest.name}.{secrets.token_hex(4)}".replace("%", "%%")  # an FFmpeg pattern below
    frames = [dest.parent / f"{stem}.{i:04d}.part".replace("%%", "%") for i in range(len(clips))]
    fd, part = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        for i, clip in enumerate(clips):
            label = str(clip.number)
            vf = (f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
                  f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,"
                  f"drawtext=text={label}:x=6:y=6:fontsize={max(18, h // 8)}:fontcolor=white:"
                  "box=1:boxcolor=black@0.65:boxborderw=5")
            await _run([ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                        "-i", str(clip.path), "-frames:v", "1", "-vf", vf,
                        "-f", "image2", "-c:v", "png", str(frames[i])])
        cols, rows = grid(len(clips))
        await _run([ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "image2", "-c:v", "png", "-framerate", "1",
                    "-i", str(dest.parent / f"{stem}.%04d.part"),
                    "-vf", f"tile={cols}x{rows}:padding={PAD}:margin={PAD}:color=0x202020",
                    "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", part])
        os.replace(part, dest)
    finally:
        for path in [*frames, Path(part)]:
            path.unlink(missing_ok=True)
    return dest


async def _run(cmd: list[str]) -> None:
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise ContactSheetError(lines[-1] if lines else "ffmpeg failed")
