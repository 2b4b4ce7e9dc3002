"""4K upscale presets side by side: ours and the original platform's, on one realistic clip.

Run by hand (takes several minutes on 2 cores; `--quick` skips x264 slow):

    nice .venv/bin/python bench/upscale.py [--quick] [--seconds 8] [--rounds 1]

For each encoder setting it prints wall time, × real time, CPU seconds, peak memory, output size
and SSIM/PSNR of the encode against the lossless lanczos upscale of the same source (computed in
the filter graph, never encoded). Then the ratios the issue targets: our `balanced` ≥ 3× faster
than x264 medium/crf 20 with SSIM no more than 0.003 lower, and our wrapper (`Upscaler`) within
3 % of the same FFmpeg command run bare. The machine may be shared, so CPU seconds are shown
next to wall time: they are what the encoder costs whatever else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Replace the script's folder (bench/, which has a queue.py shadowing the stdlib's) with the
# repository root.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bot.config import UpscaleSettings  # noqa: E402
from bot.pipeline.encoders import EncoderChoice  # noqa: E402
from bot.pipeline.probe import probe  # noqa: E402
from bot.pipeline.upscale import PRESETS, Preset, Upscaler, build_command  # noqa: E402
from tests.fixtures.media import make_clip  # noqa: E402

X264 = EncoderChoice("libx264", False, "bench")
ORIGINAL = {  # the original platform's presets (SPEC §3)
    "orig fast (fast crf23)": Preset("fast", 23, "", 0),
    "orig balanced (medium crf20)": Preset("medium", 20, "", 0),
    "orig high (slow crf18)": Preset("slow", 18, "", 0),
}


@dataclass
class Row:
    name: str
    wall: float
    cpu: float
    peak_mb: float
    size: int
    ssim: float
    psnr: float


def bare(cmd: list[str]) -> list[str]:
    """The command as one would type it: without our `-progress pipe:1`."""
    out = list(cmd)
    i = out.index("-progress")
    del out[i:i + 2]
    return out


def timed(cmd: list[str], tmp: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one FFmpeg run, measured by GNU time."""
    report = tmp / "time.txt"
    subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(report), *cmd],
                   check=True, stdout=subprocess.DEVNULL)
    wall, user, sys_, peak_kb = report.read_text().split()[-4:]
    return float(wall), float(user) + float(sys_), int(peak_kb) / 1024


def quality(encoded: Path, source: Path, width: int, height: int) -> tuple[float, float]:
    """SSIM and PSNR of `encoded` against the lanczos upscale of `source`, in one pass."""
    graph = (f"[0:v]format=yuv420p,split[e1][e2];"
             f"[1:v]scale={width}:{height}:flags=lanczos,setsar=1,format=yuv420p,split[r1][r2];"
             "[e1][r1]ssim;[e2][r2]psnr")
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", str(encoded), "-i",
                          str(source), "-lavfi", graph, "-f", "null", "-"],
                         check=True, capture_output=True, text=True).stderr
    ssim = next(float(t[4:]) for t in out.split() if t.startswith("All:"))
    psnr_text = next(t for t in out.split() if t.startswith("average:"))[8:]
    return ssim, (float("inf") if psnr_text == "inf" else float(psnr_text))


def run_setting(name: str, preset: Preset, info, tmp: Path, rounds: int) -> Row:
    out = tmp / "out.mp4"
    cmd = bare(build_command("ffmpeg", info, out, preset, X264))
    runs = [timed(cmd, tmp) for _ in range(rounds)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    peak = max(r[2] for r in runs)
    ssim, psnr = quality(out, info.path, *_dims(cmd))
    row = Row(name, wall, cpu, peak, out.stat().st_size, ssim, psnr)
    print(f"{row.name:34} {row.wall:7.1f} {info.duration_s / row.wall:7.2f} {row.cpu:7.1f} "
          f"{row.peak_mb:8.0f} {row.size / 1e6:8.1f} {row.ssim:8.5f} {row.psnr:8.2f}", flush=True)
    return row


def _dims(cmd: list[str]) -> tuple[int, int]:
    vf = cmd[cmd.index("-vf") + 1]
    w, h = vf.split("scale=")[1].split(":")[:2]
    return int(w), int(h)


def _cpu() -> float:
    """CPU seconds so far of this process and its finished children (FFmpeg, ffprobe)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


async def wrapper_vs_bare(info, tmp: Path, rounds: int) -> dict[str, float]:
    """Median wall and CPU time of `Upscaler.upscale` (probe, progress parsing, rename, output
    probe) and of the same FFmpeg command run bare, alternating so both see the same load."""
    upscaler = Upscaler(UpscaleSettings(_env_file=None, encoder="libx264"))
    await upscaler.encoder()  # the per-process encoder probe is not part of an upscale
    cmd = bare(build_command("ffmpeg", info, tmp / "bare.mp4", PRESETS["balanced"], X264))
    runs: dict[str, list[float]] = {"ours_wall": [], "ours_cpu": [], "bare_wall": [], "bare_cpu": []}
    for _ in range(rounds):
        cpu, start = _cpu(), time.perf_counter()
        await asyncio.to_thread(subprocess.run, cmd, check=True)  # bare: no probe, no parsing
        runs["bare_wall"].append(time.perf_counter() - start)
        runs["bare_cpu"].append(_cpu() - cpu)
        cpu, start = _cpu(), time.perf_counter()
        await upscaler.upscale(info.path, tmp / "wrapped.mp4", preset="balanced",
                               on_progress=lambda p, eta: None)
        runs["ours_wall"].append(time.perf_counter() - start)
        runs["ours_cpu"].append(_cpu() - cpu)
    return {k: statistics.median(v) for k, v in runs.items()}


def print_wrapper(w: dict[str, float], rounds: int) -> None:
    print(f"wrapper (Upscaler.upscale) vs the same ffmpeg command bare, median of {rounds} "
          f"alternating runs (target within 3%):\n"
          f"  wall {w['ours_wall']:.2f} s vs {w['bare_wall']:.2f} s: "
          f"{(w['ours_wall'] / w['bare_wall'] - 1) * 100:+.1f}%\n"
          f"  CPU  {w['ours_cpu']:.2f} s vs {w['bare_cpu']:.2f} s: "
          f"{(w['ours_cpu'] / w['bare_cpu'] - 1) * 100:+.1f}%", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip x264 slow (about 2+ minutes)")
    parser.add_argument("--seconds", type=float, default=8.0, help="clip length (default 8)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per setting (median)")
    parser.add_argument("--wrapper-rounds", type=int, default=3)
    parser.add_argument("--wrapper-only", action="store_true",
                        help="only the wrapper-vs-bare comparison")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-upscale-") as tmp_name:
        tmp = Path(tmp_name)
        src = make_clip(tmp / "src.mp4", 720, 1280, args.seconds)
        info = asyncio.run(probe(src))
        print(f"source: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.2f} s "
              f"{info.size_bytes / 1e6:.1f} MB (mandelbrot+testsrc2, pan, grain, AAC)",
              flush=True)
        if args.wrapper_only:
            print_wrapper(asyncio.run(wrapper_vs_bare(info, tmp, args.wrapper_rounds)),
                          args.wrapper_rounds)
            return 0
        settings = {f"ours {k} ({p.x264_preset} crf{p.crf})": p for k, p in PRESETS.items()}
        settings.update(ORIGINAL)
        if args.quick:
            settings.pop("orig high (slow crf18)")
        print(f"\n{'setting':34} {'wall s':>7} {'x real':>7} {'CPU s':>7} {'peak MB':>8} "
              f"{'size MB':>8} {'SSIM':>8} {'PSNR dB':>8}", flush=True)
        rows = [run_setting(name, p, info, tmp, args.rounds) for name, p in settings.items()]
        wrapper = asyncio.run(wrapper_vs_bare(info, tmp, args.wrapper_rounds))

    by = {r.name.split(" (")[0]: r for r in rows}
    ours, medium = by["ours balanced"], by["orig balanced"]
    print(f"\nours balanced vs orig balanced (medium crf20): "
          f"{medium.wall / ours.wall:.2f}x faster by wall time, {medium.cpu / ours.cpu:.2f}x by CPU "
          f"time (target >= 3x); SSIM {ours.ssim - medium.ssim:+.5f} (target >= -0.003); "
          f"size {ours.size / medium.size:.2f}x")
    for mine, theirs in (("ours fast", "orig fast"), ("ours high", "orig high")):
        if mine in by and theirs in by:
            a, b = by[mine], by[theirs]
            print(f"{mine} vs {theirs}: {b.wall / a.wall:.2f}x faster (CPU {b.cpu / a.cpu:.2f}x), "
                  f"SSIM {a.ssim - b.ssim:+.5f}, size {a.size / b.size:.2f}x")
    print_wrapper(wrapper, args.wrapper_rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
