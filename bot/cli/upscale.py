"""`flowbot upscale IN.mp4 -o OUT.mp4 [--preset fast|balanced|high]`: one file to 4K.

Handy for clips from elsewhere, and the quickest way to try a preset on this machine. Shows a
progress bar on a terminal (a line per 10 % otherwise); Ctrl-C stops FFmpeg and leaves no file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.pipeline.upscale import PRESETS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upscale", help="upscale one video file to 4K with FFmpeg")
    p.add_argument("input", type=Path, help="video file to upscale")
    p.add_argument("-o", "--output", type=Path, help="output MP4 (default: INPUT_4k.mp4)")
    p.add_argument("--preset", choices=list(PRESETS),
                   help="speed/size/quality trade-off (default: UPSCALE_PRESET, balanced)")
    p.set_defaults(func=run)


class ProgressBar:
    """`[#########...........]  45.2%  ETA 0:12` redrawn in place, or sparse lines when piped."""

    WIDTH = 30

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.next_line_at = 0.0
        self.started = time.monotonic()

    def update(self, percent: float, eta: float | None) -> None:
        eta_text = "--:--" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
        filled = int(self.WIDTH * percent / 100)
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:5.1f}%  ETA {eta_text}"
        if self.tty:
            self.out.write("\r" + text)
            self.out.flush()
        elif percent >= self.next_line_at:
            self.out.write(text + "\n")
            self.out.flush()
            self.next_line_at = (percent // 10 + 1) * 10

    def finish(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.pipeline.probe import MediaError
    from bot.pipeline.upscale import Upscaler

    settings = load_settings(args.env_file)
    src: Path = args.input
    dst: Path = args.output or src.with_name(f"{src.stem}_4k.mp4")
    if dst.resolve() == src.resolve():
        print("error: the output must differ from the input", file=sys.stderr)
        return 2
    upscaler = Upscaler(settings.upscale)
    bar = ProgressBar(sys.stderr)
    started = time.monotonic()
    try:
        info = asyncio.run(upscaler.upscale(src, dst, preset=args.preset, on_progress=bar.update))
    except MediaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        bar.finish()
    took = time.monotonic() - started
    print(f"{dst}: {info.width}x{info.height}, {info.duration_s:.1f} s, "
          f"{info.size_bytes / 1e6:.1f} MB, {info.video_codec}"
          f"{'+' + info.audio_codec if info.audio_codec else ''}, took {took:.1f} s "
          f"({info.duration_s / took:.2f}x real time)")
    return 0
