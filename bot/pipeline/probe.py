"""Media metadata from ffprobe, and the errors every FFmpeg-based step raises.

`probe(path)` runs ffprobe as an asyncio subprocess (the event loop never waits on it) and
returns a `MediaInfo`. Each failure a user or admin can act on has its own error class with a
message that says what to do: FFmpeg missing, unreadable input, no video stream, full disk.
`verify_clip(path)` is the check a clip downloaded from Flow passes before it counts (whole,
not cut off, of the length asked for); it raises the retryable `DownloadIncompleteError`.
"""

from __future__ import annotations

import asyncio
import errno
import json
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from bot.errors import DownloadIncompleteError, FlowbotError


class MediaError(FlowbotError):
    """A media file could not be read, probed or written."""


class FFmpegMissingError(MediaError):
    """The ffmpeg or ffprobe executable is not installed or not where the settings say."""


class UnreadableMediaError(MediaError):
    """The input does not exist or is not a media file FFmpeg can decode."""


class NoVideoStreamError(MediaError):
    """The input is a media file without a video stream (audio only, for example)."""


class DiskFullError(MediaError):
    """The output disk ran out of space (ENOSPC)."""


class UpscaleFailedError(MediaError):
    """FFmpeg exited with an error or was killed; the message carries its last output lines."""


@dataclass(frozen=True)
class MediaInfo:
    """What the pipeline needs to know about a clip."""

    path: Path
    duration_s: float
    size_bytes: int
    width: int
    height: int
    video_codec: str
    fps: float
    audio_codec: str | None
    format_name: str
    bit_rate: int | None = None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def orientation(self) -> str:
        """"portrait", "landscape" or "square" by display size."""
        if self.width == self.height:
            return "square"
        return "portrait" if self.height > self.width else "landscape"


def resolve_tool(name_or_path: str, setting: str) -> str:
    """The absolute path of an FFmpeg tool, or `FFmpegMissingError` saying how to fix it."""
    exe = shutil.which(name_or_path)
    if exe is None:
        raise FFmpegMissingError(
            f"{name_or_path} not found: install FFmpeg (apt-get install ffmpeg) "
            f"or set {setting} to its full path"
        )
    return exe


def _fps(stream: dict) -> float:
    # avg_frame_rate is "0/0" for some containers; r_frame_rate is then the best we have.
    for key in ("avg_frame_rate", "r_frame_rate"):
        text = stream.get(key) or "0/0"
        try:
            value = Fraction(text)
        except (ValueError, ZeroDivisionError):
            continue
        if value > 0:
            return float(value)
    return 0.0


def _duration(data: dict, video: dict) -> float:
    for text in (data.get("format", {}).get("duration"), video.get("duration")):
        try:
            if text is not None and float(text) > 0:
                return float(text)
        except ValueError:
            continue
    return 0.0


def _display_size(video: dict) -> tuple[int, int]:
    """Width and height as shown, honouring a 90/270 degree rotation tag from phones."""
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    rotation = 0
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            rotation = int(side["rotation"])
    rotation = int((video.get("tags") or {}).get("rotate", rotation))
    if rotation % 180:
        width, height = height, width
    return width, height


def parse_ffprobe(path: Path, data: dict) -> MediaInfo:
    """Turn ffprobe's `-show_format -show_streams` JSON into `MediaInfo`."""
    streams = data.get("streams") or []
    if not streams:
        # ffprobe can "succeed" on a damaged file and find nothing in it.
        raise UnreadableMediaError(f"{path.name} is not a readable video: no streams found")
    # Cover art in audio files is a "video" stream with attached_pic; it is not a clip.
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        raise NoVideoStreamError(f"{path.name} has no video stream (is it an audio-only file?)")
    video = videos[0]
    width, height = _display_size(video)
    fmt = data.get("format") or {}
    bit_rate = fmt.get("bit_rate")
    return MediaInfo(
        path=path,
        duration_s=_duration(data, video),
        size_bytes=int(fmt.get("size") or path.stat().st_size),
        width=width,
        height=height,
        video_codec=str(video.get("codec_name") or "unknown"),
        fps=_fps(video),
        audio_codec=str(audios[0].get("codec_name")) if audios else None,
        format_name=str(fmt.get("format_name") or "unknown"),
        bit_rate=int(bit_rate) if bit_rate and str(bit_rate).isdigit() else None,
    )


async def probe(path: Path | str, *, ffprobe: str = "ffprobe") -> MediaInfo:
    """Metadata of `path`; raises `UnreadableMediaError`, `NoVideoStreamError` or `FFmpegMissingError`."""
    path = Path(path)
    exe = resolve_tool(ffprobe, "UPSCALE_FFPROBE_PATH")
    if not path.is_file():
        raise UnreadableMediaError(f"{path}: no such file")
    proc = await asyncio.create_subprocess_exec(
        exe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        reason = err.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"ffprobe exited with {proc.returncode}"
        raise UnreadableMediaError(f"{path.name} is not a readable video: {detail}")
    try:
        data = json.loads(out or b"{}")
    except json.JSONDecodeError as exc:
        raise UnreadableMediaError(f"{path.name}: ffprobe gave unreadable output") from exc
    return parse_ffprobe(path, data)


def disk_full_error(path: Path, exc: OSError | None = None) -> DiskFullError:
    """The one wording for ENOSPC, whichever step hit it."""
    free = shutil.disk_usage(path.parent if path.parent.exists() else Path(".")).free
    err = DiskFullError(
        f"no space left on the disk holding {path.parent} ({free // (1024 * 1024)} MB free): "
        "delete old files or point PATHS_DATA_DIR at a bigger disk"
    )
    if exc is not None:
        err.__cause__ = exc
    return err


def is_enospc(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


# --- a clip downloaded from Flow, verified before it counts -----------------------------------
CLIP_SECONDS = 8.0
DURATION_TOLERANCE = 0.5
MIN_BYTES = 20 * 1024  # a whole clip of a few seconds is far larger; smaller means cut off
MAX_BYTES = 500 * 1024 * 1024


async def ffprobe_packets(path: Path, ffprobe_bin: str = "ffprobe") -> dict:
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
    info = await ffprobe_packets(path, ffprobe_bin)
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
