"""The contact sheet: FFmpeg's numbered frames in a grid that Telegram accepts as a photo."""

from __future__ import annotations

from PIL import Image

from bot.pipeline.contactsheet import (
    LANDSCAPE,
    MAX_CLIPS,
    PAD,
    PORTRAIT,
    ContactSheetError,
    SheetClip,
    grid,
    make_contact_sheet,
)
from tests.fixtures.media import make_clip


def _size(n: int, frame: tuple[int, int]) -> tuple[int, int]:
    cols, rows = grid(n)
    return cols * frame[0] + (cols + 1) * PAD, rows * frame[1] + (rows + 1) * PAD


def test_every_sheet_fits_telegrams_photo_limits():
    for n in range(1, MAX_CLIPS + 1):
        cols, rows = grid(n)
        assert cols * rows >= n and cols * (rows - 1) < n
        for frame in (PORTRAIT, LANDSCAPE):
            w, h = _size(n, frame)
            assert w + h <= 10_000 and max(w, h) <= 20 * min(w, h), (n, frame, w, h)


async def test_a_sheet_of_five_portrait_clips(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", 180, 320, 0.5, audio=False)
    dest = tmp_path / "sheets" / "batch1.jpg"
    await make_contact_sheet([SheetClip(n, clip) for n in range(1, 6)], dest, portrait=True)
    with Image.open(dest) as img:
        assert img.format == "JPEG"
        w, h = img.size
    assert (w, h) == _size(5, PORTRAIT)  # 3 × 2: the grid's empty cell is padding
    assert [p.name for p in dest.parent.iterdir()] == ["batch1.jpg"]  # no temp file left


async def test_a_clip_ffmpeg_cannot_read_is_an_error_and_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    dest = tmp_path / "sheets" / "batch1.jpg"
    try:
        await make_contact_sheet([SheetClip(1, bad)], dest, portrait=False)
    except ContactSheetError:
        pass
    else:
        raise AssertionError("a broken clip must fail the sheet")
    assert not dest.exists() and list(dest.parent.iterdir()) == []


async def test_contact_sheet_frames_killed_mid_sheet_are_left_where_the_sweep_deletes_them(tmp_path):
    """Regression: the per-clip frames lived in a system temp folder (`flowbot-sheet-*`) that
    no start-up sweep covers, so a hard kill mid-sheet leaked them for good. The process that
    makes the sheet is SIGKILLed (by its FFmpeg, at the tiling step); every file it left is
    under the data dir, and the start-up sweep deletes all of them."""
    import os
    import shutil
    import stat
    import sys

    from bot.storage.sweep import sweep_at_start

    data = tmp_path / "data"
    clip = make_clip(tmp_path / "c.mp4", 180, 320, 0.5, audio=False)
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *tile=*) kill -9 $PPID; sleep 5; exit 1;; esac\n'
        f'exec {shutil.which("ffmpeg")} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from bot.pipeline.contactsheet import SheetClip, make_contact_sheet\n"
        f"clips = [SheetClip(n, Path({str(clip)!r})) for n in range(1, 4)]\n"
        f"asyncio.run(make_contact_sheet(clips, Path({str(data / 'sheets' / 'batch1.jpg')!r}),"
        f" portrait=True, ffmpeg={str(wrapper)!r}))\n")
    env = {**os.environ, "TMPDIR": str(tmp_path / "systmp")}
    (tmp_path / "systmp").mkdir()
    import asyncio
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, env=env,
                                                cwd=os.getcwd())
    assert await proc.wait() == -9
    left = sorted(p.name for p in (data / "sheets").iterdir())
    assert len(left) == 4, left  # three frames and the sheet's own temp file
    assert list((tmp_path / "systmp").iterdir()) == []  # nothing outside the data dir
    removed = sweep_at_start(data)
    assert sorted(p.name for p in removed) == left
    assert list((data / "sheets").iterdir()) == []
