"""Peak memory of the zip export on about 1 GB of clips.

Run by hand: `.venv/bin/python bench/zip_memory.py [--total-mb 1024] [--in-memory]`.

Makes one realistic 720p clip with FFmpeg and copies it until the total is reached (distinct
files on disk), then, each in a fresh Python process so the figures do not mix, measures peak RSS
of: importing the module only (the baseline), `export_zip` into one zip, `export_zip` into 50 MB
parts, and with `--in-memory` the original platform's way (a zip built in a BytesIO). Target for
the streamed export: peak RSS ≤ 80 MB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Replace the script's folder (bench/, which has a queue.py shadowing the stdlib's) with the
# repository root.
sys.path[0] = str(REPO)

CHILD = r"""
import asyncio, io, resource, sys, time, zipfile
from pathlib import Path
sys.path.insert(0, {repo!r})
from bot.pipeline.zipexport import ZipEntry, export_zip
mode, src_dir, out_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
files = sorted(src_dir.glob("*.mp4"))
entries = [ZipEntry(p, batch=1, item=i + 1, variant=1, resolution="720p", prompt="bench")
           for i, p in enumerate(files)]
start = time.perf_counter()
if mode == "one":
    parts = asyncio.run(export_zip(entries, out_dir, "bench", manifest={{"bench": True}}))
elif mode == "parts":
    parts = asyncio.run(export_zip(entries, out_dir, "bench", part_limit=50 * 1024 * 1024,
                                   manifest={{"bench": True}}))
elif mode == "memory":
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for e in entries:
            zf.writestr(e.member_name, e.path.read_bytes())
    (out_dir / "bench.zip").write_bytes(buf.getvalue())
    parts = [out_dir / "bench.zip"]
else:
    parts = []
took = time.perf_counter() - start
total = sum(p.stat().st_size for p in parts)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{peak_mb:.1f}} {{len(parts)}} {{total}} {{took:.2f}}")
"""


def measure(mode: str, src: Path, out: Path) -> tuple[float, int, int, float]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    res = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO)), mode, str(src),
                          str(out)], check=True, capture_output=True, text=True)
    peak, parts, total, took = res.stdout.split()
    shutil.rmtree(out, ignore_errors=True)
    return float(peak), int(parts), int(total), float(took)


def main() -> int:
    from tests.fixtures.media import make_clip

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument("--in-memory", action="store_true",
                        help="also measure a zip built in memory (needs > 1 GB free RAM)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-zip-") as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "clips"
        src.mkdir()
        clip = make_clip(tmp / "clip.mp4", 1280, 720, 8.0)
        size = clip.stat().st_size
        count = max(1, args.total_mb * 1024 * 1024 // size)
        for i in range(count):
            shutil.copyfile(clip, src / f"clip{i:04d}.mp4")
        print(f"{count} clips of {size / 1e6:.1f} MB = {count * size / 1e9:.2f} GB", flush=True)
        modes = ["baseline", "one", "parts"] + (["memory"] if args.in_memory else [])
        rows = {}
        for mode in modes:
            time.sleep(0.5)
            rows[mode] = measure(mode, src, tmp / "out")
    labels = {"baseline": "import only (baseline)", "one": "export_zip, one zip",
              "parts": "export_zip, 50 MB parts", "memory": "in-memory BytesIO (original)"}
    print(f"\n{'run':32} {'peak RSS MB':>12} {'parts':>6} {'GB written':>11} {'s':>7}")
    for mode, (peak, parts, total, took) in rows.items():
        print(f"{labels[mode]:32} {peak:12.1f} {parts:6d} {total / 1e9:11.2f} {took:7.1f}")
    base = rows["baseline"][0]
    for mode in ("one", "parts"):
        print(f"{labels[mode]}: peak {rows[mode][0]:.1f} MB (target <= 80 MB), "
              f"{rows[mode][0] - base:+.1f} MB over the import baseline")
    if "memory" in rows:
        print(f"in-memory / streamed peak: {rows['memory'][0] / rows['one'][0]:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
