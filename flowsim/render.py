"""Real clips made with FFmpeg: a slow pan over the start frame with the prompt drawn on it.

Rendering runs in FFmpeg subprocesses (never on the event loop), one at a time by default,
because the machine has two cores and x264 already uses both. x264 runs with
`-tune zerolatency` (no look-ahead, no frame threads): about 30% less CPU per clip than plain
ultrafast, and the clips are still ordinary H.264 + AAC MP4s.
"""

from __future__ import annotations

import asyncio
import random
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FPS = 24
SECONDS = 8
# Pan directions (x, y expressions; {s} = clip seconds) so each output of one prompt looks
# visibly different.
PANS = [
    ("(iw-ow)*t/{s}", "(ih-oh)*t/{s}"),
    ("(iw-ow)*(1-t/{s})", "(ih-oh)*t/{s}"),
    ("(iw-ow)*t/{s}", "(ih-oh)*(1-t/{s})"),
    ("(iw-ow)/2", "(ih-oh)*(1-t/{s})"),
]


class RenderError(RuntimeError):
    """FFmpeg failed; the message holds the tail of its stderr."""


async def run_ffmpeg(*args: str) -> None:
    """Run ffmpeg with `args`, raising RenderError on a non-zero exit."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-nostdin", "-v", "error", "-y", *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:
        # A reset cancels renders; do not leave FFmpeg burning the two shared cores.
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RenderError(err.decode(errors="replace")[-800:])


def placeholder_frame(path: Path, seed: str, size: tuple[int, int]) -> Path:
    """A two-colour gradient standing in for the start frame of a Text-to-Video prompt."""
    rng = random.Random(seed)
    a = [rng.randint(30, 220) for _ in range(3)]
    b = [rng.randint(30, 220) for _ in range(3)]
    w, h = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(h):
        f = y / max(1, h - 1)
        draw.line([(0, y), (w, y)], fill=tuple(int(a[i] + (b[i] - a[i]) * f) for i in range(3)))
    image.save(path)
    return path


async def render_clip(
    out: Path, frame: Path, prompt: str, size: tuple[int, int], index: int, outputs: int,
    seconds: int = SECONDS, end_frame: Path | None = None,
) -> Path:
    """Render an exact `seconds` long, 24 fps H.264 + AAC clip of `size` from `frame`; with
    `end_frame` (start + end, interpolation) the camera pans from the start frame across to
    the end frame, which fills the last frame of the clip."""
    w, h = size
    big_w, big_h = int(w * 1.2) // 2 * 2, int(h * 1.2) // 2 * 2
    x, y = (expr.format(s=seconds) for expr in PANS[index % len(PANS)])
    last = max(1, FPS * seconds - 1)  # frame index where the end frame is fully in view
    text = out.with_suffix(".txt")
    fontsize = max(18, w // 30)
    # drawtext does not wrap; keep long prompts inside the frame (at most 6 lines).
    lines = textwrap.wrap(prompt, width=max(10, int(w / (fontsize * 0.6)) - 2))[:6]
    text.write_text("\n".join(lines) + f"\n\noutput {index + 1}/{outputs}")
    # Each still is decoded and scaled once, then repeated as frames (`loop`): an image input
    # looped by the demuxer is decoded and scaled again for every frame, 4x the CPU per clip,
    # and the test suite renders a few hundred clips on 2 cores.
    still = f"loop=loop=-1:size=1:start=0,setpts=N/{FPS}/TB"
    if end_frame is None:
        picture = (f"[0:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
                   f"crop={big_w}:{big_h},{still},crop={w}:{h}:x='{x}':y='{y}',")
    else:
        # Start and end side by side; the window slides from the one to the other.
        fit = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,{still}"
        picture = (f"[0:v]{fit}[s];[2:v]{fit}[e];[s][e]hstack=inputs=2,"
                   f"crop={w}:{h}:x='{w}*min(1,n/{last})':y=0,")
    vf = (
        f"{picture}hue=h={index * 70},"
        f"drawtext=fontfile={FONT}:textfile={text}:expansion=none:fontsize={fontsize}:fontcolor=white:"
        f"box=1:boxcolor=black@0.5:boxborderw=8:x=24:y=h-th-48,"
        f"drawtext=fontfile={FONT}:text='%{{pts\\:hms}}':fontsize=24:fontcolor=white:x=24:y=24,"
        f"format=yuv420p[v];[1:a]atrim=0:{seconds + 0.016}[a]"
    )
    tmp = out.with_suffix(".part.mp4")
    await run_ffmpeg(
        "-i", str(frame),
        "-f", "lavfi", "-i", f"sine=frequency={330 + 110 * index}:sample_rate=44100",
        *(("-i", str(end_frame)) if end_frame else ()),
        "-filter_complex", vf, "-map", "[v]", "-map", "[a]",
        "-frames:v", str(FPS * seconds), "-r", str(FPS),
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-crf", "28",
        "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(tmp),
    )
    tmp.replace(out)
    text.unlink(missing_ok=True)
    return out


async def upscale_1080(src: Path, out: Path) -> Path:
    """The free 1080p upscale (1080×1920 or 1920×1080), audio copied."""
    return await upscale(src, out, 1920, 1080)


async def upscale(src: Path, out: Path, long_side: int, short_side: int) -> Path:
    """Scale a clip so its long side is `long_side` (1080p: 1920×1080, 4K: 3840×2160)."""
    tmp = out.with_suffix(".part.mp4")
    L, S = long_side, short_side
    await run_ffmpeg(
        "-i", str(src), "-vf", f"scale='if(gt(iw,ih),{L},{S})':'if(gt(iw,ih),{S},{L})'",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-crf", "26", "-c:a", "copy",
        "-movflags", "+faststart", str(tmp),
    )
    tmp.replace(out)
    return out


async def preview(src: Path, out: Path) -> Path:
    """The hover preview: the same clip re-encoded at about half the bitrate (never the
    original bytes, FLOW_2026 §9)."""
    tmp = out.with_suffix(".part.mp4")
    await run_ffmpeg(
        "-i", str(src), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-crf", "34",
        "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(tmp),
    )
    tmp.replace(out)
    return out


async def animated_gif(src: Path, out: Path) -> Path:
    """The 270p animated GIF export."""
    tmp = out.with_suffix(".part.gif")
    await run_ffmpeg("-i", str(src), "-vf", "fps=6,scale=-2:270", "-f", "gif", str(tmp))
    tmp.replace(out)
    return out
