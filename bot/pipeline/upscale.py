"""4K upscaling with FFmpeg, run as an asyncio subprocess.

`Upscaler.upscale(src, dst)` probes the input, picks the 4K frame for its orientation, scales with
lanczos and encodes with the preset's settings (see docs/upscale-presets.md for the measurements
behind them), copies the audio when MP4 can carry it, and writes `+faststart` MP4 to a hidden
temporary name that is renamed to `dst` only when FFmpeg finished cleanly. Whatever ends the run
early (cancellation, a killed FFmpeg, an error, a full disk) removes the temporary file, so `dst`
either is complete or does not exist.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import secrets
import shutil
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import UpscaleSettings
from bot.pipeline.encoders import EncoderChoice, detect_encoder
from bot.pipeline.probe import (
    DiskFullError,
    MediaInfo,
    UpscaleFailedError,
    disk_full_error,
    probe,
    resolve_tool,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, float | None], Awaitable[None] | None]

UHD_LONG, UHD_SHORT = 3840, 2160
# Audio codecs the MP4 muxer takes as they are; anything else is re-encoded to AAC.
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac"}


@dataclass(frozen=True)
class Preset:
    """Encoder settings of one named preset, for libx264 and for NVENC."""

    x264_preset: str
    crf: int
    nvenc_preset: str
    cq: int


# Chosen from bench/upscale.py (docs/upscale-presets.md). A 4K frame made from 720p holds only
# 720p worth of detail, so x264's slower presets buy almost no SSIM for their time; superfast
# at crf 22 matches medium/crf 20 (the original platform's default) on SSIM at ~4x the speed.
# The NVENC columns are NVIDIA's speed/quality ladder, not measured here (no NVENC hardware).
PRESETS: dict[str, Preset] = {
    "fast": Preset("ultrafast", 23, "p2", 25),
    "balanced": Preset("superfast", 22, "p4", 23),
    "high": Preset("superfast", 18, "p6", 19),
}


def target_size(width: int, height: int) -> tuple[int, int]:
    """The 4K frame for a clip: 2160×3840 portrait, 3840×2160 landscape, other ratios fitted
    inside the 4K box of their orientation keeping the ratio, with even dimensions."""
    if width <= 0 or height <= 0:
        raise ValueError(f"bad frame size {width}x{height}")
    box_w, box_h = (UHD_SHORT, UHD_LONG) if height > width else (UHD_LONG, UHD_SHORT)
    scale = min(box_w / width, box_h / height)
    out_w = min(box_w, int(round(width * scale / 2)) * 2)
    out_h = min(box_h, int(round(height * scale / 2)) * 2)
    return max(out_w, 2), max(out_h, 2)


def build_command(
    ffmpeg: str,
    info: MediaInfo,
    out: Path,
    preset: Preset,
    encoder: EncoderChoice,
) -> list[str]:
    """The full FFmpeg command line for one upscale (also used bare by bench/upscale.py)."""
    width, height = target_size(info.width, info.height)
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
           "-progress", "pipe:1", "-nostats"]
    if encoder.gpu_scale:
        cmd += ["-init_hw_device", "cuda=cu", "-filter_hw_device", "cu"]
    cmd += ["-i", str(info.path), "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "0"]
    if encoder.gpu_scale:
        vf = f"format=nv12,hwupload_cuda,scale_cuda={width}:{height}:interp_algo=lanczos"
    else:
        vf = f"scale={width}:{height}:flags=lanczos,setsar=1,format=yuv420p"
    cmd += ["-vf", vf]
    if encoder.name == "libx264":
        cmd += ["-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf),
                "-profile:v", "high", "-pix_fmt", "yuv420p"]
    else:
        cmd += ["-c:v", encoder.name, "-preset", preset.nvenc_preset, "-rc", "vbr",
                "-cq", str(preset.cq), "-b:v", "0"]
        if encoder.name == "hevc_nvenc":
            cmd += ["-tag:v", "hvc1"]  # Apple players need hvc1 to play HEVC in MP4
    if info.audio_codec in MP4_AUDIO:
        cmd += ["-c:a", "copy"]
    elif info.audio_codec is not None:
        cmd += ["-c:a", "aac", "-b:a", "192k"]
    cmd += ["-movflags", "+faststart", "-f", "mp4", str(out)]
    return cmd


class _Progress:
    """Turns `-progress` blocks into (percent, ETA seconds) calls of the user's callback."""

    def __init__(self, duration_s: float, callback: ProgressCallback | None) -> None:
        self.duration_us = max(duration_s, 0.001) * 1e6
        self.callback = callback
        self.started = time.monotonic()
        self.out_time_us = 0.0

    async def feed(self, line: str) -> None:
        key, _, value = line.partition("=")
        # out_time_ms is misnamed in FFmpeg and also holds microseconds; prefer out_time_us.
        if key in ("out_time_us", "out_time_ms") and value.strip().isdigit():
            self.out_time_us = max(self.out_time_us, float(value))
        elif key == "progress" and value.strip() == "continue":
            fraction = min(self.out_time_us / self.duration_us, 0.999)
            elapsed = time.monotonic() - self.started
            eta = elapsed * (1 - fraction) / fraction if fraction >= 0.01 else None
            await self.emit(fraction * 100, eta)

    async def emit(self, percent: float, eta: float | None) -> None:
        if self.callback is None:
            return
        try:
            result = self.callback(percent, eta)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001 - a failing progress display must not stop the encode
            log.exception("upscale progress callback failed")


class Upscaler:
    """Upscales clips to 4K, at most `settings.concurrency` at a time (one on 2 cores: x264
    already uses both, so two encodes at once only finish later)."""

    def __init__(
        self,
        settings: UpscaleSettings,
        *,
        encoder_probe: Callable[[], Awaitable[EncoderChoice]] | None = None,
    ) -> None:
        self.settings = settings
        self._encoder_probe = encoder_probe or (lambda: detect_encoder(settings))
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def encoder(self) -> EncoderChoice:
        return await self._encoder_probe()

    async def upscale(
        self,
        src: Path,
        dst: Path,
        *,
        preset: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> MediaInfo:
        """Upscale `src` to 4K at `dst`; returns the output's metadata.

        Raises `FFmpegMissingError`, `UnreadableMediaError`, `NoVideoStreamError`,
        `DiskFullError` or `UpscaleFailedError`; `dst` exists only after success.
        """
        name = preset or self.settings.preset
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}")
        ffmpeg = resolve_tool(self.settings.ffmpeg_path, "UPSCALE_FFMPEG_PATH")
        info = await probe(src, ffprobe=self.settings.ffprobe_path)
        encoder = await self.encoder()
        dst = Path(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        async with self._slots:
            tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.part")
            try:
                await self._run(build_command(ffmpeg, info, tmp, PRESETS[name], encoder),
                                info, tmp, on_progress)
                os.replace(tmp, dst)
            finally:
                tmp.unlink(missing_ok=True)
        log.info("upscaled %s -> %s (%s, %s)", Path(src).name, dst.name, name, encoder.name)
        return await probe(dst, ffprobe=self.settings.ffprobe_path)

    async def _run(
        self, cmd: list[str], info: MediaInfo, tmp: Path, on_progress: ProgressCallback | None
    ) -> None:
        progress = _Progress(info.duration_s, on_progress)
        # x264 takes every core; a lower CPU priority keeps the bot answering chats during a
        # 4K encode and costs the encode almost nothing on an otherwise idle machine. `nice(1)`
        # rather than preexec_fn, which is unsafe with the threads aiosqlite runs.
        if self.settings.nice and shutil.which("nice"):
            cmd = ["nice", "-n", str(self.settings.nice), *cmd]
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        tail: deque[str] = deque(maxlen=20)

        async def read_stderr() -> None:
            assert proc.stderr is not None
            async for raw in proc.stderr:
                tail.append(raw.decode(errors="replace").rstrip())

        stderr_task = asyncio.create_task(read_stderr())
        try:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                await progress.feed(raw.decode(errors="replace").strip())
            await proc.wait()
            await stderr_task
        except BaseException:
            # Cancelled (or the callback's loop is going away): stop FFmpeg before the caller
            # deletes its half-written output.
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            stderr_task.cancel()
            raise
        if proc.returncode != 0:
            raise self._failure(proc.returncode, list(tail), tmp)
        await progress.emit(100.0, 0.0)

    @staticmethod
    def _failure(code: int, tail: list[str], tmp: Path) -> Exception:
        text = "\n".join(tail)
        if "No space left on device" in text:
            return disk_full_error(tmp)
        if code < 0:
            return UpscaleFailedError(f"ffmpeg was killed (signal {-code}) before finishing")
        detail = tail[-1] if tail else "no output"
        return UpscaleFailedError(f"ffmpeg failed (exit {code}): {detail}")


__all__ = ["PRESETS", "DiskFullError", "Preset", "Upscaler", "build_command",
           "target_size"]
