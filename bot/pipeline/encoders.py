"""Which H.264/HEVC encoder the upscaler uses, decided once per process.

Debian's FFmpeg lists `h264_nvenc`, `hevc_nvenc` and `scale_cuda` whatever the hardware, and they
only work with an NVIDIA driver and an NVENC-capable GPU (datacenter A100/H100/H200 have none).
So listing is not enough: `auto` runs a tiny probe encode and uses NVENC only when it succeeds,
else libx264. The answer is cached per (ffmpeg, requested encoder), logged once, and described
by `describe_encoder` (the "upscale encoder" row of `flowbot doctor`, which calls it; this
module does not know the doctor).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from bot.config import UpscaleSettings
from bot.pipeline.probe import FFmpegMissingError, resolve_tool

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class EncoderChoice:
    """The encoder to use, whether scaling runs on the GPU too, and why."""

    name: str  # libx264 | h264_nvenc | hevc_nvenc
    gpu_scale: bool
    reason: str

    @property
    def hardware(self) -> bool:
        return self.name != "libx264"


_CACHE: dict[tuple[str, str], EncoderChoice] = {}


async def _run(ffmpeg: str, *args: str) -> tuple[int, str]:
    """Run ffmpeg briefly; (exit code, first stderr line). A hang counts as a failure."""
    proc = await asyncio.create_subprocess_exec(
        ffmpeg, "-hide_banner", "-nostdin", *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT_S)
    except (TimeoutError, asyncio.CancelledError):
        proc.kill()
        await proc.wait()
        raise
    lines = (err or out).decode(errors="replace").strip().splitlines()
    # The first line holds the cause ("Cannot load libcuda.so.1", "No NVENC capable devices
    # found"); FFmpeg's generic "Error initializing output stream" follows it.
    first = re.sub(r"^\[[^]]* @ 0x[0-9a-f]+\] ", "", lines[0]) if lines else ""
    return proc.returncode or 0, first


async def _listed_encoders(ffmpeg: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        ffmpeg, "-hide_banner", "-nostdin", "-encoders",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    return out.decode(errors="replace")


async def probe_nvenc(ffmpeg: str, codec: str) -> tuple[bool, bool, str]:
    """Try a 3-frame encode with `codec`: (encoder works, scale_cuda works, detail)."""
    if codec not in await _listed_encoders(ffmpeg):
        return False, False, f"{codec} not built into this FFmpeg"
    src = ["-f", "lavfi", "-i", "color=c=gray:s=256x256:r=24:d=0.2"]
    try:
        rc, last = await _run(ffmpeg, "-v", "error", *src, "-frames:v", "3", "-c:v", codec, "-f", "null", "-")
    except TimeoutError:
        return False, False, f"{codec} probe hung for {PROBE_TIMEOUT_S:.0f} s"
    if rc != 0:
        return False, False, f"{codec} probe failed: {last or f'exit {rc}'}"
    gpu = ["-init_hw_device", "cuda=cu", "-filter_hw_device", "cu"]
    vf = "format=nv12,hwupload_cuda,scale_cuda=512:512:interp_algo=lanczos"
    try:
        rc, _ = await _run(ffmpeg, "-v", "error", *gpu, *src, "-vf", vf, "-frames:v", "3",
                           "-c:v", codec, "-f", "null", "-")
    except TimeoutError:
        rc = 1
    return True, rc == 0, f"{codec} probe encode succeeded"


async def detect_encoder(settings: UpscaleSettings) -> EncoderChoice:
    """The encoder for `settings.encoder` (auto/libx264/h264_nvenc/hevc_nvenc), cached per process."""
    ffmpeg = resolve_tool(settings.ffmpeg_path, "UPSCALE_FFMPEG_PATH")
    key = (ffmpeg, settings.encoder)
    if key in _CACHE:
        return _CACHE[key]
    # No lock: two first callers racing would both run the sub-second probe, which is harmless,
    # and an asyncio.Lock would tie the cache to one event loop (doctor and CLI each make one).
    choice = await _decide(ffmpeg, settings.encoder)
    if key not in _CACHE:
        log.info("upscale encoder: %s%s (%s)", choice.name,
                 " + scale_cuda" if choice.gpu_scale else "", choice.reason)
        _CACHE[key] = choice
    return _CACHE[key]


async def _decide(ffmpeg: str, requested: str) -> EncoderChoice:
    if requested == "libx264":
        return EncoderChoice("libx264", False, "set by UPSCALE_ENCODER")
    codec = "h264_nvenc" if requested == "auto" else requested
    works, gpu_scale, detail = await probe_nvenc(ffmpeg, codec)
    if works:
        return EncoderChoice(codec, gpu_scale, detail)
    if requested == "auto":
        return EncoderChoice("libx264", False, f"no usable NVIDIA encoder: {detail}")
    log.warning("UPSCALE_ENCODER=%s does not work here (%s); using libx264", requested, detail)
    return EncoderChoice("libx264", False, f"{requested} requested but unusable: {detail}")


def clear_cache() -> None:
    """Forget the cached decision (tests, or after a driver install)."""
    _CACHE.clear()


async def describe_encoder(settings: UpscaleSettings) -> tuple[bool, str]:
    """(usable, one line): the encoder the upscaler will use and why, or why FFmpeg is missing."""
    try:
        choice = await detect_encoder(settings)
    except FFmpegMissingError as err:
        return False, str(err)
    scale = ", scaling on GPU" if choice.gpu_scale else ""
    return True, f"{choice.name}{scale} ({choice.reason})"
